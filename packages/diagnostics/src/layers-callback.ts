import { HyperParameterError, StateError, ValueError } from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import { wholeNumber } from './checks.js';
import { letFitTakeAsCallback } from './layers-callback-standin.js';
import type { GradientMonitor } from './monitor.js';
import { type RecorderOptions, recorderFor } from './recorder.js';
import { share } from './stats.js';

/** What `gradientCallback` needs of a tfjs-layers model: its compiled optimizer. @example `tf.sequential(…)` after `model.compile(…)` */
export interface ModelWithOptimizer {
  /** The optimizer `model.compile` set (tfjs-layers' `LayersModel.optimizer`). */
  readonly optimizer: tf.Optimizer;
}

/**
 * Options of `gradientCallback`: its own, and any option of `GradientMonitor` (thresholds,
 * `historyLimit`, `onReport` …) for the monitor it makes when none is given.
 *
 * @example
 * ```ts
 * gradientCallback({ model, every: 20, onReport: (r) => console.log(formatText(r)) });
 * ```
 */
export interface GradientCallbackOptions extends RecorderOptions {
  /** The compiled tfjs-layers model being fitted (callbacks cannot see it otherwise). */
  readonly model: ModelWithOptimizer;
  /** Report every `every` optimizer steps (batches). Default 1. */
  readonly every?: number;
  /**
   * The monitor to record into (its history, trends and thresholds); by default a new one built from
   * these options (then give no other monitor setting here: a threshold, `historyLimit`,
   * `activationKinds` or `commitTimeout`). `onReport` is this callback's own either way.
   */
  readonly monitor?: GradientMonitor;
  /** Called when a report cannot be made or `onReport` throws (default: `console.error`). Training is never interrupted. */
  readonly onError?: (error: unknown) => void;
}

/**
 * A tfjs-layers callback (`model.fit(x, y, { callbacks })`) that diagnoses the gradients of the
 * fit, made by `gradientCallback`. Alone, it is a callback config (`{ onTrainBegin, onTrainEnd }`);
 * in a list with tfjs-layers' own callbacks (`tf.callbacks.earlyStopping(…)`), in any order, the
 * model's `fit` passes tfjs-layers a tf.Callback in its place.
 *
 * @example
 * ```ts
 * const cb = gradientCallback({ model, every: 10 });
 * await model.fit(xs, ys, { epochs: 3, callbacks: [cb, tf.callbacks.earlyStopping({ patience: 2 })] });
 * console.log(cb.monitor.history.length);
 * ```
 */
export interface GradientCallback {
  /** The monitor the reports are recorded in (history, trends). */
  readonly monitor: GradientMonitor;
  /**
   * tfjs-layers hook: starts watching the model's optimizer.
   *
   * @throws ValueError naming `model` when it has no optimizer (not compiled); StateError naming
   *   `callback` after `detach()`.
   */
  onTrainBegin(logs?: unknown): void;
  /** tfjs-layers hook: stops watching and waits until every report of the fit was delivered. */
  onTrainEnd(logs?: unknown): Promise<void>;
  /**
   * What tfjs-layers calls on a tf.Callback. It throws: reaching it means tfjs-layers took this
   * callback itself for a tf.Callback, which happens only in the `fit` of a model other than
   * `options.model` (whose `fit` passes a stand-in instead), or after `detach()`.
   *
   * @throws ValueError naming `callbacks`; StateError naming `callback` after `detach()`.
   */
  setParams(params: unknown): void;
  /**
   * Ends this callback: stops watching the optimizer now (use it when `fit` threw, since tfjs-layers
   * then skips `onTrainEnd`) and gives the model's `fit` and `fitDataset` back (see
   * `gradientCallback`). A fit that is given the callback afterwards throws a StateError; to go on
   * recording into the same history, make a new one: `gradientCallback({ model, monitor: cb.monitor })`.
   * Idempotent.
   */
  detach(): void;
  /** Resolves once every report scheduled so far has been delivered. */
  flush(): Promise<void>;
}

