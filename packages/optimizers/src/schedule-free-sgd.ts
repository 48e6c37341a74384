import { defineHyperParams, type GradientTransformation, type GradTree, type HyperParam, type ParamTree, type TransformResult, type Tree } from '@gradkit/core';
import type * as tf from '@tensorflow/tfjs-core';
import { addDecay, gradLeaves, type OptionKeys, optionsOf, requireParams, slotLeaves, stepLeaves } from './internal.js';
import {
  averagingSpecs,
  copyOf,
  interpolationOf,
  learningRateSpec,
  scheduleFreeEvalPoint,
  scheduleFreeMove,
  scheduleFreeStep,
  warmupOf,
} from './schedule-free.js';

/**
 * Options of `scheduleFreeSgd` (facebookresearch/schedule_free's `SGDScheduleFree`, camelCased).
 * Every number but `momentum` and `warmupSteps` may be a Schedule.
 *
 * @example `{ learningRate: 1, momentum: 0.9, warmupSteps: 100 }`
 */
export interface ScheduleFreeSgdOptions {
  /** Step size γ (> 0; required: the repo's default is 1, and 10–50× the rate of SGD with a schedule is a good start). */
  readonly learningRate: HyperParam;
  /** β: the interpolation y = (1−β)z + βx between the SGD iterate z and the average x, in (0, 1) (default 0.9). A number, not a schedule. */
  readonly momentum?: number;
  /** L2 penalty λ added to the gradient at y (≥ 0; default 0). */
  readonly weightDecay?: HyperParam;
  /** Linear warmup of the learning rate over this many steps (an integer ≥ 0; default 0). */
  readonly warmupSteps?: number;
  /** Power r of the polynomial weighting (k+1)^r of the average x (≥ 0; default 0). */
  readonly r?: HyperParam;
  /** Power of the largest learning rate so far in the averaging weights (≥ 0; default 2; 0 for no weighting). */
  readonly weightLrPower?: HyperParam;
}

const KEYS: OptionKeys<ScheduleFreeSgdOptions> = { learningRate: true, momentum: true, weightDecay: true, warmupSteps: true, r: true, weightLrPower: true };

/** `scheduleFreeSgd`'s options with the defaults filled in. @example `scheduleFreeSgd({ learningRate: 1 }).options.momentum // 0.9` */
export type ResolvedScheduleFreeSgdOptions = Required<Omit<ScheduleFreeSgdOptions, 'momentum' | 'warmupSteps'>> & {
  /** β (a number). */
  readonly momentum: number;
  /** Warmup steps (an integer). */
  readonly warmupSteps: number;
};

/**
 * State of `scheduleFreeSgd` (the repo's `k`, `lr_max`, `weight_sum` and per-parameter `z`); the
 * parameters hold y while training (x after `Optimizer.eval()`).
 *
 * @example `{ count: 3, lrMax: 1, weightSum: 3, z: { w: z } }`
 */
export type ScheduleFreeSgdState = {
  /** Steps taken (k). */
  readonly count: number;
  /** The largest warmed-up learning rate used so far (0 before the first step). */
  readonly lrMax: number;
  /** Σ of the averaging weights (k+1)^r·lrMax^weightLrPower of the steps taken. */
  readonly weightSum: number;
  /** z: the SGD iterate (starts as a copy of the parameters). */
  readonly z: Tree<tf.Tensor>;
};

