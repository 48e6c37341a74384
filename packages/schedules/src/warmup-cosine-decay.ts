import { HyperParameterError, type Schedule } from '@gradkit/core';
import { cosineDecay } from './cosine-decay.js';
import { linearWarmup } from './linear-warmup.js';
import { checkInteger, checkNumber, checkScheduleOptions, NON_NEGATIVE, orDefault, POSITIVE, schedule } from './validate.js';

/** Options of `warmupCosineDecay`. @example `{ peak: 1e-3, warmupSteps: 500, decaySteps: 10_000, final: 1e-5 }` */
export interface WarmupCosineDecayOptions {
  /** The value at step 0 (finite, ≥ 0; default 0). */
  readonly initial?: number;
  /** The value reached at the end of the warmup (finite, > 0). */
  readonly peak: number;
  /** Steps W of the linear warmup from `initial` to `peak` (an integer ≥ 0). */
  readonly warmupSteps: number;
  /** Total steps D of warmup and decay together (an integer > `warmupSteps`), as optax counts them. */
  readonly decaySteps: number;
  /** The value reached at step D and kept afterwards (finite, ≥ 0; default 0). */
  readonly final?: number;
}

/**
 * Linear warmup followed by cosine decay: ηₜ = η₀ + (η_peak − η₀)·t/W for t < W, then
 * ηₜ = η_f + (η_peak − η_f)·(1 + cos(π·(t − W)/(D − W)))/2 up to step D, and η_f afterwards.
 * `decaySteps` (D) includes the warmup.
 *
 * optax: `warmup_cosine_decay_schedule(init_value, peak_value, warmup_steps, decay_steps,
 * end_value)`, step for step. PyTorch: `SequentialLR(opt, [LinearLR(...), CosineAnnealingLR(opt,
 * T_max=D − W, eta_min=final)], milestones=[W])`.
 *
 * @throws HyperParameterError naming the field: `initial` or `final` not finite or negative, `peak`
 *   not > 0, `warmupSteps` not an integer ≥ 0, `decaySteps` not an integer > `warmupSteps`; the
 *   schedule throws one naming 'step' for a step that is not an integer ≥ 0.
 * @example
 * ```ts
 * const lr = warmupCosineDecay({ peak: 1e-3, warmupSteps: 500, decaySteps: 10_000 });
 * const opt = new Optimizer(params, adamw({ learningRate: lr }));
 * ```
 */
export function warmupCosineDecay(options: WarmupCosineDecayOptions): Schedule {
  checkScheduleOptions(
    'warmupCosineDecay',
    options,
    ['initial', 'peak', 'warmupSteps', 'decaySteps', 'final'],
    'warmupCosineDecay({ peak: 1e-3, warmupSteps: 500, decaySteps: 10000 })',
  );
  const initial = checkNumber('initial', orDefault(options.initial, 0), NON_NEGATIVE);
  const peak = checkNumber('peak', options.peak, POSITIVE);
  const warmupSteps = checkInteger('warmupSteps', options.warmupSteps, 0);
  const decaySteps = checkInteger('decaySteps', options.decaySteps, 1);
  const final = checkNumber('final', orDefault(options.final, 0), NON_NEGATIVE);
  if (decaySteps <= warmupSteps)
    throw new HyperParameterError(
      'decaySteps',
      `decaySteps counts the warmup too (as optax): it must be greater than warmupSteps (${warmupSteps}), got ${decaySteps}`,
    );
  const warmup = linearWarmup({ initial, peak, warmupSteps });
  const decay = cosineDecay({ initial: peak, decaySteps: decaySteps - warmupSteps, final });
  return schedule({ schedule: 'warmupCosineDecay', initial, peak, warmupSteps, decaySteps, final }, (t) =>
    t < warmupSteps ? warmup(t) : decay(t - warmupSteps),
  );
}