type ApplyGradients = tf.Optimizer['applyGradients'];

const detachedError = () =>
  new StateError(
    'callback',
    'this gradientCallback was detached (detach() gave the model its own fit back): make a new one, gradientCallback({ model, monitor: cb.monitor }) to go on recording into the same history',
  );
type VariableGradients = Parameters<ApplyGradients>[0];

const EXAMPLE = 'gradientCallback({ model, every: 20 })';

/**
 * A tfjs-layers callback that gives `model.fit` users gradkit's gradient reports.
 *
 * How it sees the gradients: tfjs-layers callbacks are only told about batches and epochs, never
 * given the gradients, so from `onTrainBegin` to `onTrainEnd` it wraps the compiled optimizer's
 * `applyGradients` (on that optimizer instance only; the original is restored at the end). On every
 * `every`-th call it keeps the variables' current values (sharing their buffers, no copy), lets the
 * original `applyGradients` take the step, and then records the gradients tfjs computed for the
 * batch, the variables (looked up by name in tfjs's registry, in the model's input-to-output order)
 * and the update the optimizer made (after minus before). Training itself is unchanged; a step that
 * throws is not recorded. The statistics are read back asynchronously into `monitor` and passed to
 * `onReport`; `onTrainEnd` waits for them, so all reports are in when `fit` resolves.
 * Layers are named by variable name (e.g. `dense_Dense1/kernel`). Taps are not available here.
 *
 * With tfjs-layers' own callbacks: tfjs-layers takes a `callbacks` list as tf.Callbacks only when
 * its first entry is one, and otherwise treats every entry as a `{ onEpochEnd, … }` config; gradkit
 * does not import tfjs-layers, so the callback cannot be a tf.Callback itself. So that
 * `[cb, tf.callbacks.earlyStopping()]` and `[tf.callbacks.earlyStopping(), cb]` both work,
 * `options.model`'s `fit` and `fitDataset` are replaced, on that instance, by wrappers that call the
 * originals with the same arguments, except that in a `callbacks` list holding a tfjs-layers
 * callback each gradient callback made for that model is replaced by a tf.Callback (built on that
 * callback's base class) that runs it. The wrappers are own properties of the model, installed by
 * the first gradient callback made for it; they are removed (the model's own `fit` and `fitDataset`,
 * or its class's, are back as they were) once no gradient callback of the model is live: each one
 * stops being live when `detach()` is called on it, or when it is garbage-collected. A model that
 * cannot take properties (a frozen object) is left alone: then give the callback alone, or first among
 * callback configs, or after the tfjs-layers callbacks of another gradient callback's model.
 *
 * No Keras/PyTorch equivalent in tfjs; it plays the role of a gradient-logging Keras callback.
 *
 * @throws HyperParameterError for a missing `model`, an unknown option (the valid names listed), a
 *   bad `every`, `onReport`, `onError` or threshold, or monitor settings given beside a `monitor`.
 * @example
 * ```ts
 * model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });
 * const cb = gradientCallback({ model, every: 50, onReport: (r) => console.log(r.step, r.verdict) });
 * await model.fit(xs, ys, { epochs: 5, callbacks: [cb, tf.callbacks.earlyStopping({ monitor: 'loss' })] });
 * writeFileSync('report.html', toHTML(cb.monitor.history));
 * cb.detach(); // done with it: the model's fit is its own again
 * ```
 */
