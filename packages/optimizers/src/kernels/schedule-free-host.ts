// Schedule-Free AdamW's per-step numbers for its fused rule: the functional path's own host step
// (schedule-free.ts `scheduleFreeStep`: warmup, lrMax, the averaging weight and ckp1), in float64, from
// the options, this step's hyper-parameters and the state's host numbers before the step.
import { type ScheduleFreeStep, scheduleFreeStep } from '../schedule-free.js';
import type { ResolvedScheduleFreeAdamWOptions } from '../schedule-free-adamw.js';
import type { ScheduleFreeAdamWRule } from './plan.js';

/** What the host reads of scheduleFreeAdamW's resolved options (numbers, never schedules). */
export type ScheduleFreeOptionsSeen = Pick<ResolvedScheduleFreeAdamWOptions, 'beta1' | 'warmupSteps'>;

/**
 * One step's host numbers (the rule's `lr`, `ckp1`, `yLr`, and the state's next `lrMax` and
 * `weightSum`), exactly as `scheduleFreeAdamW`'s update computes them.
 *
 * @example
 * ```ts
 * scheduleFreeHost({ beta1: 0.9, warmupSteps: 0 }, { learningRate: 0.0025, r: 0, weightLrPower: 2 }, 0, { lrMax: 0, weightSum: 0 });
 * ```
 */
export function scheduleFreeHost(
  options: ScheduleFreeOptionsSeen,
  h: Readonly<Record<string, number>>,
  count: number,
  numbers: Readonly<Record<string, number>>,
): ScheduleFreeStep {
  const n = (k: string) => h[k] ?? 0;
  return scheduleFreeStep({ learningRate: n('learningRate'), r: n('r'), weightLrPower: n('weightLrPower') }, options.beta1, options.warmupSteps, count, {
    lrMax: numbers.lrMax ?? 0,
    weightSum: numbers.weightSum ?? 0,
  });
}

/** The fused rule of step `count`: the host numbers and `bc2 = 1 − β₂^(count+1)`. */
export function scheduleFreeRule(
  options: ScheduleFreeOptionsSeen,
  h: Readonly<Record<string, number>>,
  count: number,
  numbers: Readonly<Record<string, number>>,
): ScheduleFreeAdamWRule {
  const s = scheduleFreeHost(options, h, count, numbers);
  const beta2 = h.beta2 ?? 0;
  return {
    kind: 'scheduleFreeAdamW',
    lr: s.lr,
    beta2,
    epsilon: h.epsilon ?? 0,
    weightDecay: h.weightDecay ?? 0,
    ckp1: s.ckp1,
    adaptiveYLr: s.yLr,
    bc2: 1 - beta2 ** (count + 1),
  };
}
