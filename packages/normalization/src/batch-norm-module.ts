import { type ApplyOptions, checkHyper, HyperParameterError, type Module } from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import { batchNormWithHook } from './batch-norm.js';
import { checkBoolean, checkCount, checkEpsilon, checkInput, moduleOptions } from './checks.js';
import { type AffineParams, affineParams, callable, checkFeatures, checkName, filledVariable, trainingFlag } from './module-utils.js';
import type { MomentsHook } from './standardize.js';

/** Options of the `BatchNorm` module (PyTorch's `nn.BatchNorm1d/2d` arguments, camelCased). @example `{ features: 64, momentum: 0.1 }` */
export interface BatchNormOptions {
  /** Number of features: the size of the last axis of the input (PyTorch's `num_features`). */
  readonly features: number;
  /**
   * Weight of the new batch in the running statistics, in [0, 1] (default 0.1):
   * running = (1 − momentum)·running + momentum·batch, as PyTorch (Keras's momentum is 1 − this).
   * `null` keeps a cumulative average instead (momentum 1/t at the t-th training batch), as PyTorch's `momentum=None`.
   */
  readonly momentum?: number | null;
  /** Added to the variance before the square root, > 0 (default 1e-5). */
  readonly epsilon?: number;
  /** Learn a per-feature scale `gamma` (ones) and shift `beta` (zeros) (default true). */
  readonly affine?: boolean;
  /** Keep running statistics for inference (default true); without them inference uses batch statistics too. */
  readonly trackRunningStats?: boolean;
  /** The module's name, for taps and error messages (default `'batchNorm'`). */
  readonly name?: string;
}

/**
 * The buffers of a `BatchNorm` that tracks running statistics: state that is not trained but is
 * saved in checkpoints (PyTorch's `running_mean`, `running_var` and `num_batches_tracked` buffers);
 * `{}` without `trackRunningStats`.
 *
 * @example `checkpoint.buffers = bn.buffers // { runningMean, runningVar, numBatchesTracked }`
 */
export type BatchNormBuffers =
  | {
      /** Running mean of every feature, float32 `[features]`. */
      readonly runningMean: tf.Variable;
      /** Running unbiased variance of every feature, float32 `[features]`. */
      readonly runningVar: tf.Variable;
      /** Training batches folded into the running statistics, an int32 scalar. */
      readonly numBatchesTracked: tf.Variable;
    }
  | Record<string, never>;

const BATCH_NORM_KEYS = ['features', 'momentum', 'epsilon', 'affine', 'trackRunningStats', 'name'];

/**
 * Batch normalization as a module, with running statistics: PyTorch's `nn.BatchNorm1d`/`2d`/`3d`
 * on channels-last input (features on the last axis: `[batch, features]`, `[N, H, W, C]` …).
 *
 * Training mode (the default, or `apply(x, { training: true })`) normalizes with the batch's mean and
 * biased variance (see `batchNorm`) and updates the running statistics once per `apply`:
 * runningMean ← (1 − m)·runningMean + m·mean, runningVar ← (1 − m)·runningVar + m·var·n/(n − 1)
 * (the unbiased variance over the n values per feature). Inference mode (`eval()`) normalizes with
 * the running statistics: y = (x − runningMean)/√(runningVar + ε)·γ + β. Ioffe & Szegedy 2015.
 *
 * `params` holds `gamma` and `beta` (PyTorch's `weight` and `bias`) for `valueAndGrad` and
 * `Optimizer`; `buffers` holds `runningMean` (zeros), `runningVar` (ones) and `numBatchesTracked`
 * (0), non-trainable variables that no gradient reaches, updated in place (`assign`): restoring them
 * with `assign` (a checkpoint) continues exactly where the saved module was, the cumulative average
 * of `momentum: null` included. The update happens inside the forward kernel, off the gradient tape,
 * so `apply` inside `valueAndGrad` or `Optimizer.minimize` updates them exactly once and leaks nothing.
 *
 * @example
 * ```ts
 * const bn = new BatchNorm({ features: 64 });
 * const opt = new Optimizer(bn.params, sgd({ learningRate: 0.1 }));
 * await opt.minimize(() => loss(bn.apply(x)));     // batch statistics; running statistics updated
 * const y = bn.eval().apply(xTest);                 // running statistics
 * ```
 */
