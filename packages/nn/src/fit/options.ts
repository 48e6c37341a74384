import {
  checkOptions,
  describeValue,
  flatten,
  type GradientTransformation,
  type GradTree,
  HyperParameterError,
  isTransformation,
  type Module,
  Optimizer,
  optionOr,
  type ParamTree,
  type Taps,
  ValueError,
} from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import { booleanOption, checkCount } from '../internal/base.js';
import { checkCallbacks, type FitCallback } from './callbacks.js';
import { type Metric, type NamedMetric, resolveMetrics } from './metrics.js';

/** The training (or validation) data of `fit`: inputs and targets sharing their first axis. @example `{ x: tf.zeros([100, 8]), y: tf.zeros([100, 1]) }` */
export interface FitData {
  /** The inputs, `[samples, …]`. */
  readonly x: tf.Tensor;
  /** The targets, `[samples, …]` (class indices, one-hot, values …: whatever `loss` takes). */
  readonly y: tf.Tensor;
}

/**
 * What `fit`'s `monitor` receives every `monitorEvery` steps, before the step: the gradients, the
 * parameters, the taps of the forward and backward pass (`withTaps`), the step number, whether
 * the step took effect, the loss (for the monitor's loss-spike rule) and the learning rate (so that
 * a schedule's own decay is not taken for steps too small to learn). It is `GradientMonitor.observe`'s input (@gradkit/diagnostics).
 *
 * @example `{ grads, params: model.params, taps, step: 12, committed }`
 */
export interface GradientObservation {
  /** ∂loss/∂params, keyed like the parameters. */
  readonly grads: GradTree;
  /** The parameters (before the step). */
  readonly params: ParamTree;
  /** The taps of this step (every module's output and ∂loss/∂output). */
  readonly taps: Taps;
  /** The optimizer's step count before the step. */
  readonly step: number;
  /** Resolves true once the step took effect, false if it failed. */
  readonly committed: Promise<boolean>;
  /** Resolves to the step's loss once `fit` reads it back with the metrics (a failed step's rejects). */
  readonly loss: Promise<number>;
  /** The optimizer's learning rate at this step (its first part that has one, a schedule evaluated), when it has one. */
  readonly learningRate?: number;
}

/**
 * Something that watches the gradients during `fit`: a `GradientMonitor` of @gradkit/diagnostics
 * fits as it is. `observe` must not keep the tensors past its return (they are disposed then);
 * `fit` awaits `flush()` before it returns.
 *
 * @example
 * ```ts
 * const monitor: GradientObserver = new GradientMonitor({ onReport: (r) => console.log(formatText(r)) });
 * ```
 */
export interface GradientObserver {
  /** Looks at one step's gradients (queues its statistics; resolves once they are read back). */
  observe(observation: GradientObservation): Promise<unknown>;
  /** Resolves once every observation so far is done. */
  flush(): Promise<void>;
}

/** What `fit` does when a batch's loss is NaN or infinite. @example `'throw'` */
export type NonFiniteLoss = 'throw' | 'stop' | 'continue';

/**
 * Options of `fit`. `model`, `loss`, `optimizer`, `data`, `epochs` and `batchSize` are required.
 *
 * @example
 * ```ts
 * { model, loss: softmaxCrossEntropy, optimizer: adam(), data: { x, y }, epochs: 10, batchSize: 32, validationSplit: 0.1, metrics: ['accuracy'], seed: 1 }
 * ```
 */