export function gradientCallback(options: GradientCallbackOptions): GradientCallback {
  if (typeof (options as { fit?: unknown } | null)?.fit === 'function')
    throw new HyperParameterError('model', `gradientCallback takes an options object holding the model, not the model itself: ${EXAMPLE}`);
  const recorder = recorderFor('gradientCallback', options, ['model', 'every'], { example: EXAMPLE, required: true });
  const o = recorder.options as Partial<GradientCallbackOptions>;
  if (!o.model || typeof o.model !== 'object')
    throw new HyperParameterError(
      'model',
      'gradientCallback needs { model }: tfjs-layers callbacks do not see the model or its gradients, so pass the model being fitted',
    );
  const every = wholeNumber('every', o.every, 1, 1, 'report every that many optimizer steps');
  const { monitor, onError } = recorder;
  const model = o.model;
  let watched: { optimizer: tf.Optimizer; own: ApplyGradients | undefined } | null = null;
  let iteration = 0;
  let detached = false;

  const observe = (optimizer: tf.Optimizer, inner: ApplyGradients, variableGradients: VariableGradients, step: number) => {
    const list = Array.isArray(variableGradients)
      ? (variableGradients as { name: string; tensor: tf.Tensor }[])
      : Object.entries(variableGradients as tf.NamedTensorMap).map(([name, tensor]) => ({ name, tensor }));
    const registered = tf.engine().registeredVariables;
    const variables = list.map(({ name }) => registered[name]);
    const known = variables.every((v) => v !== undefined);
    const grads = Object.fromEntries(list.map(({ name, tensor }) => [name, tensor]));
    // The values before the step, sharing the variables' current buffers (no copy): optimizers assign new buffers.
    const before = known ? variables.map((v) => share(v as tf.Variable)) : [];
    let updates: tf.Tensor[] = [];
    try {
      inner.call(optimizer, variableGradients);
      try {
        updates = known ? tf.tidy(() => variables.map((v, i) => tf.sub(v as tf.Variable, before[i] as tf.Tensor))) : [];
        const names = list.map((g) => g.name);
        const params = known ? Object.fromEntries(names.map((n, i) => [n, variables[i] as tf.Variable])) : undefined;
        const updateTree = Object.fromEntries(names.map((n, i) => [n, updates[i] as tf.Tensor]));
        recorder.observe({ grads, ...(params ? { params, updates: updateTree } : {}), step });
      } catch (e) {
        onError(e); // a report that cannot be made never stops training
      }
    } finally {
      tf.dispose([...before, ...updates]);
    }
  };

  const unwatch = () => {
    if (!watched) return;
    const target = watched.optimizer as unknown as Record<string, unknown>;
    if (watched.own) target.applyGradients = watched.own;
    else delete target.applyGradients;
    watched = null;
  };

  // The hooks close over their state and never use `this`: tfjs-layers calls them on a CustomCallback
  // wrapper (a config) or on a stand-in tf.Callback.
  const cb: GradientCallback = {
    monitor,
    onTrainBegin() {
      if (detached) throw detachedError();
      const optimizer = model.optimizer;
      if (!optimizer || typeof optimizer.applyGradients !== 'function')
        throw new ValueError('model', 'gradientCallback: the model has no optimizer yet; call model.compile({ optimizer, loss }) before fit');
      unwatch();
      const own = Object.hasOwn(optimizer, 'applyGradients') ? optimizer.applyGradients : undefined;
      const inner = optimizer.applyGradients;
      watched = { optimizer, own };
      optimizer.applyGradients = (variableGradients: VariableGradients) => {
        const step = iteration++;
        if (step % every !== 0) inner.call(optimizer, variableGradients);
        else observe(optimizer, inner, variableGradients, step);
      };
    },
    async onTrainEnd() {
      unwatch();
      await recorder.flush();
    },
    setParams() {
      if (detached) throw detachedError();
      throw new ValueError(
        'callbacks',
        'tfjs-layers took this gradientCallback for a tf.Callback: it was passed, after a tfjs-layers callback, to the fit of a model other than the one given as { model }. Pass it to the fit of that model, whose fit lets it stand in as a tf.Callback',
      );
    },
    detach() {
      unwatch();
      if (detached) return;
      detached = true;
      release();
    },
    flush: () => recorder.flush(),
  };
  const release = letFitTakeAsCallback(model, cb);
  return cb;
}
