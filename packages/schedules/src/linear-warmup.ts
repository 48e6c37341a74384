import type { Schedule } from '@gradkit/core';
import { checkInteger, checkNumber, checkScheduleOptions, NON_NEGATIVE, orDefault, schedule } from './validate.js';

/** Options of `linearWarmup`. @example `{ initial: 0, peak: 0.1, warmupSteps: 500 }` */
export interface LinearWarmupOptions {
  /** The value at step 0 (finite, ≥ 0; default 0). */
  readonly initial?: number;
  /** The value reached at step `warmupSteps` and kept afterwards (finite, ≥ 0; below `initial` makes a linear decay). */
  readonly peak: number;
  /** Steps from `initial` to `peak` (an integer ≥ 0; 0 means `peak` from the start). */
  readonly warmupSteps: number;
}

/**
 * Linear warmup: ηₜ = (η₀ − η_peak)·(1 − min(t, T)/T) + η_peak, so η₀ at step 0, η_peak from step
 * T = `warmupSteps` on (Goyal et al. 2017, "Accurate, Large Minibatch SGD").
 *
 * PyTorch: `LinearLR(opt, start_factor, end_factor, total_iters)` on an optimizer with learning rate
 * `lr` is `linearWarmup({ initial: lr * start_factor, peak: lr * end_factor, warmupSteps:
 * total_iters })`, step for step (the defaults 1/3, 1, 5 are `{ initial: lr / 3, peak: lr,
 * warmupSteps: 5 }`). optax: `linear_schedule(init_value, end_value, transition_steps)`.
 *
 * @throws HyperParameterError naming the field: `initial` or `peak` not finite or negative,
 *   `warmupSteps` not an integer ≥ 0; the schedule throws one naming 'step' for a step that is not
 *   an integer ≥ 0.
 * @example
 * ```ts
 * const lr = linearWarmup({ peak: 0.1, warmupSteps: 10 }); // 0, 0.01, 0.02, …, 0.1, 0.1, …
 * ```
 */
export function linearWarmup(options: LinearWarmupOptions): Schedule {
  checkScheduleOptions('linearWarmup', options, ['initial', 'peak', 'warmupSteps'], 'linearWarmup({ peak: 0.1, warmupSteps: 500 })');
  const initial = checkNumber('initial', orDefault(options.initial, 0), NON_NEGATIVE);
  const peak = checkNumber('peak', options.peak, NON_NEGATIVE);
  const warmupSteps = checkInteger('warmupSteps', options.warmupSteps, 0);
  return schedule({ schedule: 'linearWarmup', initial, peak, warmupSteps }, (t) =>
    warmupSteps === 0 ? peak : (initial - peak) * (1 - Math.min(t, warmupSteps) / warmupSteps) + peak,
  );
}
