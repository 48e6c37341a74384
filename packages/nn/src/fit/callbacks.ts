import { HyperParameterError, type Module, type Optimizer, suggestOption } from '@gradkit/core';

/**
 * What `fit` reports after each training batch: the batch's loss, its number of samples, and each
 * metric (by name) on the batch's predictions, made before the step (as Keras's batch logs).
 *
 * @example `{ loss: 0.31, size: 32, accuracy: 0.875 }`
 */
export interface BatchLogs {
  /** The loss on this batch (the value the step differentiated). */
  readonly loss: number;
  /** Samples in this batch. */
  readonly size: number;
  /** Each metric on this batch, by name. */
  readonly [metric: string]: number;
}

/**
 * What `fit` reports after each epoch: `loss` and every metric (sample-weighted means over the
 * epoch's batches, as Keras), and with validation `valLoss` and `val<Metric>` (`valAccuracy`).
 *
 * @example `{ loss: 0.12, accuracy: 0.97, valLoss: 0.15, valAccuracy: 0.95 }`
 */
export type EpochLogs = Readonly<Record<string, number>>;

/**
 * The record of a `fit`, like Keras's `History.history`: `epoch` (the indices of the epochs run,
 * from `initialEpoch`), and one array per log key with one value per epoch: `loss`, each metric,
 * and with validation `valLoss` and `val<Metric>`.
 *
 * @example
 * ```ts
 * const history = await fit({ model, loss, optimizer, data, epochs: 10, batchSize: 32, validation });
 * history.loss;    // [0.9, 0.5, …] (10 values)
 * history.valLoss; // [0.95, 0.6, …]
 * ```
 */
export interface History {
  /** The indices of the epochs run (0-based, from `initialEpoch`). */
  readonly epoch: number[];
  /** The training loss of each epoch. */
  readonly loss: number[];
  /** `valLoss`, each metric and `val<Metric>`: one value per epoch. */
  readonly [key: string]: number[];
}

/**
 * A fit in progress, as its callbacks see it (Keras's `callback.model` and `params`). Set
 * `stopTraining` to end training: `fit` stops after the current batch, finishes that epoch
 * (its logs, validation and `onEpochEnd`) and returns.
 *
 * @example
 * ```ts
 * const stopAtLoss: FitCallback = { onEpochEnd: (epoch, logs, run) => { if (logs.loss < 0.01) run.stopTraining = true; } };
 * ```
 */
export interface FitRun {
  /** The model being trained. */
  readonly model: Module;
  /** The optimizer taking the steps (the one given, or the one `fit` built from a transformation). */
  readonly optimizer: Optimizer;
  /** The epoch to stop before (`fit`'s `epochs`). */
  readonly epochs: number;
  /** The first epoch's index (`fit`'s `initialEpoch`). */
  readonly initialEpoch: number;
  /** Batches per epoch. */
  readonly stepsPerEpoch: number;
  /** Training samples per epoch. */
  readonly numSamples: number;
  /** The keys every epoch's logs have: `loss`, the metrics, then `valLoss` and `val<Metric>` with validation. */
  readonly logKeys: readonly string[];
  /** The history so far (the same object `fit` returns). */
  readonly history: History;
  /** Set to true to end training after the current batch. */
  stopTraining: boolean;
}

/**
 * A `fit` callback: any of these hooks, each may be async (`fit` awaits it). The protocol is
 * Keras's (`on_train_begin`, `on_epoch_end` …) in camelCase, with the run passed to every hook.
 * `onTrainEnd` is called once `onTrainBegin` was, even when training fails.
 *
 * @example
 * ```ts
 * const logger: FitCallback = { onEpochEnd: (epoch, logs) => console.log(epoch, logs.loss) };
 * await fit({ model, loss, optimizer, data, epochs: 5, batchSize: 32, callbacks: [logger] });
 * ```
 */
export interface FitCallback {
  /** Before the first epoch (after every option was checked). */
  onTrainBegin?(run: FitRun): void | Promise<void>;
  /** Before each epoch. */
  onEpochBegin?(epoch: number, run: FitRun): void | Promise<void>;
  /** Before each training batch (`batch` counts from 0 in the epoch). */
  onBatchBegin?(batch: number, run: FitRun): void | Promise<void>;
  /** After each training step. */
  onBatchEnd?(batch: number, logs: BatchLogs, run: FitRun): void | Promise<void>;
  /** After each epoch, validation included. */
  onEpochEnd?(epoch: number, logs: EpochLogs, run: FitRun): void | Promise<void>;
  /** After the last epoch, or when training stopped or failed. */
  onTrainEnd?(history: History, run: FitRun): void | Promise<void>;
}

/** The hooks of the callback protocol. */
export const HOOKS = ['onTrainBegin', 'onEpochBegin', 'onBatchBegin', 'onBatchEnd', 'onEpochEnd', 'onTrainEnd'] as const;

/**
 * Checks a `callbacks` list: objects whose hooks are functions, with at least one hook; a key that
 * looks like a hook but is not one (`on_epoch_end`, `onEpochStart`) is an error suggesting the hook.
 */
export function checkCallbacks(callbacks: unknown): FitCallback[] {
  if (callbacks === undefined) return [];
  if (!Array.isArray(callbacks)) throw new HyperParameterError('callbacks', 'callbacks must be an array, e.g. callbacks: [earlyStopping({ patience: 3 })]');
  return callbacks.map((cb: unknown, i) => {
    const field = `callbacks[${i}]`;
    if (typeof cb === 'function')
      throw new HyperParameterError(
        field,
        `${field} is a function: call the factory (earlyStopping({ patience: 3 }), not earlyStopping), or give an object of hooks`,
      );
    if (cb === null || typeof cb !== 'object') throw new HyperParameterError(field, `${field} must be an object of hooks (${HOOKS.join(', ')})`);
    const keys = Object.keys(cb);
    for (const key of keys) {
      const isHook = (HOOKS as readonly string[]).includes(key);
      if (isHook && typeof (cb as Record<string, unknown>)[key] !== 'function')
        throw new HyperParameterError(`${field}.${key}`, `${field}.${key} must be a function`);
      if (!isHook && /^on[_A-Z]/.test(key)) {
        const s = suggestOption(key, HOOKS);
        throw new HyperParameterError(
          key,
          `${field} has '${key}', which is not a fit hook${s ? ` (did you mean '${s.key}'?)` : ''}; hooks: ${HOOKS.join(', ')}`,
        );
      }
    }
    if (!HOOKS.some((h) => h in (cb as object))) throw new HyperParameterError(field, `${field} has none of the hooks ${HOOKS.join(', ')}`);
    return cb as FitCallback;
  });
}
