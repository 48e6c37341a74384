import type { Schedule } from '@gradkit/core';
import { checkBoolean, checkInteger, checkNumber, checkScheduleOptions, NON_NEGATIVE, orDefault, schedule } from './validate.js';

/** Options of `inverseTimeDecay`. @example `{ initial: 0.1, decayRate: 0.5, decaySteps: 100 }` */
export interface InverseTimeDecayOptions {
  /** The value η at step 0 (finite, ≥ 0). */
  readonly initial: number;
  /** The decay rate ε (finite, ≥ 0): the value halves when ε·t/decaySteps reaches 1. */
  readonly decayRate: number;
  /** Steps per unit of decay (an integer ≥ 1; default 1). */
  readonly decaySteps?: number;
  /** Decay in whole units of `decaySteps` (⌊t/decaySteps⌋) instead of continuously (default false). */
  readonly staircase?: boolean;
}

/**
 * Inverse-time decay: ηₜ = η / (1 + ε·t/s), with t/s floored to ⌊t/s⌋ when `staircase` (s is
 * `decaySteps`). With s = 1 this is the classic η/(1 + εt) of stochastic approximation (Robbins &
 * Monro 1951; Bottou 2012, "Stochastic gradient descent tricks").
 *
 * Keras: `InverseTimeDecay(initial_learning_rate, decay_steps, decay_rate, staircase)`; PyTorch:
 * `LambdaLR(opt, lambda t: 1 / (1 + decay_rate * t / decay_steps))`.
 *
 * @throws HyperParameterError naming the field: `initial` or `decayRate` not finite or negative,
 *   `decaySteps` not an integer ≥ 1, `staircase` not a boolean; the schedule throws one naming
 *   'step' for a step that is not an integer ≥ 0.
 * @example
 * ```ts
 * const opt = new Optimizer(params, sgd({ learningRate: inverseTimeDecay({ initial: 0.1, decayRate: 0.01 }) }));
 * ```
 */
export function inverseTimeDecay(options: InverseTimeDecayOptions): Schedule {
  checkScheduleOptions('inverseTimeDecay', options, ['initial', 'decayRate', 'decaySteps', 'staircase'], 'inverseTimeDecay({ initial: 0.1, decayRate: 0.01 })');
  const initial = checkNumber('initial', options.initial, NON_NEGATIVE);
  const decayRate = checkNumber('decayRate', options.decayRate, NON_NEGATIVE);
  const decaySteps = checkInteger('decaySteps', orDefault(options.decaySteps, 1), 1);
  const staircase = checkBoolean('staircase', orDefault(options.staircase, false));
  return schedule({ schedule: 'inverseTimeDecay', initial, decayRate, decaySteps, staircase }, (t) => {
    const p = staircase ? Math.floor(t / decaySteps) : t / decaySteps;
    return initial / (1 + decayRate * p);
  });
}
