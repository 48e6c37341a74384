import { type ActivationFn, type ActivationName, activation as lookupActivation } from '@gradkit/activations';
import { HyperParameterError } from '@gradkit/core';

/**
 * An activation for `dense` and `act`: a name `activation(name)` of `@gradkit/activations` knows
 * (`'relu'`, `'gelu'`, PyTorch spellings such as `'leaky_relu'` …) or a function of a tensor.
 *
 * @example
 * ```ts
 * const byName: ActivationSpec = 'gelu';
 * const byFunction: ActivationSpec = (x) => leakyRelu(x, 0.2);
 * ```
 */
export type ActivationSpec = ActivationName | (string & {}) | ActivationFn;

/** Resolves an activation option to a function and a display name; errors name `field`. */
export function resolveActivation(spec: unknown, field: string): { fn: ActivationFn; name: string } {
  if (typeof spec === 'function') return { fn: spec as ActivationFn, name: spec.name || 'activation' };
  if (typeof spec !== 'string')
    throw new HyperParameterError(
      field,
      `${field} must be an activation name (e.g. 'relu') or a function of a tensor, got ${spec === null ? 'null' : typeof spec}`,
    );
  try {
    return { fn: lookupActivation(spec), name: spec };
  } catch (e) {
    // activation() names its own argument ('name'); here the offending option is `field`.
    throw new HyperParameterError(field, `${field}: ${e instanceof Error ? e.message : String(e)}`);
  }
}
