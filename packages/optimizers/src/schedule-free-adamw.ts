import { defineHyperParams, type GradientTransformation, type GradTree, type HyperParam, type ParamTree, type TransformResult, type Tree } from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import { addDecay, ema, gradLeaves, type OptionKeys, optionsOf, POSITIVE, requireParams, slotLeaves, stepLeaves, UNIT_OPEN, zerosLike } from './internal.js';
import {
  averagingSpecs,
  copyOf,
  interpolationOf,
  learningRateSpec,
  optional,
  scheduleFreeEvalPoint,
  scheduleFreeMove,
  scheduleFreeStep,
  warmupOf,
} from './schedule-free.js';

/**
 * Options of `scheduleFreeAdamW` (facebookresearch/schedule_free's `AdamWScheduleFree`, camelCased).
 * Every number but `beta1` and `warmupSteps` may be a Schedule.
 *
 * @example `{ learningRate: 0.0025, warmupSteps: 1000, weightDecay: 0.01 }`
 */
export interface ScheduleFreeAdamWOptions {
  /** Step size γ (> 0; default 0.0025, the repo's; 1–10× what AdamW with a schedule would use). */
  readonly learningRate?: HyperParam;
  /**
   * β₁: the interpolation y = (1−β₁)z + β₁x between the fast iterate z and the average x, in (0, 1)
   * (default 0.9; 0.95 or 0.98 may suit very long runs). A number, not a schedule (it ties y to x).
   */
  readonly beta1?: number;
  /** Decay β₂ of the running average of squared gradients (in [0, 1); default 0.999). */
  readonly beta2?: HyperParam;
  /** ε added to the denominator after the square root and the bias correction (> 0; default 1e-8). */
  readonly epsilon?: HyperParam;
  /** Weight decay λ (≥ 0; default 0), added to the normalized gradient at y: gn ← g/den + λy. */
  readonly weightDecay?: HyperParam;
  /** Linear warmup of the learning rate over this many steps: γₖ = γ·(k+1)/warmupSteps while k < warmupSteps (an integer ≥ 0; default 0). */
  readonly warmupSteps?: number;
  /** Power r of the polynomial weighting (k+1)^r of the average x (≥ 0; default 0). */
  readonly r?: HyperParam;
  /** Power of the largest learning rate so far in the averaging weights, lrMax^weightLrPower (≥ 0; default 2; 0 for no weighting). */
  readonly weightLrPower?: HyperParam;
}

const KEYS: OptionKeys<ScheduleFreeAdamWOptions> = {
  learningRate: true,
  beta1: true,
  beta2: true,
  epsilon: true,
  weightDecay: true,
  warmupSteps: true,
  r: true,
  weightLrPower: true,
};

/** `scheduleFreeAdamW`'s options with the defaults filled in. @example `scheduleFreeAdamW().options.learningRate // 0.0025` */
export type ResolvedScheduleFreeAdamWOptions = Required<Omit<ScheduleFreeAdamWOptions, 'beta1' | 'warmupSteps'>> & {
  /** β₁ (a number). */
  readonly beta1: number;
  /** Warmup steps (an integer). */
  readonly warmupSteps: number;
};

/**
 * State of `scheduleFreeAdamW` (the repo's `k`, `lr_max`, `weight_sum` and per-parameter `z`,
 * `exp_avg_sq`); the parameters themselves hold y while training (x after `Optimizer.eval()`).
 *
 * @example `{ count: 3, lrMax: 0.0025, weightSum: 1.9e-5, z: { w: z }, nu: { w: v } }`
 */
export type ScheduleFreeAdamWState = {
  /** Steps taken (k). */
  readonly count: number;
  /** The largest warmed-up learning rate used so far (0 before the first step). */
  readonly lrMax: number;
  /** Σ of the averaging weights (k+1)^r·lrMax^weightLrPower of the steps taken. */
  readonly weightSum: number;
  /** z: the AdamW-like iterate (starts as a copy of the parameters). */
  readonly z: Tree<tf.Tensor>;
  /** Running average of the squared gradients (`exp_avg_sq`). */
  readonly nu: Tree<tf.Tensor>;
};

