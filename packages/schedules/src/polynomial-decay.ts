import type { Schedule } from '@gradkit/core';
import { checkInteger, checkNumber, checkScheduleOptions, NON_NEGATIVE, orDefault, POSITIVE, schedule } from './validate.js';

/** Options of `polynomialDecay`. @example `{ initial: 0.1, final: 0.001, decaySteps: 1000, power: 2 }` */
export interface PolynomialDecayOptions {
  /** The value at step 0 (finite, ≥ 0). */
  readonly initial: number;
  /** The value reached at `decaySteps` and kept afterwards (finite, ≥ 0; default 0). */
  readonly final?: number;
  /** Steps from `initial` to `final` (an integer ≥ 1). */
  readonly decaySteps: number;
  /** The exponent p (> 0; default 1: linear). */
  readonly power?: number;
}

/**
 * Polynomial decay: ηₜ = (η₀ − η_f)·(1 − min(t, T)/T)^p + η_f, constant η_f from step T = `decaySteps` on.
 *
 * PyTorch: `PolynomialLR(opt, total_iters=T, power=p)` is `final: 0`, step for step; optax:
 * `polynomial_schedule(init_value, end_value, power, transition_steps)`.
 *
 * @throws HyperParameterError naming the field: `initial` or `final` not finite or negative,
 *   `decaySteps` not an integer ≥ 1, `power` not > 0; the schedule throws one naming 'step' for a
 *   step that is not an integer ≥ 0.
 * @example
 * ```ts
 * const lr = polynomialDecay({ initial: 0.1, decaySteps: 100, power: 2 }); // lr(50) = 0.025
 * ```
 */
export function polynomialDecay(options: PolynomialDecayOptions): Schedule {
  checkScheduleOptions('polynomialDecay', options, ['initial', 'final', 'decaySteps', 'power'], 'polynomialDecay({ initial: 0.1, decaySteps: 1000 })');
  const initial = checkNumber('initial', options.initial, NON_NEGATIVE);
  const final = checkNumber('final', orDefault(options.final, 0), NON_NEGATIVE);
  const decaySteps = checkInteger('decaySteps', options.decaySteps, 1);
  const power = checkNumber('power', orDefault(options.power, 1), POSITIVE);
  return schedule(
    { schedule: 'polynomialDecay', initial, final, decaySteps, power },
    (t) => (initial - final) * (1 - Math.min(t, decaySteps) / decaySteps) ** power + final,
  );
}
