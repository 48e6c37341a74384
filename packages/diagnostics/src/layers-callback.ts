import { HyperParameterError, ValueError } from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import { GradientMonitor, type GradientMonitorOptions } from './monitor.js';
import { share } from './stats.js';

/** What `gradientCallback` needs of a tfjs-layers model: its compiled optimizer. @example `tf.sequential(…)` after `model.compile(…)` */
export interface ModelWithOptimizer {
  /** The optimizer `model.compile` set (tfjs-layers' `LayersModel.optimizer`). */
  readonly optimizer: tf.Optimizer;
}

/**
 * Options of `gradientCallback`.
 *
 * @example
 * ```ts
 * gradientCallback({ model, every: 20, onReport: (r) => console.log(formatText(r)) });
 * ```
 */
export interface GradientCallbackOptions extends GradientMonitorOptions {
  /** The compiled tfjs-layers model being fitted (callbacks cannot see it otherwise). */
  readonly model: ModelWithOptimizer;
  /** Report every `every` optimizer steps (batches). Default 1. */
  readonly every?: number;
  /** The monitor to record into; by default a new one built from these options. */
  readonly monitor?: GradientMonitor;
  /** Called when a report cannot be made or `onReport` throws (default: `console.error`). Training is never interrupted. */
  readonly onError?: (error: unknown) => void;
}

/**
 * A tfjs-layers callback (`model.fit(x, y, { callbacks })`) that diagnoses the gradients of the
 * fit, made by `gradientCallback`.
 *
 * @example
 * ```ts
 * const cb = gradientCallback({ model, every: 10 });
 * await model.fit(xs, ys, { epochs: 3, callbacks: cb });
 * console.log(cb.monitor.history.length);
 * ```
 */
export interface GradientCallback {
  /** The monitor the reports are recorded in (history, trends). */
  readonly monitor: GradientMonitor;
  /** tfjs-layers hook: starts watching the model's optimizer. */
  onTrainBegin(): void;
  /** tfjs-layers hook: stops watching and waits until every report of the fit was delivered. */
  onTrainEnd(): Promise<void>;
  /** Stops watching now (use it when `fit` threw, since tfjs-layers then skips `onTrainEnd`). */
  detach(): void;
  /** Resolves once every report scheduled so far has been delivered. */
  flush(): Promise<void>;
}

type ApplyGradients = tf.Optimizer['applyGradients'];
type VariableGradients = Parameters<ApplyGradients>[0];

/**
 * A tfjs-layers callback that gives `model.fit` users gradkit's gradient reports.
 *
 * How it sees the gradients: tfjs-layers callbacks are only told about batches and epochs, never
 * given the gradients, so from `onTrainBegin` to `onTrainEnd` it wraps the compiled optimizer's
 * `applyGradients` (on that optimizer instance only; the original is restored at the end). On every
 * `every`-th call it keeps the variables' current values (sharing their buffers, no copy), lets the
 * original `applyGradients` take the step, and then records the gradients tfjs computed for the
 * batch, the variables (looked up by name in tfjs's registry, in the model's input-to-output order)
 * and the update the optimizer made (after minus before). Training itself is unchanged. The
 * statistics are read back asynchronously into `monitor` and passed to `onReport`; `onTrainEnd`
 * waits for them, so all reports are in when `fit` resolves.
 * Layers are named by variable name (e.g. `dense_Dense1/kernel`). Taps are not available here.
 *
 * No Keras/PyTorch equivalent in tfjs; it plays the role of a gradient-logging Keras callback.
 *
 * @throws HyperParameterError for a missing `model`, a bad `every` or threshold.
 * @example
 * ```ts
 * model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });
 * const cb = gradientCallback({ model, every: 50, onReport: (r) => console.log(r.step, r.verdict) });
 * await model.fit(xs, ys, { epochs: 5, callbacks: cb });
 * writeFileSync('report.html', toHTML(cb.monitor.history));
 * ```
 */
export function gradientCallback(options: GradientCallbackOptions): GradientCallback {
  const o = options as GradientCallbackOptions | undefined;
  if (!o || typeof o !== 'object' || !o.model || typeof o.model !== 'object')
    throw new HyperParameterError(
      'model',
      'gradientCallback needs { model }: tfjs-layers callbacks do not see the model or its gradients, so pass the model being fitted',
    );
  const every = o.every ?? 1;
  if (typeof every !== 'number' || !Number.isInteger(every) || every < 1)
    throw new HyperParameterError('every', `every must be a whole number ≥ 1, got ${String(o.every)}`);
  if (o.onError !== undefined && typeof o.onError !== 'function') throw new HyperParameterError('onError', 'onError must be a function');
  const monitor = o.monitor ?? new GradientMonitor(o);
  const onError = o.onError ?? ((e: unknown) => console.error('gradientCallback:', e));
  const model = o.model;
  let watched: { optimizer: tf.Optimizer; own: ApplyGradients | undefined } | null = null;
  let iteration = 0;

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
        monitor.observe({ grads, ...(params ? { params, updates: updateTree } : {}), step }).catch(onError);
      } catch (e) {
        onError(e); // a report that cannot be made never stops training
      }
    } finally {
      tf.dispose([...before, ...updates]);
    }
  };

  const detach = () => {
    if (!watched) return;
    const target = watched.optimizer as unknown as Record<string, unknown>;
    if (watched.own) target.applyGradients = watched.own;
    else delete target.applyGradients;
    watched = null;
  };

  return {
    monitor,
    onTrainBegin() {
      const optimizer = model.optimizer;
      if (!optimizer || typeof optimizer.applyGradients !== 'function')
        throw new ValueError('model', 'gradientCallback: the model has no optimizer yet; call model.compile({ optimizer, loss }) before fit');
      detach();
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
      detach();
      await monitor.flush();
    },
    detach,
    flush: () => monitor.flush(),
  };
}
