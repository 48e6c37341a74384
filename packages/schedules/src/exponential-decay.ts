import type { Schedule } from '@gradkit/core';
import { checkBoolean, checkInteger, checkNumber, checkScheduleOptions, NON_NEGATIVE, orDefault, POSITIVE, schedule } from './validate.js';

/** Options of `exponentialDecay`. @example `{ initial: 0.1, gamma: 0.96, decaySteps: 1000, staircase: true }` */
export interface ExponentialDecayOptions {
  /** The value η at step 0 (finite, ≥ 0). */
  readonly initial: number;
  /** The factor γ (> 0) applied per `decaySteps` steps; γ > 1 grows (as in a learning-rate range test). */
  readonly gamma: number;
  /** Steps per factor of γ (an integer ≥ 1; default 1, PyTorch's ExponentialLR). */
  readonly decaySteps?: number;
  /** Multiply by γ in whole units of `decaySteps` (⌊t/decaySteps⌋) instead of continuously (default false). */
  readonly staircase?: boolean;
}

/**
 * Exponential decay: ηₜ = η·γ^(t/s), with t/s floored to ⌊t/s⌋ when `staircase` (s is `decaySteps`).
 *
 * PyTorch: `ExponentialLR(opt, gamma)` is `decaySteps: 1`; with `staircase: true` it is
 * `StepLR(opt, step_size=decaySteps, gamma)`. optax: `exponential_decay(init_value,
 * transition_steps, decay_rate, staircase)`; Keras: `ExponentialDecay`.
 *
 * @throws HyperParameterError naming the field: `initial` not finite or negative, `gamma` not > 0,
 *   `decaySteps` not an integer ≥ 1, `staircase` not a boolean; the schedule throws one naming
 *   'step' for a step that is not an integer ≥ 0, and one naming 'gamma' if γ > 1 overflows.
 * @example
 * ```ts
 * const lr = exponentialDecay({ initial: 0.1, gamma: 0.5, decaySteps: 100 }); // lr(100) = 0.05
 * ```
 */
export function exponentialDecay(options: ExponentialDecayOptions): Schedule {
  checkScheduleOptions('exponentialDecay', options, ['initial', 'gamma', 'decaySteps', 'staircase'], 'exponentialDecay({ initial: 0.1, gamma: 0.99 })');
  const initial = checkNumber('initial', options.initial, NON_NEGATIVE);
  const gamma = checkNumber('gamma', options.gamma, POSITIVE);
  const decaySteps = checkInteger('decaySteps', orDefault(options.decaySteps, 1), 1);
  const staircase = checkBoolean('staircase', orDefault(options.staircase, false));
  return schedule(
    { schedule: 'exponentialDecay', initial, gamma, decaySteps, staircase },
    (t) => {
      const p = staircase ? Math.floor(t / decaySteps) : t / decaySteps;
      return initial * gamma ** p;
    },
    'gamma',
  );
}
