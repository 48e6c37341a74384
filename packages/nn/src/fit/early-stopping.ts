import { checkOptions, describeValue, flatten, HyperParameterError, optionOr } from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import { booleanOption } from '../internal/base.js';
import { syncBuffers } from '../sync-buffers.js';
import type { FitCallback, FitRun } from './callbacks.js';
import { checkMonitoredKey, improves, type MonitorMode, monitored } from './monitored.js';

/** Options of `earlyStopping`. @example `{ monitor: 'valLoss', patience: 3, minDelta: 1e-4, restoreBestWeights: true }` */
export interface EarlyStoppingOptions {
  /** The epoch log to watch (default `'valLoss'`): `'loss'`, `'valLoss'`, a metric or `val<Metric>`. */
  readonly monitor?: string;
  /** Epochs without improvement after which training stops (default 0: the first one). */
  readonly patience?: number;
  /** The least change that counts as an improvement (default 0). */
  readonly minDelta?: number;
  /** `'min'` (lower is better), `'max'`, or `'auto'` (default: `'max'` for accuracies, else `'min'`). */
  readonly mode?: MonitorMode;
  /** The value to improve on from the start (default: none, the first epoch sets the best). */
  readonly baseline?: number;
  /** When it stops, put back the parameters and buffers of the best epoch (default false). */
  readonly restoreBestWeights?: boolean;
}

/** The callback `earlyStopping` returns, with what it saw. @example `stopper.stoppedEpoch // 7, or null` */
export interface EarlyStopping extends FitCallback {
  /** The epoch at which it stopped training, or null. */
  readonly stoppedEpoch: number | null;
  /** The epoch with the best monitored value so far, or null. */
  readonly bestEpoch: number | null;
  /** The best monitored value so far (±Infinity, or `baseline`, before the first epoch). */
  readonly best: number;
}

/**
 * A `fit` callback that stops training once the monitored log has not improved for `patience`
 * epochs. After each epoch: if `current` improves on `best` (`current < best − minDelta` in
 * `'min'` mode, `current > best + minDelta` in `'max'` mode), it becomes the best and the count
 * of bad epochs resets; otherwise the count grows, and training stops when it reaches `patience`.
 * With `restoreBestWeights`, the parameters and buffers of the best epoch are put back when it
 * stops. A NaN or infinite monitored value stops training at once. Keras:
 * `tf.keras.callbacks.EarlyStopping(monitor, min_delta, patience, mode, baseline, restore_best_weights)`. State is reset at each `onTrainBegin`, so one callback may serve several fits.
 *
 * @throws HyperParameterError naming the option for a bad value; `monitor` (at the start of the
 *   fit, before any step) when the fit's logs will not have it (`'val_loss'` suggests `'valLoss'`).
 * @example
 * ```ts
 * const stopper = earlyStopping({ monitor: 'valLoss', patience: 3, restoreBestWeights: true });
 * await fit({ model, loss, optimizer, data, validation, epochs: 100, batchSize: 32, callbacks: [stopper] });
 * stopper.stoppedEpoch; // e.g. 12
 * ```
 */
export function earlyStopping(options: EarlyStoppingOptions = {}): EarlyStopping {
  const o = checkOptions('earlyStopping', options, ['monitor', 'patience', 'minDelta', 'mode', 'baseline', 'restoreBestWeights'], {
    example: "earlyStopping({ monitor: 'valLoss', patience: 3 })",
  });
  const { key, mode } = monitored(optionOr('monitor', o.monitor, 'valLoss'), optionOr('mode', o.mode, 'auto'));
  const patience = optionOr('patience', o.patience, 0);
  if (!Number.isInteger(patience) || patience < 0)
    throw new HyperParameterError('patience', `patience must be an integer ≥ 0 (epochs without improvement), got ${describeValue(patience)}`);
  const minDelta = optionOr('minDelta', o.minDelta, 0);
  if (typeof minDelta !== 'number' || !(minDelta >= 0) || !Number.isFinite(minDelta))
    throw new HyperParameterError('minDelta', `minDelta must be a finite number ≥ 0, got ${describeValue(minDelta)}`);
  const baseline = o.baseline;
  if (baseline !== undefined && (typeof baseline !== 'number' || !Number.isFinite(baseline)))
    throw new HyperParameterError('baseline', `baseline must be a finite number, got ${describeValue(baseline)}`);
  const restore = booleanOption('restoreBestWeights', o.restoreBestWeights, false);
  const start = baseline ?? (mode === 'min' ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY);

  let wait = 0;
  let saved: tf.Tensor[] = [];
  const variablesOf = (run: FitRun) => [...flatten(run.model.params), ...flatten(run.model.buffers ?? {})].map((e) => e.value as tf.Variable);
  const release = () => {
    tf.dispose(saved);
    saved = [];
  };
  const state = {
    stoppedEpoch: null as number | null,
    bestEpoch: null as number | null,
    best: start,
    onTrainBegin(run: FitRun) {
      checkMonitoredKey('earlyStopping', key, run.logKeys);
      state.stoppedEpoch = null;
      state.bestEpoch = null;
      state.best = start;
      wait = 0;
      release();
    },
    async onEpochEnd(epoch: number, logs: Readonly<Record<string, number>>, run: FitRun) {
      const current = logs[key] as number;
      if (improves(current, state.best, mode, minDelta)) {
        state.best = current;
        state.bestEpoch = epoch;
        wait = 0;
        if (restore) {
          release();
          saved = variablesOf(run).map((v) => tf.clone(v));
        }
        return;
      }
      wait++;
      if (wait < patience && Number.isFinite(current)) return;
      state.stoppedEpoch = epoch;
      run.stopTraining = true;
      if (restore && saved.length > 0) {
        variablesOf(run).forEach((v, i) => {
          v.assign(saved[i] as tf.Tensor);
        });
        await syncBuffers(run.model);
      }
    },
    onTrainEnd() {
      release();
    },
  };
  return state;
}