export class BatchNormModule implements Module<AffineParams> {
  /** The module's name (default `'batchNorm'`). */
  readonly name: string;
  /** `{ gamma, beta }` of shape `[features]` (ones, zeros), or `{}` when `affine` is false. */
  readonly params: AffineParams;
  /** Running mean of every feature (zeros at first), a non-trainable variable; null without `trackRunningStats`. */
  readonly runningMean: tf.Variable | null;
  /** Running unbiased variance of every feature (ones at first), a non-trainable variable; null without `trackRunningStats`. */
  readonly runningVar: tf.Variable | null;
  /**
   * Training batches seen since creation or `resetRunningStats()` (PyTorch's `num_batches_tracked`), an
   * int32 scalar variable; null without `trackRunningStats`. With `momentum: null` the t-th batch has
   * weight 1/t, read from here.
   */
  readonly numBatchesTracked: tf.Variable | null;
  /** `{ runningMean, runningVar, numBatchesTracked }` for checkpoints (keyed like `params` in containers), or `{}` without `trackRunningStats`. */
  readonly buffers: BatchNormBuffers;
  /** Number of features (the size of the input's last axis). */
  readonly features: number;
  /** Weight of a new batch in the running statistics, or null for a cumulative average. */
  readonly momentum: number | null;
  /** Added to the variance before the square root. */
  readonly epsilon: number;
  private mode = true;
  private disposed = false;

  /**
   * @throws HyperParameterError naming `features`, `momentum`, `epsilon`, `affine`, `trackRunningStats`
   *   or `name` (`options` when there is none); UnknownOptionError for another option (PyTorch's
   *   `num_features`, `eps`, `track_running_stats` suggest gradkit's names).
   */
  constructor(options: BatchNormOptions) {
    const o = moduleOptions('BatchNorm', options, BATCH_NORM_KEYS, 'new BatchNorm({ features: 64, momentum: 0.1 })');
    this.features = checkCount('features', o.features, 'the size of the last axis of the input');
    const momentum = o.momentum === undefined ? 0.1 : o.momentum;
    if (momentum !== null && typeof momentum !== 'number')
      throw new HyperParameterError('momentum', `momentum must be a number in [0, 1] or null (cumulative average), got ${typeof momentum}`);
    this.momentum = momentum === null ? null : checkHyper('momentum', momentum, { min: 0, max: 1 });
    this.epsilon = checkEpsilon(o.epsilon, 1e-5);
    const affine = checkBoolean('affine', o.affine, true);
    const track = checkBoolean('trackRunningStats', o.trackRunningStats, true);
    this.name = checkName(o.name, 'batchNorm');
    this.params = affineParams([this.features], affine);
    this.runningMean = track ? filledVariable([this.features], 0, false) : null;
    this.runningVar = track ? filledVariable([this.features], 1, false) : null;
    this.numBatchesTracked = track ? tf.tidy(() => tf.variable(tf.scalar(0, 'int32'), false)) : null;
    this.buffers =
      this.runningMean && this.runningVar && this.numBatchesTracked
        ? { runningMean: this.runningMean, runningVar: this.runningVar, numBatchesTracked: this.numBatchesTracked }
        : {};
  }

  /** Whether `apply` uses batch statistics (and updates the running ones) by default. */
  get training(): boolean {
    return this.mode;
  }

