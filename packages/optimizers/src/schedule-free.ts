// What scheduleFreeAdamW and scheduleFreeSgd share (facebookresearch/schedule_free, commit
// 70785b53e778d0e872c0bbb75ff4ee54ee10c291): the averaging weight ckp1 computed on the host from the
// step count and the learning rates so far, the per-element move of y and z, and the evaluation
// point x. Not part of the public API (index.ts does not export it); the fused kernels import it.
import {
  alignLeaves,
  type EvalPoint,
  type HyperParam,
  HyperParameterError,
  type HyperRange,
  type HyperSpec,
  map,
  optionOr,
  type ParamTree,
  type StateTree,
  type Tree,
  unflatten,
} from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import { checkCount, leaves, NON_NEGATIVE, POSITIVE } from './internal.js';

/** (0, 1): β₁ / momentum of a schedule-free optimizer, which the evaluation point divides by. */
const OPEN_UNIT: HyperRange = { min: 0, minExclusive: true, max: 1, maxExclusive: true };

/** The host numbers of a schedule-free state, besides `count`: the largest learning rate so far and the sum of the averaging weights. */
export interface ScheduleFreeAverage {
  /** The largest (warmed-up) learning rate used so far (the repo's `lr_max`; 0 before the first step). */
  readonly lrMax: number;
  /** Σ of the averaging weights cᵢ of the steps taken (the repo's `weight_sum`). */
  readonly weightSum: number;
}

/** The numbers one schedule-free step uses, computed on the host. */
export interface ScheduleFreeStep extends ScheduleFreeAverage {
  /** The learning rate of this step, warmup applied: γₖ = η(k)·min(1, (k+1)/warmupSteps). */
  readonly lr: number;
  /** The weight of z in the new average x: c_{k+1} = wₖ / Σwᵢ (the repo's `ckp1`). */
  readonly ckp1: number;
  /** The factor of the normalized gradient in y's move: γ·(β(1 − c_{k+1}) − 1) (the repo's `lr*(beta1*(1-ckp1)-1)`). */
  readonly yLr: number;
}

/**
 * The host side of step `count` (0-based, the repo's `k`): warmup, the running maximum of the
 * learning rate, the averaging weight wₖ = (k+1)^r · lrMax^weightLrPower, its running sum and
 * c_{k+1} = wₖ / Σwᵢ (0 when the sum is 0, as the repo's `ZeroDivisionError` branch).
 *
 * @throws HyperParameterError naming `r` when the weight overflows float64.
 */
export function scheduleFreeStep(
  h: { readonly learningRate: number; readonly r: number; readonly weightLrPower: number },
  beta: number,
  warmupSteps: number,
  count: number,
  average: ScheduleFreeAverage,
): ScheduleFreeStep {
  const lr = count < warmupSteps ? (h.learningRate * (count + 1)) / warmupSteps : h.learningRate;
  const lrMax = Math.max(lr, average.lrMax);
  const weight = (count + 1) ** h.r * lrMax ** h.weightLrPower;
  const weightSum = average.weightSum + weight;
  if (!Number.isFinite(weightSum))
    throw new HyperParameterError('r', `the averaging weight (k+1)^r·lrMax^weightLrPower overflowed at step ${count} (r = ${h.r}): use a smaller r`);
  const ckp1 = weightSum === 0 ? 0 : weight / weightSum;
  return { lr, lrMax, weightSum, ckp1, yLr: lr * (beta * (1 - ckp1) - 1) };
}

/**
 * One element-wise schedule-free move from the normalized gradient `gn` at y: the update of y
 * (added to the parameters) u = c·(z − y) + yLr·gn, and z' = z − γ·gn (the repo's
 * `y.lerp_(z, ckp1); y.add_(gn, alpha=yLr); z.sub_(gn, alpha=lr)`).
 */
