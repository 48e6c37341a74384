import { hasEvalPoint, isTransformation, Optimizer, ValueError } from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import { type Batches, batches } from '../batches.js';
import type { EpochLogs, FitCallback, FitRun, History } from './callbacks.js';
import { evaluate } from './evaluate.js';
import { valKey } from './metrics.js';
import { type CheckedFit, checkFit, type FitData, type FitOptions } from './options.js';
import { PROGRESS_BAR, progressBar } from './progress-bar.js';
import { metricVector, scalarLoss, trainStep } from './step.js';

/**
 * Trains a gradkit module: the loop that tfjs-layers users get from `model.fit` (Keras's `fit`),
 * for `@gradkit/nn` modules and any `Module`. Each epoch visits the training samples in a new
 * order (`batches` with `seed`), and on each batch computes `loss(model.apply(x), y)`, its gradients
 * and one optimizer step (the `Optimizer`'s fused path where the chain has one), in `train()` mode;
 * then, with validation, evaluates in `eval()` mode. The model's mode is restored at the end.
 * With an optimizer that keeps an evaluation point (`scheduleFreeAdamW`, `emaParams` …), each epoch
 * trains after `optimizer.train()` and ends with `optimizer.eval()`: validation, callbacks and
 * checkpoints see the evaluation point, and the parameters hold it when `fit` returns (call
 * `optimizer.train()` before stepping it yourself).
 *
 * Logs: the epoch's `loss` and metrics are sample-weighted means of the batches' values,
 * Σ nᵦ·lossᵦ / Σ nᵦ (each batch's value is taken on its predictions before its step, as Keras);
 * `valLoss` and `val<Metric>` are the same over the validation data after the epoch. They go to the
 * callbacks (`onEpochEnd`) and into the returned `History`.
 *
 * All options are checked before anything is made or trained: unknown keys (Keras's `batch_size`,
 * `validation_data` suggest `batchSize`, `validation`), bad values, data whose `x` and `y` differ in
 * samples, and, on one batch of the data in `eval()` mode, a `loss` or metric that does not return a
 * scalar; callbacks then check what they watch (`earlyStopping`'s `monitor`) in `onTrainBegin`,
 * before the first step. A non-finite batch loss follows `onNonFiniteLoss` (by default a ValueError
 * naming `loss`; the step that produced it was taken). To resume from a `checkpoint`, load it and fit
 * with `initialEpoch` and the same `seed`: training continues bit for bit.
 *
 * @returns the `History` (`loss`, `valLoss`, metrics: one value per epoch run).
 * @throws HyperParameterError or UnknownOptionError naming the option; ValueError naming `data.y`,
 *   `loss`, `metrics.<name>` or `optimizer` (an Optimizer over variables the model does not have).
 * @example
 * ```ts
 * const model = sequential(dense({ inFeatures: 784, outFeatures: 128, activation: 'relu' }), dense({ inFeatures: 128, outFeatures: 10 }));
 * const history = await fit({
 *   model, loss: softmaxCrossEntropy, optimizer: adam({ learningRate: 1e-3 }),
 *   data: { x: images, y: labels }, validationSplit: 0.1, epochs: 10, batchSize: 64,
 *   metrics: ['accuracy'], callbacks: [earlyStopping({ patience: 2, restoreBestWeights: true })], seed: 1,
 * });
 * console.log(history.valAccuracy);
 * ```
 */
export async function fit(options: FitOptions): Promise<History> {
  const o = checkFit(options);
  probe(o);
  const callbacks = o.verbose === 1 && !o.callbacks.some((c) => PROGRESS_BAR in c) ? [progressBar(), ...o.callbacks] : o.callbacks;
  // The optimizer first: making it is what can still throw (a parameter that is not a float32 variable).
  const optimizer = isTransformation(o.optimizer) ? new Optimizer(o.model.params, o.optimizer) : o.optimizer;
  const owned: tf.Tensor[] = [];
  const { train, validation } = split(o, owned);
  const wasTraining = o.model.training;
  const loader = batches(train, { batchSize: o.batchSize, shuffle: o.shuffle, ...(o.seed === undefined ? {} : { seed: o.seed }) });
  const names = ['loss', ...o.metrics.map((m) => m.name)];
  const logKeys = validation ? [...names, ...names.map(valKey)] : names;
  const record: Record<string, number[]> = Object.fromEntries([['epoch', []], ...logKeys.map((k) => [k, []])]);
  const history = record as History;
  const run: FitRun = {
    model: o.model,
    optimizer,
    epochs: o.epochs,
    initialEpoch: o.initialEpoch,
    stepsPerEpoch: loader.length,
    numSamples: loader.numSamples,
    logKeys,
    history,
    stopTraining: false,
  };
  let begun = false;
  let failed = false;
  try {
    skipEpochs(loader, o.initialEpoch);
    for (const cb of callbacks) await cb.onTrainBegin?.(run);
    begun = true;
    // An optimizer that keeps an evaluation point (schedule-free, emaParams) trains at its training
    // point and is evaluated, checkpointed and left at its evaluation point.
    const switches = hasEvalPoint(optimizer.transform);
    for (let epoch = o.initialEpoch; epoch < o.epochs && !run.stopTraining; epoch++) {
      if (switches) optimizer.train();
      const logs = await runEpoch(o, callbacks, run, loader, epoch, names);
      if (switches) optimizer.eval();
      if (validation) {
        o.model.eval();
        const val = await evaluate(o.model, o.loss, o.metrics, validation, o.batchSize);
        for (const [k, v] of Object.entries(val)) logs[valKey(k)] = v;
      }
      record.epoch?.push(epoch);
      for (const k of logKeys) record[k]?.push(logs[k] as number);
      for (const cb of callbacks) await cb.onEpochEnd?.(epoch, logs as EpochLogs, run);
    }
    return history;
  } catch (e) {
    failed = true;
    throw e;
  } finally {
    if (wasTraining) o.model.train();
    else o.model.eval();
    await finish(callbacks, run, begun, failed, o.monitor);
    if (optimizer !== o.optimizer) optimizer.dispose();
    tf.dispose(owned);
  }
}

