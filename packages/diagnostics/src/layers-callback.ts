import { HyperParameterError, StateError, ValueError } from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import { wholeNumber } from './checks.js';
import { letFitTakeAsCallback } from './layers-callback-standin.js';
import { type LayerLike, learningRateOfOptimizer, modelFacts, optimizerFacts } from './layers-facts.js';
import type { GradientMonitor, ObservationExtras } from './monitor.js';
import { checkProbe, makeProbe, type ProbeInput, type ProbeRun } from './probe.js';
import { type RecorderOptions, recorderFor } from './recorder.js';
import type { RunFacts } from './remedies.js';
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
   * A batch of inputs to run through the model at each report (a tensor, or one per model input,
   * shaped like the model's inputs: `[batch, …inputShape]`): every layer's output for it is passed
   * to the monitor as an activation (no gradients), so dead units (ReLU units never > 0 over the
   * batch), saturation (sigmoid/tanh/softmax outputs within `saturationMargin` of their bounds) and
   * exploding activations (a layer's std above `activationGrowth` × the first layer's) are seen. A
   * layer's kind comes from its `activation` config (relu, sigmoid, tanh; softmax counts as
   * sigmoid; layers without one are inferred from their values). The forward pass runs in inference
   * mode (Dropout off, BatchNormalization's moving statistics), on the weights before the step.
   * The probe model is built once (a tf.model over `model.inputs` and each layer's output); its
   * outputs are disposed after each report. Keep `probe` alive while the callback is used; it is
   * the caller's. A few dozen samples are enough. Keras users get the same from
   * `tf.keras.Model(model.inputs, [l.output for l in model.layers])`.
   *
   * @example
   * ```ts
   * gradientCallback({ model, every: 20, probe: xs.slice(0, 64) });
   * ```
   */
  readonly probe?: ProbeInput;
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
   * tfjs-layers hook: starts watching the model's optimizer (its `applyGradients` and
   * `computeGradients`), reads what the model has in place and builds the probe model.
   *
   * @throws ValueError naming `model` when it has no optimizer (not compiled), or, with a `probe`,
   *   when it is not a built tfjs-layers model; ValueError naming `probe` when the probe does not
   *   fit its inputs; StateError naming `callback` after `detach()`.
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

/** The optimizer's `computeGradients` and `applyGradients` before the callback wrapped them (own properties, or undefined for the class's). */
interface Watched {
  readonly optimizer: tf.Optimizer;
  readonly own: ApplyGradients | undefined;
  readonly ownCompute: tf.Optimizer['computeGradients'] | undefined;
}

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
 * Layers are named by variable name (e.g. `dense_Dense1/kernel`). Taps are not available here: give
 * `probe` (a batch of inputs) to see every layer's output (dead units, saturation, exploding
 * activations) at each report.
 *
 * What else each report knows: the batch's loss (`report.loss`, the value tfjs-layers logs as
 * `logs.loss`, taken from the optimizer's `computeGradients` and read back asynchronously), for the
 * spike rule; the optimizer's learning rate at the step (`optimizer.learningRate`), so that a
 * schedule's decay is not a small-updates finding; and the model itself: its findings speak
 * tfjs-layers' API (`kernelInitializer: 'heNormal'`, `tf.layers.batchNormalization()`, clipping
 * through gradkit's `toTfOptimizer` adapter, since tfjs optimizers cannot clip) and never offer what
 * it already has (BatchNormalization/LayerNormalization or Add layers, He initializers on its relu
 * layers, Glorot on its tanh layers, the clipping of a gradkit chain behind `toTfOptimizer`).
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
 *   bad `every`, `onReport`, `onError` or threshold, monitor settings given beside a `monitor`, or a
 *   `probe` that is not a live tensor (or array of them); ValueError naming `probe` for shapes that
 *   do not fit the model's inputs.
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
  const recorder = recorderFor('gradientCallback', options, ['model', 'every', 'probe'], { example: EXAMPLE, required: true });
  const o = recorder.options as Partial<GradientCallbackOptions>;
  if (!o.model || typeof o.model !== 'object')
    throw new HyperParameterError(
      'model',
      'gradientCallback needs { model }: tfjs-layers callbacks do not see the model or its gradients, so pass the model being fitted',
    );
  const every = wholeNumber('every', o.every, 1, 1, 'report every that many optimizer steps');
  if (o.probe !== undefined) checkProbe(o.probe, o.model);
  const { monitor, onError } = recorder;
  const model = o.model;
  let watched: Watched | null = null;
  let iteration = 0;
  let detached = false;
  /** The loss of the batch being stepped (from computeGradients), until applyGradients takes it. */
  let batchLoss: tf.Scalar | undefined;
  /** What the model has in place, and its probe: made at the first onTrainBegin (the model is built then). */
  let facts: RunFacts | undefined;
  let probe: { run(): ProbeRun } | undefined;

  const probeRun = (): ProbeRun | undefined => {
    if (!probe) return undefined;
    try {
      return probe.run();
    } catch (e) {
      onError(e); // a report without activations, and training goes on
      return undefined;
    }
  };

  /** The batch's loss as a promise of a number, read from a copy kept past tfjs-layers' tidy (disposed once read). */
  const lossOf = (loss: tf.Scalar | undefined): Promise<number> | undefined => {
    if (!loss || loss.isDisposed) return undefined;
    const kept = tf.keep(tf.clone(loss));
    const read = kept.data().then(
      (d) => {
        kept.dispose();
        return d[0] as number;
      },
      (e: unknown) => {
        kept.dispose();
        throw e;
      },
    );
    read.catch(() => undefined); // the monitor reports a failed read; when it never gets this promise, nobody must
    return read;
  };

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
    // The rate of this step and the layers' outputs on the weights before it (the weights the gradients are of).
    const learningRate = learningRateOfOptimizer(optimizer);
    const probed = probeRun();
    const loss = lossOf(batchLoss);
    try {
      inner.call(optimizer, variableGradients);
      try {
        updates = known ? tf.tidy(() => variables.map((v, i) => tf.sub(v as tf.Variable, before[i] as tf.Tensor))) : [];
        const names = list.map((g) => g.name);
        const params = known ? Object.fromEntries(names.map((n, i) => [n, variables[i] as tf.Variable])) : undefined;
        const updateTree = Object.fromEntries(names.map((n, i) => [n, updates[i] as tf.Tensor]));
        const extras: ObservationExtras = { ...(facts ? { facts } : {}), ...(probed ? { activationKinds: probed.kinds } : {}) };
        recorder.observe(
          {
            grads,
            ...(params ? { params, updates: updateTree } : {}),
            ...(probed ? { activations: probed.activations } : {}),
            ...(loss ? { loss } : {}),
            ...(learningRate === undefined ? {} : { learningRate }),
            step,
          },
          extras,
        );
      } catch (e) {
        onError(e); // a report that cannot be made never stops training
      }
    } finally {
      tf.dispose([...before, ...updates, ...Object.values(probed?.activations ?? {})]);
    }
  };

  /** The facts of the model (its layers, initializers, optimizer, outputs) and its probe, once it is built and compiled. */
  const learnModel = (optimizer: tf.Optimizer) => {
    const m = model as unknown as { layers?: readonly LayerLike[]; outputs?: readonly { sourceLayer?: { name?: string } }[] };
    const outputs = (Array.isArray(m.outputs) ? m.outputs : []).flatMap((t) => (typeof t?.sourceLayer?.name === 'string' ? [t.sourceLayer.name] : []));
    const { inChain, call } = optimizerFacts(optimizer);
    const layers = Array.isArray(m.layers) ? m.layers : [];
    facts = { ...modelFacts(layers, outputs, call), inChain };
    if (o.probe !== undefined && probe === undefined) probe = makeProbe(model, o.probe);
  };

  const unwatch = () => {
    if (!watched) return;
    const target = watched.optimizer as unknown as Record<string, unknown>;
    if (watched.own) target.applyGradients = watched.own;
    else delete target.applyGradients;
    if (watched.ownCompute) target.computeGradients = watched.ownCompute;
    else delete target.computeGradients;
    watched = null;
    batchLoss = undefined;
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
      learnModel(optimizer);
      const own = Object.hasOwn(optimizer, 'applyGradients') ? optimizer.applyGradients : undefined;
      const ownCompute = Object.hasOwn(optimizer, 'computeGradients') ? optimizer.computeGradients : undefined;
      const inner = optimizer.applyGradients;
      const compute = optimizer.computeGradients;
      watched = { optimizer, own, ownCompute };
      // tf.Optimizer.minimize (what tfjs-layers' fit calls) computes the loss and gradients, then applies them: the loss is the batch's.
      optimizer.computeGradients = (f, varList) => {
        const result = compute.call(optimizer, f, varList);
        batchLoss = result.value;
        return result;
      };
      optimizer.applyGradients = (variableGradients: VariableGradients) => {
        const step = iteration++;
        try {
          if (step % every !== 0) inner.call(optimizer, variableGradients);
          else observe(optimizer, inner, variableGradients, step);
        } finally {
          batchLoss = undefined;
        }
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
