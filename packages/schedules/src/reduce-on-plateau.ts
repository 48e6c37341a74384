import { type GradientTransformation, type GradTree, HyperParameterError, map, type TransformResult, type UpdateExtras, ValueError } from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import { checkInteger, checkNumber } from './validate.js';

/** Options of `reduceOnPlateau` (PyTorch's `ReduceLROnPlateau`). @example `{ factor: 0.5, patience: 5, cooldown: 2 }` */
export interface ReduceOnPlateauOptions {
  /** Multiplies the scale on a plateau (in (0, 1); default 0.1). */
  readonly factor?: number;
  /** Bad steps tolerated: the scale drops after more than `patience` steps without improvement (an integer ≥ 0; default 10). */
  readonly patience?: number;
  /** How much better than the best loss counts as an improvement (≥ 0, and < 1 in `'rel'` mode; default 1e-4). */
  readonly threshold?: number;
  /** `'rel'`: better than best·(1 ∓ threshold); `'abs'`: better than best ∓ threshold (default `'rel'`). */
  readonly thresholdMode?: 'rel' | 'abs';
  /** Steps after a reduction during which bad steps are not counted (an integer ≥ 0; default 0). */
  readonly cooldown?: number;
  /** The scale never drops below this (in [0, 1]; default 0), like PyTorch's `min_lr` relative to the learning rate. */
  readonly minScale?: number;
  /** `'min'`: the loss should decrease; `'max'`: the watched value should increase (default `'min'`). */
  readonly mode?: 'min' | 'max';
}

/** `reduceOnPlateau`'s options with defaults filled in. @example `reduceOnPlateau().options.patience // 10` */
export type ResolvedReduceOnPlateauOptions = Required<ReduceOnPlateauOptions>;

/**
 * State of `reduceOnPlateau`: the step count (host) and four float32 scalars that live on the
 * device, so that no step waits on a readback. @example `{ count: 12, best, numBadSteps, cooldownCounter, scale }`
 */
export interface ReduceOnPlateauState {
  readonly [key: string]: number | tf.Tensor;
  /** Steps taken. */
  readonly count: number;
  /** The best loss seen so far (starts at +∞ in `'min'` mode, −∞ in `'max'` mode). */
  readonly best: tf.Scalar;
  /** Steps since the last improvement, as PyTorch's `num_bad_epochs`. */
  readonly numBadSteps: tf.Scalar;
  /** Steps of cooldown left. */
  readonly cooldownCounter: tf.Scalar;
  /** The factor applied to the updates (starts at 1). */
  readonly scale: tf.Scalar;
}

/**
 * Scales the updates down when the loss stops improving: the updates are multiplied by a scale
 * that starts at 1 and is multiplied by `factor` (not below `minScale`) once the loss has not
 * improved for more than `patience` steps; after a reduction, `cooldown` steps pass before bad
 * steps count again. Put it after the optimizer in a `chain`, so it scales the learning rate.
 *
 * PyTorch: `ReduceLROnPlateau(opt, mode, factor, patience, threshold, threshold_mode, cooldown,
 * min_lr=lr·minScale)` with `scheduler.step(loss)` after every `optimizer.step()`, step for step:
 * the loss of step t decides the scale of step t + 1 (PyTorch's `eps` is not needed: the scale stops
 * at `minScale`). optax: `contrib.reduce_on_plateau`, which applies the new scale at the same step
 * and reduces after `patience` bad steps instead of more than `patience`.
 *
 * It reads the loss from `update(grads, state, params, { loss })`, as a scalar tensor: the
 * `Optimizer` passes it from `minimize(lossFn)`, or from `step(grads, { loss })`. The decision is
 * made on the device with tf ops (nothing is read back), and the state holds it as float32
 * scalars. Not fused: chains that contain it run on the reference path.
 *
 * @throws HyperParameterError naming the field: `factor` outside (0, 1), `patience` or `cooldown`
 *   not an integer ≥ 0, `threshold` negative (or ≥ 1 in `'rel'` mode), `minScale` outside [0, 1],
 *   `mode` or `thresholdMode` unknown. `update` throws a ValueError naming 'loss' when no loss is
 *   given or it is not a scalar tensor.
 * @example
 * ```ts
 * const opt = new Optimizer(params, chain(sgd({ learningRate: 0.1 }), reduceOnPlateau({ factor: 0.5, patience: 5 })));
 * for (let i = 0; i < 1000; i++) await opt.minimize((p) => loss(p, batch));
 * ```
 */