/** One epoch of training steps; returns its logs (sample-weighted means). */
async function runEpoch(
  o: CheckedFit,
  callbacks: readonly FitCallback[],
  run: FitRun,
  loader: Batches<{ x: tf.Tensor; y: tf.Tensor }>,
  epoch: number,
  names: string[],
) {
  for (const cb of callbacks) await cb.onEpochBegin?.(epoch, run);
  o.model.train();
  const sums = names.map(() => 0);
  let samples = 0;
  let b = 0;
  for (const batch of loader) {
    for (const cb of callbacks) await cb.onBatchBegin?.(b, run);
    let logs: Awaited<ReturnType<typeof trainStep>>;
    try {
      logs = await trainStep({ ...o, optimizer: run.optimizer }, batch);
    } finally {
      tf.dispose(batch);
    }
    names.forEach((n, i) => {
      sums[i] = (sums[i] as number) + (logs[n] as number) * logs.size;
    });
    samples += logs.size;
    if (!Number.isFinite(logs.loss)) nonFinite(o, run, epoch, b, logs.loss);
    for (const cb of callbacks) await cb.onBatchEnd?.(b, logs, run);
    b++;
    if (run.stopTraining) break;
  }
  return Object.fromEntries(names.map((n, i) => [n, (sums[i] as number) / samples])) as Record<string, number>;
}

/** What `onNonFiniteLoss` says to do with a NaN or infinite batch loss. */
function nonFinite(o: CheckedFit, run: FitRun, epoch: number, batch: number, loss: number): void {
  if (o.onNonFiniteLoss === 'continue') return;
  const where = `the loss is ${loss} at epoch ${epoch + 1}, batch ${batch + 1} (optimizer step ${run.optimizer.stepCount})`;
  if (o.onNonFiniteLoss === 'stop') {
    console.warn(`fit: ${where}; training stops after this epoch (onNonFiniteLoss: 'stop')`);
    run.stopTraining = true;
    return;
  }
  throw new ValueError(
    'loss',
    `fit: ${where}. The step that produced it was taken, so the parameters may not be finite. Try a lower learning rate or clipping (chain(clipByGlobalNorm(1), …)); with a chain that skips bad steps (applyIfFinite), give onNonFiniteLoss: 'continue'; onNonFiniteLoss: 'stop' ends training instead`,
  );
}

/** Runs the loss and the metrics once, in eval mode, on the first samples: a typed error before any step. */
function probe(o: CheckedFit): void {
  const wasTraining = o.model.training;
  const n = Math.min(o.batchSize, o.data.x.shape[0] as number);
  try {
    o.model.eval();
    tf.tidy(() => {
      const x = tf.slice(o.data.x, 0, n);
      const y = tf.slice(o.data.y, 0, n);
      const p = o.model.apply(x);
      scalarLoss(o.loss(p, y));
      if (o.metrics.length > 0) metricVector(o.metrics, p, y);
    });
  } finally {
    if (wasTraining) o.model.train();
  }
}

/** The training and validation data: `validationSplit` holds out the last samples (new tensors, in `owned`). */
function split(o: CheckedFit, owned: tf.Tensor[]): { train: { x: tf.Tensor; y: tf.Tensor }; validation: FitData | null } {
  if (o.validationSplit === 0) return { train: { x: o.data.x, y: o.data.y }, validation: o.validation };
  const n = o.data.x.shape[0] as number;
  const keep = n - Math.floor(n * o.validationSplit);
  const [x, vx] = tf.split(o.data.x, [keep, n - keep]) as [tf.Tensor, tf.Tensor];
  const [y, vy] = tf.split(o.data.y, [keep, n - keep]) as [tf.Tensor, tf.Tensor];
  owned.push(x, vx, y, vy);
  return { train: { x, y }, validation: { x: vx, y: vy } };
}

/** Moves the loader past `epochs` epochs (their shuffles), as if they had run: an epoch's order is drawn when its iterator is made, no batch is gathered. */
function skipEpochs(loader: Batches<{ x: tf.Tensor; y: tf.Tensor }>, epochs: number): void {
  for (let e = 0; e < epochs; e++) loader[Symbol.iterator]().return?.();
}

/** The end of a fit, whatever happened: `onTrainEnd` (once `onTrainBegin` ran) and the monitor's last reports. */
async function finish(callbacks: readonly FitCallback[], run: FitRun, begun: boolean, failed: boolean, monitor: CheckedFit['monitor']): Promise<void> {
  try {
    if (begun) for (const cb of callbacks) await cb.onTrainEnd?.(run.history, run);
    await monitor?.flush();
  } catch (e) {
    if (!failed) throw e; // the fit's own error is the one to see
  }
}
