import { describeValue, HyperParameterError } from '@gradkit/core';
import { inScope } from './internal/scope.js';

/**
 * Runs `fn` (usually a module's `apply`) with `name` prefixed to the tap names of every module it
 * applies, like `tf.name_scope`. Modules tap their output under their tree path (`'0'`, `'3.inner.1'`);
 * a module applied outside any container taps under its `name`. Use a scope when one forward pass
 * applies two models whose tap names would collide, and name it as their parameters are keyed, so
 * tap names read like parameter paths (`'encoder.0'` ↔ `encoder.0.kernel`).
 *
 * @param name - a non-empty scope name, e.g. `'encoder'` (the key under which the model's parameters sit).
 * @throws HyperParameterError when `name` is not a non-empty string.
 * @example
 * ```ts
 * const params = { encoder: encoder.params, decoder: decoder.params };
 * const loss = (_p: typeof params) =>
 *   tf.losses.meanSquaredError(x, nameScope('decoder', () => decoder.apply(nameScope('encoder', () => encoder.apply(x)))));
 * const { taps } = withTaps(valueAndGrad(loss))(params); // taps 'encoder.0', …, 'decoder.0', …
 * ```
 */
export function nameScope<T>(name: string, fn: () => T): T {
  if (typeof name !== 'string' || name === '') throw new HyperParameterError('name', `a scope name must be a non-empty string, got ${describeValue(name)}`);
  if (typeof fn !== 'function') throw new HyperParameterError('fn', 'nameScope needs a function to run in the scope');
  return inScope(name, fn);
}