export function reduceOnPlateau(options: ReduceOnPlateauOptions = {}): GradientTransformation<ReduceOnPlateauState, ResolvedReduceOnPlateauOptions> {
  if (options === null || typeof options !== 'object')
    throw new HyperParameterError('options', 'reduceOnPlateau takes an options object (or nothing), e.g. reduceOnPlateau({ factor: 0.5, patience: 5 })');
  const mode = options.mode ?? 'min';
  if (mode !== 'min' && mode !== 'max') throw new HyperParameterError('mode', `mode must be 'min' or 'max', got ${JSON.stringify(mode)}`);
  const thresholdMode = options.thresholdMode ?? 'rel';
  if (thresholdMode !== 'rel' && thresholdMode !== 'abs')
    throw new HyperParameterError('thresholdMode', `thresholdMode must be 'rel' or 'abs', got ${JSON.stringify(thresholdMode)}`);
  const o: ResolvedReduceOnPlateauOptions = {
    factor: checkNumber('factor', options.factor ?? 0.1, { min: 0, max: 1, minExclusive: true, maxExclusive: true }),
    patience: checkCount('patience', options.patience ?? 10),
    threshold: checkNumber('threshold', options.threshold ?? 1e-4, thresholdMode === 'rel' ? { min: 0, max: 1, maxExclusive: true } : { min: 0 }),
    thresholdMode,
    cooldown: checkCount('cooldown', options.cooldown ?? 0),
    minScale: checkNumber('minScale', options.minScale ?? 0, { min: 0, max: 1 }),
    mode,
  };
  return {
    name: 'reduceOnPlateau',
    options: o,
    init: (): ReduceOnPlateauState => ({
      count: 0,
      best: tf.scalar(mode === 'min' ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY),
      numBadSteps: tf.scalar(0),
      cooldownCounter: tf.scalar(0),
      scale: tf.scalar(1),
    }),
    update(grads: GradTree, state: ReduceOnPlateauState, _params?: unknown, extras?: UpdateExtras): TransformResult<ReduceOnPlateauState> {
      const loss = extras?.loss;
      if (loss === undefined)
        throw new ValueError(
          'loss',
          'reduceOnPlateau needs the loss of each step: call Optimizer.minimize(lossFn), or pass { loss } to Optimizer.step(grads, { loss }) (or to update as its 4th argument)',
        );
      if (!(loss instanceof tf.Tensor) || loss.rank !== 0 || loss.isDisposed)
        throw new ValueError('loss', 'reduceOnPlateau: extras.loss must be a live scalar tensor (rank 0), e.g. the value returned by your loss function');
      // PyTorch's ReduceLROnPlateau.step(metrics), on the device.
      const current = loss.dtype === 'float32' ? loss : tf.cast(loss, 'float32');
      const { best, numBadSteps, cooldownCounter, scale } = state;
      const beats =
        mode === 'min'
          ? tf.less(current, thresholdMode === 'rel' ? tf.mul(best, 1 - o.threshold) : tf.sub(best, o.threshold))
          : tf.greater(current, thresholdMode === 'rel' ? tf.mul(best, o.threshold + 1) : tf.add(best, o.threshold));
      // A NaN loss is never an improvement (as in Python); said explicitly, since GPUs may fold NaN comparisons.
      const better = tf.logicalAnd(beats, tf.logicalNot(tf.isNaN(current)));
      const zero = tf.scalar(0);
      const nextBest: tf.Scalar = tf.where(better, current, best);
      const bad = tf.where(better, zero, tf.add(numBadSteps, 1));
      const inCooldown = tf.greater(cooldownCounter, 0);
      const cooling = tf.where(inCooldown, tf.sub(cooldownCounter, 1), cooldownCounter);
      const badAfterCooldown = tf.where(inCooldown, zero, bad);
      const reduce = tf.greater(badAfterCooldown, o.patience);
      const nextScale = tf.where(reduce, tf.maximum(tf.mul(scale, o.factor), o.minScale), scale) as tf.Scalar;
      return {
        // The scale decided by the previous steps' losses (PyTorch: optimizer.step() before scheduler.step(loss)).
        updates: map(grads, (g) => tf.mul(g, scale)),
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

/** Counters live on the device in float32, exact up to 2²⁴. */
function checkCount(field: string, value: unknown): number {
  const n = checkInteger(field, value, 0);
  if (n > 1e7) throw new HyperParameterError(field, `${field} must be at most 10,000,000 steps (counted on the device in float32), got ${n}`);
  return n;
}
