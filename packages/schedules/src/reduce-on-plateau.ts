import {
  checkOptions,
  type GradientTransformation,
  type GradTree,
  HyperParameterError,
  map,
  type TransformResult,
  type UpdateExtras,
  ValueError,
} from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import { checkInteger, checkNumber, orDefault } from './validate.js';

/** Options of `reduceOnPlateau` (PyTorch's `ReduceLROnPlateau`). @example `{ factor: 0.5, patience: 5, cooldown: 2, on: 'metric' }` */
export interface ReduceOnPlateauOptions {
  /** Multiplies the scale on a plateau (in (0, 1); default 0.1). */
  readonly factor?: number;
  /**
   * Bad values tolerated: the scale drops after more than `patience` values without improvement (an
   * integer ≥ 0; default 10). Counted in steps with `on: 'loss'`, in reports (epochs) with `on: 'metric'`.
   */
  readonly patience?: number;
  /** How much better than the best value counts as an improvement (≥ 0, and < 1 in `'rel'` mode; default 1e-4). */
  readonly threshold?: number;
  /** `'rel'`: better than best·(1 ∓ threshold); `'abs'`: better than best ∓ threshold (default `'rel'`). */
  readonly thresholdMode?: 'rel' | 'abs';
  /** Values after a reduction during which bad values are not counted (an integer ≥ 0; default 0). */
  readonly cooldown?: number;
  /** The scale never drops below this (in [0, 1]; default 0), like PyTorch's `min_lr` relative to the learning rate. */
  readonly minScale?: number;
  /** `'min'`: the watched value should decrease (a loss); `'max'`: it should increase (an accuracy) (default `'min'`). */
  readonly mode?: 'min' | 'max';
  /**
   * What it watches (default `'loss'`): `'loss'`, the training loss of every step (`extras.loss`,
   * from `Optimizer.minimize`); `'metric'`, a value you report yourself with `Optimizer.reportMetric`
   * (`extras.metric`), such as the validation loss after each epoch, as PyTorch's
   * `scheduler.step(val_loss)`.
   */
  readonly on?: 'loss' | 'metric';
}

const OPTION_NAMES = ['factor', 'patience', 'threshold', 'thresholdMode', 'cooldown', 'minScale', 'mode', 'on'] as const;

/** `reduceOnPlateau`'s options with defaults filled in. @example `reduceOnPlateau().options.patience // 10` */
export type ResolvedReduceOnPlateauOptions = Required<ReduceOnPlateauOptions>;

/**
 * State of `reduceOnPlateau`: the step count (host) and four float32 scalars that live on the
 * device, so that no step waits on a readback. With `on: 'metric'` the counters count reports, not
 * steps. @example `{ count: 12, best, numBadSteps, cooldownCounter, scale }`
 */
export interface ReduceOnPlateauState {
  readonly [key: string]: number | tf.Tensor;
  /** Steps taken. */
  readonly count: number;
  /** The best value seen so far (starts at +∞ in `'min'` mode, −∞ in `'max'` mode). */
  readonly best: tf.Scalar;
  /** Values since the last improvement, as PyTorch's `num_bad_epochs` (steps with `on: 'loss'`, reports with `on: 'metric'`). */
  readonly numBadSteps: tf.Scalar;
  /** Values of cooldown left. */
  readonly cooldownCounter: tf.Scalar;
  /** The factor applied to the updates (starts at 1). */
  readonly scale: tf.Scalar;
}

