import type { Schedule } from '@gradkit/core';
import { checkInteger, checkNumber, checkScheduleOptions, NON_NEGATIVE, orDefault, POSITIVE, schedule } from './validate.js';

/** Options of `stepDecay` (PyTorch's `StepLR`). @example `{ initial: 0.1, stepSize: 30, gamma: 0.1 }` */
export interface StepDecayOptions {
  /** The value η at step 0 (finite, ≥ 0). */
  readonly initial: number;
  /** Steps between two multiplications by γ (an integer ≥ 1). */
  readonly stepSize: number;
  /** The factor γ (> 0; default 0.1, as PyTorch). */
  readonly gamma?: number;
}

/**
 * Step decay: ηₜ = η·γ^⌊t/stepSize⌋, the value multiplied by γ every `stepSize` steps.
 *
 * PyTorch: `StepLR(opt, step_size, gamma=0.1)`, step for step; optax: `exponential_decay(...,
 * staircase=True)`.
 *
 * @throws HyperParameterError naming the field: `initial` not finite or negative, `stepSize` not an
 *   integer ≥ 1, `gamma` not > 0; the schedule throws one naming 'step' for a step that is not an
 *   integer ≥ 0, and one naming 'gamma' if γ > 1 overflows.
 * @example
 * ```ts
 * const lr = stepDecay({ initial: 0.1, stepSize: 30, gamma: 0.1 }); // 0.1 for steps 0–29, 0.01 for 30–59 …
 * ```
 */
export function stepDecay(options: StepDecayOptions): Schedule {
  checkScheduleOptions('stepDecay', options, ['initial', 'stepSize', 'gamma'], 'stepDecay({ initial: 0.1, stepSize: 30, gamma: 0.1 })');
  const initial = checkNumber('initial', options.initial, NON_NEGATIVE);
  const stepSize = checkInteger('stepSize', options.stepSize, 1);
  const gamma = checkNumber('gamma', orDefault(options.gamma, 0.1), POSITIVE);
  return schedule({ schedule: 'stepDecay', initial, stepSize, gamma }, (t) => initial * gamma ** Math.floor(t / stepSize), 'gamma');
}
