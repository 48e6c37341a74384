import { checkOptions, describeValue, HyperParameterError, optionOr, saveCheckpoint } from '@gradkit/core';
import type * as tf from '@tensorflow/tfjs-core';
import { booleanOption, checkCount } from '../internal/base.js';
import type { EpochLogs, FitCallback, FitRun } from './callbacks.js';
import { checkMonitoredKey, improves, type MonitorMode, monitored } from './monitored.js';

/** Where `checkpoint` saves: a path or URL (`{epoch}` replaced), or a function of the epoch. @example `'./ckpt/epoch-{epoch}'` */
export type CheckpointDestination = string | ((epoch: number, logs: EpochLogs) => string | tf.io.IOHandler);

/** Options of `checkpoint`. @example `{ destination: './ckpt/epoch-{epoch}', every: 5 }` */
export interface CheckpointOptions {
  /**
   * Where to save, as `saveCheckpoint`'s destination: a directory in Node, a tfjs URL in the browser
   * (`indexeddb://run`), in which `{epoch}` is replaced by the number of epochs done (1, 2 …); without
   * `{epoch}`, each save replaces the previous one. Or a function `(epochsDone, logs)` returning a
   * destination or a `tf.io.IOHandler` (`tf.io.withSaveHandler(async (artifacts) => …)` receives the contents).
   */
  readonly destination: CheckpointDestination;
  /** Save every `every` epochs (default 1). */
  readonly every?: number;
  /** Save only when the monitored log improved on the best so far (default false). */
  readonly saveBestOnly?: boolean;
  /** The log `saveBestOnly` watches (default `'valLoss'`). */
  readonly monitor?: string;
  /** Which way is better for `monitor` (default `'auto'`: `'max'` for accuracies, else `'min'`). */
  readonly mode?: MonitorMode;
}

/**
 * A `fit` callback that saves a checkpoint after every `every` epochs (or, with `saveBestOnly`,
 * after each epoch whose monitored log is the best so far), with core's `saveCheckpoint`: the
 * model's parameters and buffers, the optimizer's state, and as metadata `{ epoch, logs }`, where
 * `epoch` is the number of epochs done. To resume exactly, load it into the same model and
 * optimizer and fit on from there with the same seed:
 * `const { metadata } = await loadCheckpoint(dir, { module: model, optimizer }); await fit({ …, initialEpoch: metadata.epoch })`.
 * `fit` awaits each save. Keras: `tf.keras.callbacks.ModelCheckpoint(filepath, save_best_only, save_freq='epoch')`.
 *
 * @throws HyperParameterError naming the option for a bad value; `monitor` (at the start of the fit)
 *   when `saveBestOnly` watches a log the fit does not have.
 * @example
 * ```ts
 * await fit({ model, loss, optimizer, data, epochs: 20, batchSize: 32, callbacks: [checkpoint({ destination: './ckpt/epoch-{epoch}', every: 5 })] });
 * ```
 */
export function checkpoint(options: CheckpointOptions): FitCallback {
  const o = checkOptions('checkpoint', options, ['destination', 'every', 'saveBestOnly', 'monitor', 'mode'], {
    example: "checkpoint({ destination: './ckpt/epoch-{epoch}' })",
    required: true,
  });
  const { destination } = o;
  if (typeof destination !== 'function' && (typeof destination !== 'string' || destination === ''))
    throw new HyperParameterError(
      'destination',
      `destination must be a path or URL ('./ckpt/epoch-{epoch}') or a function (epoch, logs) => destination, got ${describeValue(destination)}`,
    );
  const every = checkCount('every', optionOr('every', o.every, 1), 'epochs');
  const bestOnly = booleanOption('saveBestOnly', o.saveBestOnly, false);
  if (!bestOnly && (o.monitor !== undefined || o.mode !== undefined))
    throw new HyperParameterError(o.monitor !== undefined ? 'monitor' : 'mode', 'checkpoint: monitor and mode choose the best epoch, for saveBestOnly: true');
  const { key, mode } = monitored(optionOr('monitor', o.monitor, 'valLoss'), optionOr('mode', o.mode, 'auto'));
  let best = Number.NaN;
  return {
    onTrainBegin(run: FitRun) {
      if (bestOnly) checkMonitoredKey('checkpoint', key, run.logKeys);
      best = mode === 'min' ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
    },
    async onEpochEnd(epoch: number, logs: EpochLogs, run: FitRun) {
      const done = epoch + 1;
      if (bestOnly) {
        const current = logs[key] as number;
        if (!improves(current, best, mode, 0)) return;
        best = current;
      } else if (done % every !== 0) return;
      const where = typeof destination === 'function' ? destination(done, logs) : destination.replaceAll('{epoch}', String(done));
      await saveCheckpoint(where, { module: run.model, optimizer: run.optimizer, metadata: { epoch: done, logs: { ...logs } } });
    },
  };
}