  /**
   * Normalizes `x` (`[batch, …, features]`): with batch statistics in training mode (updating the
   * running statistics), with the running statistics in inference mode.
   *
   * @throws ValueError (`what: 'x'`) when x is not float32, has no batch axis, its last axis is not
   *   `features`, or (training) it has a single value per feature; DisposedError after `dispose()`.
   */
  apply(x: tf.Tensor, options?: ApplyOptions): tf.Tensor {
    const training = trainingFlag(this.name, this.disposed, options, this.mode);
    checkFeatures(this.name, x, [this.features], 2, 'features');
    const gamma = this.params.gamma ?? null;
    const beta = this.params.beta ?? null;
    const { runningMean, runningVar, numBatchesTracked } = this;
    if (training || !runningMean || !runningVar || !numBatchesTracked) {
      const hook =
        training && runningMean && runningVar && numBatchesTracked
          ? this.updateRunningStats(runningMean, runningVar, numBatchesTracked, x.size / this.features)
          : undefined;
      return batchNormWithHook(this.name, x, gamma, beta, this.epsilon, hook);
    }
    checkInput(this.name, x, 2, 'a batch axis first and the features last');
    return tf.tidy(() => {
      const invStd = tf.rsqrt(tf.add(runningVar, this.epsilon));
      const scale = gamma ? tf.mul(invStd, gamma) : invStd;
      const shift = tf.neg(tf.mul(runningMean, scale));
      return tf.add(tf.mul(x, scale), beta ? tf.add(shift, beta) : shift);
    });
  }

  /**
   * The hook that folds a batch's statistics into the running ones (called inside the forward kernel,
   * once). Everything is read from the buffers (the cumulative average's 1/t from `numBatchesTracked`
   * on the device), so buffers restored with `assign` are what the next update starts from.
   */
  private updateRunningStats(runningMean: tf.Variable, runningVar: tf.Variable, count: tf.Variable, n: number): MomentsHook {
    return (mean, variance) => {
      const [nextCount, nextMean, nextVar] = tf.tidy(() => {
        const t = tf.add(count, tf.scalar(1, 'int32'));
        const m: number | tf.Tensor = this.momentum ?? tf.div(1, tf.cast(t, 'float32'));
        const keep = typeof m === 'number' ? 1 - m : tf.sub(1, m);
        const unbiased = typeof m === 'number' ? (m * n) / (n - 1) : tf.mul(m, n / (n - 1));
        return [
          t,
          tf.add(tf.mul(runningMean, keep), tf.mul(tf.reshape(mean, [this.features]), m)),
          tf.add(tf.mul(runningVar, keep), tf.mul(tf.reshape(variance, [this.features]), unbiased)),
        ];
      });
      count.assign(nextCount as tf.Tensor);
      runningMean.assign(nextMean as tf.Tensor);
      runningVar.assign(nextVar as tf.Tensor);
      tf.dispose([nextCount as tf.Tensor, nextMean as tf.Tensor, nextVar as tf.Tensor]);
    };
  }

  /** Resets the running statistics to mean 0, variance 1 and the batch count to 0 (PyTorch's `reset_running_stats`). @returns the module. */
  resetRunningStats(): this {
    const { runningMean, runningVar, numBatchesTracked } = this;
    if (runningMean && runningVar && numBatchesTracked) {
      const [zeros, ones, zero] = [tf.zeros([this.features]), tf.ones([this.features]), tf.scalar(0, 'int32')];
      runningMean.assign(zeros);
      runningVar.assign(ones);
      numBatchesTracked.assign(zero);
      tf.dispose([zeros, ones, zero]);
    }
    return this;
  }

  /** Switches to training mode (batch statistics); returns the module. */
  train(): this {
    this.mode = true;
    return this;
  }

  /** Switches to inference mode (running statistics); returns the module. */
  eval(): this {
    this.mode = false;
    return this;
  }

  /** Releases `gamma`, `beta` and the buffers. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    tf.dispose([this.params.gamma, this.params.beta, this.runningMean, this.runningVar, this.numBatchesTracked].filter((v): v is tf.Variable => v != null));
  }
}

/**
 * `BatchNorm` as DESIGN writes it: `BatchNorm({ … })` or `new BatchNorm({ … })` both build a `BatchNormModule`.
 *
 * @example
 * ```ts
 * const m = BatchNorm({ features: 64 });
 * m instanceof BatchNorm; // true
 * ```
 */
export const BatchNorm = callable(BatchNormModule);
/** The instance type of `BatchNorm` (the same as `BatchNormModule`). */
export type BatchNorm = BatchNormModule;