/**
 * Scales the updates down when the watched value stops improving: the updates are multiplied by a
 * scale that starts at 1 and is multiplied by `factor` (not below `minScale`) once the value has not
 * improved for more than `patience` values; after a reduction, `cooldown` values pass before bad ones
 * count again. Put it after the optimizer in a `chain`, so it scales the learning rate.
 *
 * PyTorch: `ReduceLROnPlateau(opt, mode, factor, patience, threshold, threshold_mode, cooldown,
 * min_lr=lr·minScale)`, value for value (PyTorch's `eps` is not needed: the scale stops at
 * `minScale`). optax: `contrib.reduce_on_plateau`, which applies the new scale at the same step and
 * reduces after `patience` bad steps instead of more than `patience`.
 *
 * What it watches (`on`):
 * - `'loss'` (default): the training loss of every step, from `update(grads, state, params, { loss })`
 *   as a scalar tensor (the `Optimizer` passes it from `minimize(lossFn)`, or from
 *   `step(grads, { loss })`). As PyTorch with `scheduler.step(loss)` after every `optimizer.step()`:
 *   the loss of step t decides the scale of step t + 1. A metric reported with `reportMetric` is an
 *   error here (it would be ignored): build it with `on: 'metric'` to follow it.
 * - `'metric'`: a value you report (`Optimizer.reportMetric(valLoss)`, which reaches the next step as
 *   `extras.metric`), such as the validation loss once per epoch, as PyTorch's
 *   `scheduler.step(val_loss)` after each epoch. Steps without a new report apply the current scale
 *   and leave the counters alone; the step that carries one runs the plateau logic on it and applies
 *   the scale it decides (the report came before that step, as `scheduler.step(val_loss)` comes
 *   before the next epoch's steps), so `patience` and `cooldown` count reports (epochs), as PyTorch.
 *
 * The decision is made on the device with tf ops (nothing is read back), and the state holds it as
 * float32 scalars; the current scale is a metric (`(await opt.metrics())['reduceOnPlateau.scale']`).
 * Not fused: chains that contain it run on the reference path.
 *
 * @throws UnknownOptionError for an option it does not have (PyTorch's `min_lr` suggests `minScale`,
 *   `threshold_mode` `thresholdMode`); HyperParameterError naming the field: `factor` outside
 *   (0, 1), `patience` or `cooldown` not an integer ≥ 0, `threshold` negative (or ≥ 1 in `'rel'`
 *   mode), `minScale` outside [0, 1], `mode`, `thresholdMode` or `on` unknown. `update` throws a
 *   ValueError naming 'loss' when `on: 'loss'` and no loss is given or it is not a scalar tensor,
 *   naming 'metric' when a reported metric is not a live scalar tensor, naming 'on' when a metric is
 *   reported to one that follows the loss.
 * @example
 * ```ts
 * // the training loss, every step
 * const opt = new Optimizer(params, chain(sgd({ learningRate: 0.1 }), reduceOnPlateau({ factor: 0.5, patience: 5 })));
 * for (let i = 0; i < 1000; i++) await opt.minimize((p) => loss(p, batch));
 *
 * // the validation loss, once per epoch (PyTorch: scheduler.step(val_loss))
 * const byEpoch = new Optimizer(params, chain(adam(), reduceOnPlateau({ on: 'metric', patience: 3 })));
 * for (let epoch = 0; epoch < 50; epoch++) {
 *   for (const batch of batches) await byEpoch.minimize((p) => loss(p, batch));
 *   byEpoch.reportMetric(await validationLoss(params));
 * }
 * ```
 */