export function scheduleFreeMove(y: tf.Tensor, z: tf.Tensor, gn: tf.Tensor, s: ScheduleFreeStep): { update: tf.Tensor; z: tf.Tensor } {
  return { update: tf.add(tf.mul(tf.sub(z, y), s.ckp1), tf.mul(gn, s.yLr)), z: tf.sub(z, tf.mul(gn, s.lr)) };
}

/** An optional number or schedule (`null` is a HyperParameterError naming `field`), with its range, for `defineHyperParams`. */
export const optional = (field: string, value: unknown, fallback: HyperParam | undefined, range: HyperRange): HyperSpec => [
  optionOr(field, value as HyperParam | undefined, fallback) as HyperParam,
  range,
];

/** The numeric options every schedule-free optimizer has besides its own, as `defineHyperParams` specs. */
export function averagingSpecs(given: { readonly r?: unknown; readonly weightLrPower?: unknown; readonly weightDecay?: unknown }): {
  weightDecay: HyperSpec;
  r: HyperSpec;
  weightLrPower: HyperSpec;
} {
  return {
    weightDecay: optional('weightDecay', given.weightDecay, 0, NON_NEGATIVE),
    r: optional('r', given.r, 0, NON_NEGATIVE),
    weightLrPower: optional('weightLrPower', given.weightLrPower, 2, NON_NEGATIVE),
  };
}

/** The learning rate (> 0) with its default (none: required). */
export const learningRateSpec = (value: unknown, fallback: number | undefined): HyperSpec => optional('learningRate', value, fallback, POSITIVE);

/** `warmupSteps`: an integer ≥ 0 (default 0), never a schedule (it fixes when warmup ends). */
export const warmupOf = (value: unknown): number => checkCount('warmupSteps', optionOr('warmupSteps', value, 0), 0);

/**
 * β₁ (AdamW) or the momentum (SGD): a number in (0, 1), never a schedule, since it ties the
 * parameters y to the evaluation point x = (y − (1−β)z)/β. 0 is refused with its reason.
 *
 * @throws HyperParameterError naming `field`.
 */
export function interpolationOf(field: string, value: unknown, fallback: number): HyperSpec {
  const v = optionOr(field, value, fallback);
  if (typeof v === 'function')
    throw new HyperParameterError(
      field,
      `${field} must be a number, not a schedule: it ties the training point y to the evaluation point x = (y − (1−${field})·z)/${field}, which must stay the same between steps`,
    );
  if (v === 0)
    throw new HyperParameterError(
      field,
      `${field} must be in (0, 1), got 0: the evaluation point x = lerp(y, z, 1 − 1/${field}) divides by ${field} (use e.g. ${field}: 0.9)`,
    );
  return [v as number, OPEN_UNIT];
}

/** The initial z: a copy of every parameter (the repo's `torch.clone(p)`). */
export const copyOf = (params: ParamTree): Tree<tf.Tensor> => map(params, (p) => tf.clone(p));

/**
 * The evaluation point of a schedule-free state with interpolation constant β: in eval mode the
 * parameters hold x = lerp(y, z, 1 − 1/β) = y + (1 − 1/β)(z − y), back in train mode
 * y = lerp(x, z, 1 − β) = x + (1 − β)(z − x) (the repo's `eval()` / `train()`). The state is kept.
 */
export function scheduleFreeEvalPoint<S extends StateTree & { readonly z: Tree<tf.Tensor> }>(beta: number): EvalPoint<S> {
  const lerpTo = (params: ParamTree, state: S, weight: number) => {
    const zs = alignLeaves(params, state.z);
    const moved = leaves(params).map((p, i) => tf.add(p, tf.mul(tf.sub(zs[i] as tf.Tensor, p), weight)));
    return { params: unflatten(params, moved), state };
  };
  return {
    toEval: (params, state) => lerpTo(params, state, 1 - 1 / beta),
    toTrain: (params, state) => lerpTo(params, state, 1 - beta),
  };
}