/**
 * Schedule-Free SGD (Defazio et al. 2024, "The Road Less Scheduled"): SGD whose momentum is replaced
 * by interpolation and averaging, with no learning-rate schedule. Use it where you would use SGD
 * with momentum and a decaying schedule (convnets) without fixing the training length: a constant
 * learning rate (plus `warmupSteps`) and the average x anytime. Step for step
 * facebookresearch/schedule_free's `SGDScheduleFree.step` (`schedulefree/sgd_schedulefree.py`,
 * commit 70785b5), with k = `count`:
 *
 * γ = η·min(1, (k+1)/warmupSteps);  lrMax ← max(lrMax, γ);  w = (k+1)^r·lrMax^weightLrPower;
 * weightSum ← weightSum + w;  c = w / weightSum;  g ← g + λy;
 * y ← y + c·(z − y) + γ(β(1−c) − 1)·g;  z ← z − γ·g.
 *
 * The parameters hold y; z is in the state. The point to evaluate is x = lerp(y, z, 1 − 1/β):
 * `Optimizer.eval()` puts it in the parameters (evaluate and checkpoint the weights then) and
 * `Optimizer.train()` puts y = lerp(x, z, 1 − β) back before the next step; stepping in eval mode
 * is a StateError. With BatchNorm, see `recalibrateBatchNorm` of @gradkit/nn. Float32 order per
 * element: g' = g + y·λ; update = (z − y)·c + g'·yLr; z' = z − g'·γ. The state is
 * `{ count, lrMax, weightSum, z }`.
 *
 * @throws HyperParameterError for a missing learning rate or one that is not > 0, a momentum outside
 *   (0, 1) or a schedule (0 is refused: x divides by it), a negative weight decay, r or weightLrPower,
 *   or warmupSteps that is not an integer ≥ 0. UnknownOptionError for an unknown option (the repo's
 *   `lr`, `weight_decay`, `warmup_steps`, `weight_lr_power` suggest gradkit's names).
 * @example
 * ```ts
 * const opt = new Optimizer(model.params, scheduleFreeSgd({ learningRate: 1, warmupSteps: 100 }));
 * for (const batch of loader) await opt.minimize((p) => loss(model, batch));
 * opt.eval();   // parameters hold x: evaluate, save the weights
 * opt.train();  // parameters hold y: keep training
 * ```
 */
export function scheduleFreeSgd(options: ScheduleFreeSgdOptions): GradientTransformation<ScheduleFreeSgdState, ResolvedScheduleFreeSgdOptions> {
  const given = optionsOf('scheduleFreeSgd', options, KEYS, 'scheduleFreeSgd({ learningRate: 1, warmupSteps: 100 })', false);
  const hyper = defineHyperParams({
    learningRate: learningRateSpec(given.learningRate, undefined),
    momentum: interpolationOf('momentum', given.momentum, 0.9),
    ...averagingSpecs(given),
  });
  const warmupSteps = warmupOf(given.warmupSteps);
  const momentum = hyper.options.momentum as number;
  return {
    name: 'scheduleFreeSgd',
    options: { ...hyper.options, momentum, warmupSteps },
    hyperParams: hyper.at,
    init: (params: ParamTree): ScheduleFreeSgdState => ({ count: 0, lrMax: 0, weightSum: 0, z: copyOf(params) }),
    update(grads: GradTree, state: ScheduleFreeSgdState, params?: ParamTree): TransformResult<ScheduleFreeSgdState> {
      const h = hyper.at(state.count);
      const s = scheduleFreeStep(h, momentum, warmupSteps, state.count, state);
      const gs = gradLeaves(grads, state.z);
      const ys = slotLeaves(grads, requireParams('scheduleFreeSgd', params, 'needs the parameters (the point y it trains)'));
      const r = stepLeaves(
        grads,
        { z: state.z },
        (g, slot, i) => {
          const y = ys[i] as tf.Tensor;
          // Weight decay at y, added to the gradient.
          const move = scheduleFreeMove(y, slot.z, addDecay(g, h.weightDecay === 0 ? undefined : y, h.weightDecay), s);
          return { update: move.update, slots: { z: move.z } };
        },
        gs,
      );
      return { updates: r.updates, state: { count: state.count + 1, lrMax: s.lrMax, weightSum: s.weightSum, z: r.slots.z } as ScheduleFreeSgdState };
    },
    // The fused path writes only tensors: the runner advances the host numbers with this.
    hostStep(state: ScheduleFreeSgdState): ScheduleFreeSgdState {
      const s = scheduleFreeStep(hyper.at(state.count), momentum, warmupSteps, state.count, state);
      return { ...state, count: state.count + 1, lrMax: s.lrMax, weightSum: s.weightSum };
    },
    evalPoint: scheduleFreeEvalPoint<ScheduleFreeSgdState>(momentum),
  };
}
