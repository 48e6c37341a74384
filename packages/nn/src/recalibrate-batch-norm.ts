import { checkOptions, describeValue, flatten, HyperParameterError, type Module, type Optimizer, optionOr, ValueError } from '@gradkit/core';
import { BatchNormModule } from '@gradkit/normalization';
import * as tf from '@tensorflow/tfjs-core';
import { checkModule } from './internal/check-module.js';

/** Options of `recalibrateBatchNorm`. @example `{ maxBatches: 50, optimizer: opt }` */
export interface RecalibrateBatchNormOptions {
  /** Use at most this many batches (a positive integer; default: every batch given). The schedule_free README uses 50. */
  readonly maxBatches?: number;
  /**
   * The optimizer to put in eval mode first (`optimizer.eval()`), so that the statistics are those of
   * the weights to evaluate (schedule-free's x); it is left in eval mode. Without it, call
   * `optimizer.eval()` yourself before.
   */
  readonly optimizer?: Optimizer;
}

/** A batch: the input tensor, or an object holding it as `x` (what `batches({ x, y }, …)` yields). */
export type RecalibrationBatch = tf.Tensor | { readonly x: tf.Tensor };

/** A BatchNorm that tracks running statistics, with its buffers. */
type Tracked = BatchNormModule & { readonly runningMean: tf.Variable; readonly runningVar: tf.Variable; readonly numBatchesTracked: tf.Variable };

/**
 * Recomputes the running statistics of every BatchNorm in `model` at the current weights, which the
 * facebookresearch/schedule_free README asks for before evaluating a model with BatchNorm trained
 * by a schedule-free optimizer (whose evaluation weights x differ from the weights y the statistics
 * were gathered at). The README's snippet runs forward passes in training mode with the usual
 * momentum and names PreciseBN as the alternative; this is PreciseBN, which does not depend on the
 * momentum: with the optimizer in eval mode, each BatchNorm's statistics are reset and
 * rebuilt by forward passes in training mode over `batches`, as a cumulative average (PyTorch's
 * `bn.reset_running_stats(); bn.momentum = None`, the PreciseBN recipe): after T batches,
 * runningMean = (1/T)·Σ meanₜ and runningVar = (1/T)·Σ varₜ·n/(n−1), numBatchesTracked = T.
 * No gradient is taken and no weight changes; each BatchNorm's `momentum` and every module's
 * mode are as they were afterwards. Dropout layers run in training mode too (as in the README's
 * `model.train()`), so their generators advance. BatchNorms are found at any depth of `@gradkit/nn`
 * containers (`sequential`, `residual`, `transformerBlock` …). The batches stay the caller's, except
 * those a `batches(data, …)` loader makes, new tensors that are disposed once used.
 *
 * All or nothing: when a batch fails (a wrong shape, not a tensor) or there is none, the statistics,
 * the optimizer's mode and the parameters (bit for bit: a copy is kept meanwhile) are restored
 * before the error is thrown.
 *
 * @returns the number of batches used.
 * @throws HyperParameterError naming `model` (not a module), `batches` (not iterable), `maxBatches`,
 *   `optimizer` or an unknown option; ValueError naming `model` when it holds no BatchNorm with running
 *   statistics (or one inside a container this function cannot look into), `batches` when there is no
 *   batch, `batches[i]` for a batch that is not a tensor (or `{ x }`), and the module's own errors for
 *   an input of the wrong shape.
 * @example
 * ```ts
 * const opt = new Optimizer(model.params, scheduleFreeAdamW());
 * // … training …
 * recalibrateBatchNorm(model, loader, { maxBatches: 50, optimizer: opt }); // opt.eval(), then the statistics at x
 * const accuracy = evaluate(model.eval());
 * model.train();
 * opt.train();
 * ```
 */
export function recalibrateBatchNorm(model: Module, batches: Iterable<RecalibrationBatch>, options?: RecalibrateBatchNormOptions): number {
  const { maxBatches, optimizer } = checkArguments(model, batches, options);
  const norms = batchNormsOf(model);
  // Switching the optimizer to eval mode moves the parameters; keep them, to put them back bit for bit on failure.
  const weights = optimizer?.mode === 'train' ? flatten(optimizer.params).map(({ value }) => ({ v: value as tf.Variable, kept: tf.clone(value) })) : [];
  const saved = norms.map((bn) => {
    const vars = [bn.runningMean, bn.runningVar, bn.numBatchesTracked];
    return { bn, momentum: bn.momentum, vars, values: vars.map((v) => tf.clone(v)) };
  });
  let used = 0;
  try {
    optimizer?.eval();
    for (const { bn } of saved) {
      setMomentum(bn, null);
      bn.resetRunningStats();
    }
    // A `batches(…)` loader makes new tensors for every batch, which belong to the caller: here, to this loop.
    const owned = isLoader(batches);
    for (const batch of batches) {
      try {
        const x = inputOf(batch, used);
        tf.tidy(() => {
          model.apply(x, { training: true });
        });
      } finally {
        if (owned) tf.dispose(batch as tf.TensorContainer);
      }
      if (++used >= maxBatches) break;
    }
    if (used === 0) throw new ValueError('batches', 'recalibrateBatchNorm got no batch: give at least one (the statistics were left as they were)');
  } catch (e) {
    for (const { vars, values } of saved) {
      for (const [i, v] of vars.entries()) v.assign(values[i] as tf.Tensor);
    }
    if (weights.length > 0) {
      optimizer?.train();
      for (const { v, kept } of weights) v.assign(kept);
    }
    throw e;
  } finally {
    for (const { bn, momentum, values } of saved) {
      setMomentum(bn, momentum);
      tf.dispose(values);
    }
    tf.dispose(weights.map((w) => w.kept));
  }
  return used;
}

