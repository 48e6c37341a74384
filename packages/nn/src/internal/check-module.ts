import { HyperParameterError, type Module } from '@gradkit/core';

/** Checks that `m` has the shape of a `Module` (apply, train, eval, dispose, params). */
export function checkModule(field: string, m: unknown): Module {
  const o = m as Partial<Module> | null;
  const ok =
    o !== null &&
    typeof o === 'object' &&
    typeof o.apply === 'function' &&
    typeof o.train === 'function' &&
    typeof o.eval === 'function' &&
    typeof o.dispose === 'function' &&
    o.params !== undefined;
  if (!ok)
    throw new HyperParameterError(
      field,
      `${field} must be a Module (an object with params, apply, train, eval and dispose, such as dense(...) or LayerNorm from @gradkit/normalization), got ${m === null ? 'null' : typeof m}`,
    );
  return m as Module;
}