export interface FitOptions<M extends Module = Module> {
  /** The module to train (its `params`; `train()` for the epochs, `eval()` for validation; its mode is restored at the end). */
  readonly model: M;
  /** `(prediction, target) => scalar`: the mean loss over a batch (e.g. `softmaxCrossEntropy`, `meanSquaredError`). */
  readonly loss: (prediction: tf.Tensor, target: tf.Tensor) => tf.Scalar;
  /**
   * An `Optimizer` over (some of) `model.params`, which keeps its state across fits and can be
   * checkpointed; or a gradient transformation (`adam()`), from which `fit` builds an `Optimizer`
   * over `model.params` for this fit only (disposed at the end).
   */
  readonly optimizer: Optimizer | GradientTransformation;
  /** The training data, `{ x, y }`. `fit` keeps and never disposes it. */
  readonly data: FitData;
  /** The epoch to stop before: epochs `initialEpoch` … `epochs − 1` run (Keras's `epochs`). */
  readonly epochs: number;
  /** Samples per step (the last batch of an epoch is smaller when it does not divide the samples). */
  readonly batchSize: number;
  /** Validation data, evaluated after each epoch in `eval()` mode (`valLoss`, `val<Metric>`). */
  readonly validation?: FitData;
  /** Or a fraction in (0, 1) of `data` held out for validation: its last samples, before any shuffling (Keras's `validation_split`). */
  readonly validationSplit?: number;
  /** `'accuracy'` and metric functions, logged per epoch (on training and validation data). */
  readonly metrics?: readonly Metric[];
  /** Callbacks (`earlyStopping`, `checkpoint`, `progressBar`, your own). */
  readonly callbacks?: readonly FitCallback[];
  /** Shuffle the training samples anew at each epoch (default true). */
  readonly shuffle?: boolean;
  /** Seed of the shuffles (default: a fresh random seed). The same seed gives the same batches on every backend. */
  readonly seed?: number;
  /** 1 (default): a `progressBar()` on stderr unless `callbacks` holds one; 0: silent. */
  readonly verbose?: 0 | 1;
  /** The index of the first epoch (default 0): resume after a checkpoint, skipping that many shuffles. */
  readonly initialEpoch?: number;
  /** What to do when a batch's loss is not finite: `'throw'` (default) a ValueError naming `loss`; `'stop'` end training after that epoch, with a warning; `'continue'` go on (for a chain that skips bad steps, such as `applyIfFinite`). */
  readonly onNonFiniteLoss?: NonFiniteLoss;
  /** Watches the gradients and taps of every `monitorEvery`-th step: a `GradientMonitor` of @gradkit/diagnostics. */
  readonly monitor?: GradientObserver;
  /** Steps between two observations of `monitor` (default 1: every step; steps 0, n, 2n …). */
  readonly monitorEvery?: number;
}

const KEYS = [
  'model',
  'loss',
  'optimizer',
  'data',
  'epochs',
  'batchSize',
  'validation',
  'validationSplit',
  'metrics',
  'callbacks',
  'shuffle',
  'seed',
  'verbose',
  'initialEpoch',
  'onNonFiniteLoss',
  'monitor',
  'monitorEvery',
];
const EXAMPLE = 'fit({ model, loss, optimizer: adam(), data: { x, y }, epochs: 10, batchSize: 32 })';

/** `fit`'s options, checked; nothing is made yet. */
export interface CheckedFit {
  readonly model: Module;
  readonly loss: (prediction: tf.Tensor, target: tf.Tensor) => tf.Scalar;
  readonly optimizer: Optimizer | GradientTransformation;
  readonly data: FitData;
  readonly validation: FitData | null;
  readonly validationSplit: number;
  readonly epochs: number;
  readonly initialEpoch: number;
  readonly batchSize: number;
  readonly metrics: NamedMetric[];
  readonly callbacks: FitCallback[];
  readonly shuffle: boolean;
  readonly seed: number | undefined;
  readonly verbose: 0 | 1;
  readonly onNonFiniteLoss: NonFiniteLoss;
  readonly monitor: GradientObserver | null;
  readonly monitorEvery: number;
}