/**
 * Schedule-Free AdamW (Defazio et al. 2024, "The Road Less Scheduled"; winner of the AlgoPerf 2024
 * self-tuning track): AdamW without a learning-rate schedule, whose momentum is replaced by
 * interpolation and averaging. Use it where you would use AdamW with a warmup-and-decay schedule
 * and do not want to fix the training length in advance: a constant learning rate (plus
 * `warmupSteps`) and the average x anytime. Step for step facebookresearch/schedule_free's
 * `AdamWScheduleFree.step` (`schedulefree/adamw_schedulefree.py`, commit 70785b5, without its
 * optional `inner_momentum`), with k = `count`:
 *
 * γ = η·min(1, (k+1)/warmupSteps);  lrMax ← max(lrMax, γ);  w = (k+1)^r·lrMax^weightLrPower;
 * weightSum ← weightSum + w;  c = w / weightSum;
 * v ← β₂v + (1−β₂)g²;  gn = g / (√(v / (1−β₂^{k+1})) + ε) + λy;
 * y ← y + c·(z − y) + γ(β₁(1−c) − 1)·gn;  z ← z − γ·gn.
 *
 * The parameters hold y, where gradients are taken; z and v are in the state. The point to evaluate
 * is x = (y − (1−β₁)z)/β₁ = lerp(y, z, 1 − 1/β₁): call `Optimizer.eval()` before evaluating the model
 * or saving its weights (the parameters then hold x) and `Optimizer.train()` before the next step,
 * which puts y = lerp(x, z, 1 − β₁) back; stepping in eval mode is a StateError. Take checkpoints of
 * the weights in eval mode (`saveState` records the mode). A model with BatchNorm needs its running
 * statistics recomputed at x before evaluating: `recalibrateBatchNorm` of @gradkit/nn. The
 * functional form of the switch is `evalParams` / `trainParams` of @gradkit/core.
 *
 * Float32 order of the update, per element (the fused kernels follow it): v' = v·β₂ + g²·(1−β₂);
 * den = √(v'/bc2) + ε; gn = g/den (+ y·λ); update = (z − y)·c + gn·yLr; z' = z − gn·γ, with
 * bc2 = 1 − β₂^{k+1}, yLr = γ(β₁(1−c) − 1) and c computed on the host (`count`, `lrMax`, `weightSum`).
 * The state is `{ count, lrMax, weightSum, z, nu }` (`nu` is PyTorch's `exp_avg_sq`).
 *
 * @throws HyperParameterError for a learning rate or epsilon that is not > 0, β₁ outside (0, 1) or a
 *   schedule (0 is refused: x divides by β₁), β₂ outside [0, 1), a negative weight decay, r or
 *   weightLrPower, or warmupSteps that is not an integer ≥ 0. UnknownOptionError for an unknown
 *   option, naming it and suggesting the closest (the repo's `lr`, `betas`, `eps`, `weight_decay`,
 *   `warmup_steps`, `weight_lr_power` map to gradkit's names).
 * @example
 * ```ts
 * const opt = new Optimizer(model.params, scheduleFreeAdamW({ learningRate: 0.0025, warmupSteps: 100 }));
 * for (const batch of loader) await opt.minimize((p) => loss(model, batch));
 * opt.eval();                         // parameters hold x
 * const accuracy = await evaluate(model);
 * const checkpoint = await opt.saveState(); // save weights and state in eval mode
 * opt.train();                        // parameters hold y again: keep training
 * ```
 */
export function scheduleFreeAdamW(options?: ScheduleFreeAdamWOptions): GradientTransformation<ScheduleFreeAdamWState, ResolvedScheduleFreeAdamWOptions> {
  const given = optionsOf('scheduleFreeAdamW', options, KEYS, 'scheduleFreeAdamW({ learningRate: 0.0025, warmupSteps: 100 })');
  const hyper = defineHyperParams({
    learningRate: learningRateSpec(given.learningRate, 0.0025),
    beta1: interpolationOf('beta1', given.beta1, 0.9),
    beta2: optional('beta2', given.beta2, 0.999, UNIT_OPEN),
    epsilon: optional('epsilon', given.epsilon, 1e-8, POSITIVE),
    ...averagingSpecs(given),
  });
  const warmupSteps = warmupOf(given.warmupSteps);
  const beta1 = hyper.options.beta1 as number;
  return {
    name: 'scheduleFreeAdamW',
    stateChecks: { nu: 'nonNegative' },
    options: { ...hyper.options, beta1, warmupSteps },
    hyperParams: hyper.at,
    init: (params: ParamTree): ScheduleFreeAdamWState => ({ count: 0, lrMax: 0, weightSum: 0, z: copyOf(params), nu: zerosLike(params) }),
    update(grads: GradTree, state: ScheduleFreeAdamWState, params?: ParamTree): TransformResult<ScheduleFreeAdamWState> {
      const h = hyper.at(state.count);
      const s = scheduleFreeStep(h, beta1, warmupSteps, state.count, state);
      const bc2 = 1 - h.beta2 ** (state.count + 1);
      const gs = gradLeaves(grads, state.z);
      const ys = slotLeaves(grads, requireParams('scheduleFreeAdamW', params, 'needs the parameters (the point y it trains)'));
      const r = stepLeaves(
        grads,
        { z: state.z, nu: state.nu },
        (g, slot, i) => {
          const y = ys[i] as tf.Tensor;
          const nu = ema(slot.nu, tf.square(g), h.beta2);
          const den = tf.add(tf.sqrt(tf.div(nu, bc2)), h.epsilon);
          // Weight decay at y, added to the normalized gradient.
          const gn = addDecay(tf.div(g, den), h.weightDecay === 0 ? undefined : y, h.weightDecay);
          const move = scheduleFreeMove(y, slot.z, gn, s);
          return { update: move.update, slots: { z: move.z, nu } };
        },
        gs,
      );
      return {
        updates: r.updates,
        state: { count: state.count + 1, lrMax: s.lrMax, weightSum: s.weightSum, z: r.slots.z, nu: r.slots.nu } as ScheduleFreeAdamWState,
      };
    },
    // The fused path writes only tensors: the runner advances the host numbers with this.
    hostStep(state: ScheduleFreeAdamWState): ScheduleFreeAdamWState {
      const s = scheduleFreeStep(hyper.at(state.count), beta1, warmupSteps, state.count, state);
      return { ...state, count: state.count + 1, lrMax: s.lrMax, weightSum: s.weightSum };
    },
    evalPoint: scheduleFreeEvalPoint<ScheduleFreeAdamWState>(beta1),
  };
}
