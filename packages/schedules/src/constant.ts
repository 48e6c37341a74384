import type { Schedule } from '@gradkit/core';
import { checkNumber, NON_NEGATIVE, schedule } from './validate.js';

/**
 * A schedule that is `value` at every step: ηₜ = v. Useful inside `joinSchedules`; a plain number
 * does the same for a hyper-parameter.
 *
 * PyTorch: `ConstantLR` with `factor = 1` (or no scheduler); optax: `constant_schedule`.
 *
 * @param value - the value (finite, ≥ 0).
 * @throws HyperParameterError naming 'value' when it is not finite or negative; calling the
 *   schedule with a step that is not an integer ≥ 0 throws one naming 'step'.
 * @example
 * ```ts
 * const lr = joinSchedules([constant(0.1), cosineDecay({ initial: 0.1, decaySteps: 900 })], [100]);
 * ```
 */
export function constant(value: number): Schedule {
  const v = checkNumber('value', value, NON_NEGATIVE);
  return schedule({ schedule: 'constant', value: v }, () => v);
}