/** `{ x, y }` of live tensors with as many samples; `field` names it in errors. */
function checkData(field: string, data: unknown): FitData {
  if (data === null || typeof data !== 'object' || data instanceof tf.Tensor || Array.isArray(data))
    throw new ValueError(field, `${field} must be { x, y }: the inputs and targets, e.g. ${field}: { x: images, y: labels }`);
  const d = checkOptions(`fit ${field}`, data as FitData, ['x', 'y'], { example: `${field}: { x, y }`, required: true });
  for (const k of ['x', 'y'] as const) {
    const t = d[k];
    if (!(t instanceof tf.Tensor)) throw new ValueError(`${field}.${k}`, `${field}.${k} must be a tf.Tensor, got ${describeValue(t)}`);
    if (t.isDisposed) throw new ValueError(`${field}.${k}`, `${field}.${k} was disposed`);
    if (t.rank < 1) throw new ValueError(`${field}.${k}`, `${field}.${k} is a scalar: samples are its first axis`);
  }
  if (d.x.shape[0] !== d.y.shape[0])
    throw new ValueError(`${field}.y`, `${field}.y has ${d.y.shape[0]} samples (first axis) but ${field}.x has ${d.x.shape[0]}`);
  if (d.x.shape[0] === 0) throw new ValueError(`${field}.x`, `${field} has no samples`);
  return d;
}

function checkModel(model: unknown): Module {
  if (typeof model === 'function') throw new HyperParameterError('model', 'model is a function: call the factory (dense({ … }), not dense), or pass a module');
  const m = model as Partial<Module> | null;
  if (m === null || typeof m !== 'object' || typeof m.apply !== 'function' || typeof m.train !== 'function' || typeof m.eval !== 'function' || !m.params)
    throw new HyperParameterError('model', `model must be a gradkit module (apply, params, train, eval), got ${describeValue(model)}`);
  return m as Module;
}

function checkOptimizer(optimizer: unknown, model: Module): Optimizer | GradientTransformation {
  if (optimizer instanceof Optimizer) {
    const own = new Set(flatten(model.params).map((e) => e.value));
    const stray = flatten(optimizer.params).find((e) => !own.has(e.value));
    if (stray)
      throw new ValueError(
        'optimizer',
        `the optimizer updates '${stray.path}', which is not a parameter of the model: make it over the model's, new Optimizer(model.params, adam())`,
      );
    return optimizer;
  }
  if (isTransformation(optimizer)) return optimizer;
  if (typeof optimizer === 'function') throw new HyperParameterError('optimizer', 'optimizer is a function: call it (adam(), not adam), or pass an Optimizer');
  throw new HyperParameterError(
    'optimizer',
    `optimizer must be a gradkit Optimizer or a gradient transformation such as adam({ learningRate: 1e-3 }), got ${describeValue(optimizer)}`,
  );
}