export function reduceOnPlateau(options?: ReduceOnPlateauOptions): GradientTransformation<ReduceOnPlateauState, ResolvedReduceOnPlateauOptions> {
  const opts = checkOptions('reduceOnPlateau', options, OPTION_NAMES, { example: 'reduceOnPlateau({ factor: 0.5, patience: 5 })' });
  const on = orDefault(opts.on, 'loss');
  if (on !== 'loss' && on !== 'metric')
    throw new HyperParameterError(
      'on',
      `on must be 'loss' (the training loss of every step) or 'metric' (a value reported with reportMetric), got ${JSON.stringify(on)}`,
    );
  const mode = orDefault(opts.mode, 'min');
  if (mode !== 'min' && mode !== 'max') throw new HyperParameterError('mode', `mode must be 'min' or 'max', got ${JSON.stringify(mode)}`);
  const thresholdMode = orDefault(opts.thresholdMode, 'rel');
  if (thresholdMode !== 'rel' && thresholdMode !== 'abs')
    throw new HyperParameterError('thresholdMode', `thresholdMode must be 'rel' or 'abs', got ${JSON.stringify(thresholdMode)}`);
  const o: ResolvedReduceOnPlateauOptions = {
    factor: checkNumber('factor', orDefault(opts.factor, 0.1), { min: 0, max: 1, minExclusive: true, maxExclusive: true }),
    patience: checkCount('patience', orDefault(opts.patience, 10)),
    threshold: checkNumber('threshold', orDefault(opts.threshold, 1e-4), thresholdMode === 'rel' ? { min: 0, max: 1, maxExclusive: true } : { min: 0 }),
    thresholdMode,
    cooldown: checkCount('cooldown', orDefault(opts.cooldown, 0)),
    minScale: checkNumber('minScale', orDefault(opts.minScale, 0), { min: 0, max: 1 }),
    mode,
    on,
  };
  return {
    name: 'reduceOnPlateau',
    options: o,
    // best is ±∞ until the first value: a legitimate saved value
    stateChecks: { best: 'unchecked' },
    metrics: ['scale'],
    init: (): ReduceOnPlateauState => ({
      count: 0,
      best: tf.scalar(mode === 'min' ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY),
      numBadSteps: tf.scalar(0),
      cooldownCounter: tf.scalar(0),
      scale: tf.scalar(1),
    }),
    update(grads: GradTree, state: ReduceOnPlateauState, _params?: unknown, extras?: UpdateExtras): TransformResult<ReduceOnPlateauState> {
      const value = watched(on, extras);
      if (value === undefined) return { updates: map(grads, (g) => tf.mul(g, state.scale)), state: { ...state, count: state.count + 1 } };
      // PyTorch's ReduceLROnPlateau.step(metrics), on the device.
      const current = value.dtype === 'float32' ? value : tf.cast(value, 'float32');
      const { best, numBadSteps, cooldownCounter, scale } = state;
      const beats =
        mode === 'min'
          ? tf.less(current, thresholdMode === 'rel' ? tf.mul(best, 1 - o.threshold) : tf.sub(best, o.threshold))
          : tf.greater(current, thresholdMode === 'rel' ? tf.mul(best, o.threshold + 1) : tf.add(best, o.threshold));
      // A NaN value is never an improvement (as in Python); said explicitly, since GPUs may fold NaN comparisons.
      const better = tf.logicalAnd(beats, tf.logicalNot(tf.isNaN(current)));
      const zero = tf.scalar(0);
      const nextBest = tf.where(better, current, best) as tf.Scalar;
      const bad = tf.where(better, zero, tf.add(numBadSteps, 1));
      const inCooldown = tf.greater(cooldownCounter, 0);
      const cooling = tf.where(inCooldown, tf.sub(cooldownCounter, 1), cooldownCounter);
      const badAfterCooldown = tf.where(inCooldown, zero, bad);
      const reduce = tf.greater(badAfterCooldown, o.patience);
      const nextScale = tf.where(reduce, tf.maximum(tf.mul(scale, o.factor), o.minScale), scale) as tf.Scalar;
      // 'loss': the scale decided by the previous steps' losses (PyTorch: optimizer.step() before
      // scheduler.step(loss)). 'metric': the report came before this step, so its decision applies now.
      const applied = on === 'loss' ? scale : nextScale;
      return {
        updates: map(grads, (g) => tf.mul(g, applied)),
        state: {
          count: state.count + 1,
          best: nextBest,
          numBadSteps: tf.where(reduce, zero, badAfterCooldown) as tf.Scalar,
          cooldownCounter: tf.where(reduce, tf.scalar(o.cooldown), cooling) as tf.Scalar,
          scale: nextScale,
        },
      };
    },
  };
}

/** The value this step runs the plateau logic on, checked: the loss (`on: 'loss'`), the reported metric or nothing (`on: 'metric'`). */
function watched(on: 'loss' | 'metric', extras: UpdateExtras | undefined): tf.Tensor | undefined {
  const { loss, metric } = extras ?? {};
  if (on === 'metric') {
    if (metric === undefined) return undefined;
    if (!(metric instanceof tf.Tensor) || metric.rank !== 0 || metric.isDisposed)
      throw new ValueError('metric', 'reduceOnPlateau: extras.metric must be a live scalar tensor (rank 0): report it with Optimizer.reportMetric(value)');
    return metric;
  }
  if (metric !== undefined)
    throw new ValueError(
      'on',
      "reduceOnPlateau follows the training loss (on: 'loss'), but a metric was reported (reportMetric): it would be ignored; build reduceOnPlateau({ on: 'metric' }) to follow the metric you report",
    );
  if (loss === undefined)
    throw new ValueError(
      'loss',
      "reduceOnPlateau needs the loss of each step: call Optimizer.minimize(lossFn), or pass { loss } to Optimizer.step(grads, { loss }) (or to update as its 4th argument); to follow a metric you report instead, build it with { on: 'metric' }",
    );
  if (!(loss instanceof tf.Tensor) || loss.rank !== 0 || loss.isDisposed)
    throw new ValueError('loss', 'reduceOnPlateau: extras.loss must be a live scalar tensor (rank 0), e.g. the value returned by your loss function');
  return loss;
}

/** Counters live on the device in float32, exact up to 2²⁴. */
function checkCount(field: string, value: unknown): number {
  const n = checkInteger(field, value, 0);
  if (n > 1e7) throw new HyperParameterError(field, `${field} must be at most 10,000,000 steps (counted on the device in float32), got ${n}`);
  return n;
}