/** The checked arguments of `recalibrateBatchNorm` (see its `@throws`). */
function checkArguments(
  model: Module,
  batches: unknown,
  options: RecalibrateBatchNormOptions | undefined,
): { maxBatches: number; optimizer: Optimizer | undefined } {
  checkModule('model', model);
  const o = checkOptions('recalibrateBatchNorm', options, ['maxBatches', 'optimizer'], {
    example: 'recalibrateBatchNorm(model, loader, { maxBatches: 50, optimizer: opt })',
  });
  const maxBatches = optionOr('maxBatches', o.maxBatches, Number.POSITIVE_INFINITY);
  if (typeof maxBatches !== 'number' || !(maxBatches >= 1) || (Number.isFinite(maxBatches) && !Number.isInteger(maxBatches)))
    throw new HyperParameterError('maxBatches', `maxBatches must be an integer ≥ 1 (e.g. 50), got ${describeValue(maxBatches)}`);
  const optimizer = o.optimizer;
  if (optimizer !== undefined && (optimizer === null || typeof optimizer !== 'object' || typeof optimizer.eval !== 'function' || !('mode' in optimizer)))
    throw new HyperParameterError(
      'optimizer',
      `optimizer must be the Optimizer training the model (new Optimizer(params, tx)), got ${describeValue(optimizer)}`,
    );
  if (batches === null || typeof batches !== 'object' || typeof (batches as Iterable<unknown>)[Symbol.iterator] !== 'function')
    throw new HyperParameterError(
      'batches',
      `batches must be an iterable of input tensors (or of { x } batches), e.g. [x1, x2] or batches({ x, y }, { batchSize: 64 }); got ${describeValue(batches)}`,
    );
  return { maxBatches, optimizer };
}

/** Sets a BatchNorm's momentum (`null`: cumulative average), as PyTorch's `bn.momentum = None`; the module reads it at every update. */
function setMomentum(bn: BatchNormModule, momentum: number | null): void {
  (bn as { momentum: number | null }).momentum = momentum;
}

/** Whether `batches` is a loader made by `batches(data, …)` (whose batches are new tensors for the caller to dispose). */
function isLoader(batches: object): boolean {
  const b = batches as { peekOrder?: unknown; batchSize?: unknown; numSamples?: unknown };
  return typeof b.peekOrder === 'function' && typeof b.batchSize === 'number' && typeof b.numSamples === 'number';
}

/** The input tensor of batch `i`. */
function inputOf(batch: RecalibrationBatch, i: number): tf.Tensor {
  const x = batch instanceof tf.Tensor ? batch : batch !== null && typeof batch === 'object' ? (batch as { x?: unknown }).x : undefined;
  if (!(x instanceof tf.Tensor) || x.isDisposed)
    throw new ValueError(`batches[${i}]`, `batch ${i} must be an input tensor or an object with the input as x, got ${describeValue(batch)}`);
  return x;
}

/**
 * Every BatchNorm with running statistics in `model`, at any depth of the containers of this package
 * (their children); checked against `model.buffers`, so that one inside a container this walk cannot
 * enter is an error rather than left stale.
 */
function batchNormsOf(model: Module): Tracked[] {
  const found: Tracked[] = [];
  const visit = (m: Module) => {
    if (m instanceof BatchNormModule) {
      if (m.runningMean && m.runningVar && m.numBatchesTracked) found.push(m as Tracked);
      return;
    }
    const children = (m as unknown as { children?: () => readonly Module[] }).children;
    if (typeof children === 'function') for (const c of children.call(m)) visit(c);
  };
  visit(model);
  const reached = new Set<tf.Tensor>(found.map((bn) => bn.runningMean));
  const missed = flatten(model.buffers ?? {}).find(({ path, value }) => /(^|\.)runningMean$/.test(path) && !reached.has(value));
  if (missed)
    throw new ValueError(
      'model',
      `recalibrateBatchNorm cannot reach the BatchNorm whose buffer is '${missed.path}' (it is inside a container that does not list its children): recalibrate it directly`,
    );
  if (found.length === 0)
    throw new ValueError('model', `${model.name} holds no BatchNorm with running statistics (trackRunningStats): there is nothing to recalibrate`);
  return found;
}