/** Checks every option of `fit` before anything is made or trained. */
export function checkFit(options: FitOptions): CheckedFit {
  if (typeof (options as { apply?: unknown } | null)?.apply === 'function')
    throw new HyperParameterError('model', `fit takes one options object holding the model, not the model itself: ${EXAMPLE}`);
  if (options !== null && typeof options === 'object' && ('x' in options || 'y' in options))
    throw new HyperParameterError('x' in options ? 'x' : 'y', `fit takes the data as data: { x, y } (not Keras's fit(x, y)): ${EXAMPLE}`);
  const o = checkOptions('fit', options, KEYS, { example: EXAMPLE, required: true });
  const model = checkModel(o.model);
  if (typeof o.loss !== 'function')
    throw new HyperParameterError(
      'loss',
      `loss must be a function (prediction, target) => scalar, e.g. softmaxCrossEntropy or meanSquaredError, got ${describeValue(o.loss)}`,
    );
  const optimizer = checkOptimizer(o.optimizer, model);
  const data = checkData('data', o.data);
  if (o.epochs === undefined) throw new HyperParameterError('epochs', `fit needs epochs: ${EXAMPLE}`);
  const epochs = checkCount('epochs', o.epochs, 'the epoch to stop before');
  const initialEpoch = o.initialEpoch ?? 0;
  if (o.initialEpoch === null || !Number.isInteger(initialEpoch) || initialEpoch < 0 || initialEpoch >= epochs)
    throw new HyperParameterError(
      'initialEpoch',
      `initialEpoch must be an integer in [0, epochs − 1] = [0, ${epochs - 1}], got ${describeValue(o.initialEpoch)}`,
    );
  if (o.batchSize === undefined) throw new HyperParameterError('batchSize', `fit needs batchSize: ${EXAMPLE}`);
  const batchSize = checkCount('batchSize', o.batchSize, 'samples per step');
  if (o.validation !== undefined && o.validationSplit !== undefined)
    throw new HyperParameterError('validationSplit', 'give validation data or a validationSplit, not both');
  const validation = optionOr('validation', o.validation, undefined) === undefined ? null : checkData('validation', o.validation);
  const validationSplit = optionOr('validationSplit', o.validationSplit, 0);
  const samples = data.x.shape[0] as number;
  if (o.validationSplit !== undefined) {
    if (typeof validationSplit !== 'number' || !(validationSplit > 0 && validationSplit < 1))
      throw new HyperParameterError('validationSplit', `validationSplit must be a fraction in (0, 1), got ${describeValue(o.validationSplit)}`);
    const held = Math.floor(samples * validationSplit);
    if (held < 1 || held >= samples)
      throw new HyperParameterError('validationSplit', `validationSplit ${validationSplit} of ${samples} samples holds out ${held}: both parts need a sample`);
  }
  const trainSamples = samples - Math.floor(samples * validationSplit);
  if (batchSize > trainSamples)
    throw new HyperParameterError(
      'batchSize',
      `batchSize ${batchSize} is larger than the training data (${trainSamples} samples): use a batchSize ≤ ${trainSamples}`,
    );
  const shuffle = booleanOption('shuffle', o.shuffle, true);
  if (o.seed !== undefined && (!shuffle || typeof o.seed !== 'number' || !Number.isInteger(o.seed)))
    throw new HyperParameterError(
      'seed',
      shuffle ? `seed must be an integer, got ${describeValue(o.seed)}` : 'seed seeds the shuffles, which shuffle: false turns off',
    );
  const verbose = optionOr('verbose', o.verbose, 1);
  if (verbose !== 0 && verbose !== 1)
    throw new HyperParameterError('verbose', `verbose must be 0 (silent) or 1 (progress bar), got ${describeValue(o.verbose)}`);
  const onNonFiniteLoss = optionOr('onNonFiniteLoss', o.onNonFiniteLoss, 'throw');
  if (!['throw', 'stop', 'continue'].includes(onNonFiniteLoss as string))
    throw new HyperParameterError('onNonFiniteLoss', `onNonFiniteLoss must be 'throw', 'stop' or 'continue', got ${describeValue(o.onNonFiniteLoss)}`);
  const monitor = o.monitor ?? null;
  if (o.monitor === null || (monitor !== null && (typeof monitor.observe !== 'function' || typeof monitor.flush !== 'function')))
    throw new HyperParameterError(
      'monitor',
      `monitor must have observe and flush (a GradientMonitor of @gradkit/diagnostics), got ${describeValue(o.monitor)}`,
    );
  if (o.monitorEvery !== undefined && monitor === null) throw new HyperParameterError('monitorEvery', 'monitorEvery needs a monitor');
  const monitorEvery = o.monitorEvery === undefined ? 1 : checkCount('monitorEvery', o.monitorEvery, 'steps between observations');
  return {
    model,
    loss: o.loss,
    optimizer,
    data,
    validation,
    validationSplit,
    epochs,
    initialEpoch,
    batchSize,
    metrics: resolveMetrics(o.metrics),
    callbacks: checkCallbacks(o.callbacks),
    shuffle,
    seed: o.seed,
    verbose,
    onNonFiniteLoss,
    monitor,
    monitorEvery,
  };
}
