import type { Schedule } from '@gradkit/core';
import { checkInteger, checkNumber, checkScheduleOptions, NON_NEGATIVE, orDefault, schedule } from './validate.js';

/** Options of `cosineDecay`. @example `{ initial: 0.1, decaySteps: 1000, final: 1e-4 }` */
export interface CosineDecayOptions {
  /** The value at step 0 (finite, ≥ 0). */
  readonly initial: number;
  /** Steps T of the half cosine from `initial` to `final` (an integer ≥ 1). */
  readonly decaySteps: number;
  /** The value reached at step T and kept afterwards (finite, ≥ 0; default 0). */
  readonly final?: number;
}

/**
 * Cosine decay (SGDR without restarts, Loshchilov & Hutter 2017): ηₜ = η_f + (η₀ − η_f)·(1 + cos(π·t/T))/2
 * for t ≤ T, and η_f from step T = `decaySteps` on.
 *
 * PyTorch: `CosineAnnealingLR(opt, T_max=T, eta_min=final)` for steps 0…T (its closed form,
 * step for step); past T_max PyTorch's cosine rises again, here the value stays at `final` (use
 * `joinSchedules` for restarts). optax: `cosine_decay_schedule(init_value, decay_steps,
 * alpha=final/initial)`.
 *
 * @throws HyperParameterError naming the field: `initial` or `final` not finite or negative,
 *   `decaySteps` not an integer ≥ 1; the schedule throws one naming 'step' for a step that is not
 *   an integer ≥ 0.
 * @example
 * ```ts
 * const opt = new Optimizer(params, adamw({ learningRate: cosineDecay({ initial: 1e-3, decaySteps: 10_000 }) }));
 * ```
 */
export function cosineDecay(options: CosineDecayOptions): Schedule {
  checkScheduleOptions('cosineDecay', options, ['initial', 'decaySteps', 'final'], 'cosineDecay({ initial: 0.1, decaySteps: 1000 })');
  const initial = checkNumber('initial', options.initial, NON_NEGATIVE);
  const decaySteps = checkInteger('decaySteps', options.decaySteps, 1);
  const final = checkNumber('final', orDefault(options.final, 0), NON_NEGATIVE);
  return schedule(
    { schedule: 'cosineDecay', initial, decaySteps, final },
    (t) => final + ((initial - final) * (1 + Math.cos((Math.PI * Math.min(t, decaySteps)) / decaySteps))) / 2,
  );
}
