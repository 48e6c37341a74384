import { type Module, type Optimizer, ValueError, valueAndGrad, withTaps } from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import type { BatchLogs } from './callbacks.js';
import type { NamedMetric } from './metrics.js';
import type { FitData, GradientObserver } from './options.js';

/** What a training step of `fit` uses. */
export interface StepSetup {
  readonly model: Module;
  readonly loss: (prediction: tf.Tensor, target: tf.Tensor) => tf.Scalar;
  readonly optimizer: Optimizer;
  readonly metrics: readonly NamedMetric[];
  readonly monitor: GradientObserver | null;
  readonly monitorEvery: number;
}

/** The loss's value, or a ValueError naming `loss` when it is not a scalar tensor. */
export function scalarLoss(value: unknown): tf.Scalar {
  if (!(value instanceof tf.Tensor))
    throw new ValueError('loss', `loss must return a scalar tensor (the mean loss over the batch), got ${value === null ? 'null' : typeof value}`);
  if (value.rank !== 0)
    throw new ValueError(
      'loss',
      `loss returned a tensor of shape [${value.shape.join(', ')}]: it must return a scalar, the mean over the batch (e.g. wrap it in tf.mean)`,
    );
  return value as tf.Scalar;
}

/** The scalar of metric `name`, or a ValueError naming it. */
function scalarMetric(name: string, value: unknown): tf.Scalar {
  if (!(value instanceof tf.Tensor) || value.rank !== 0)
    throw new ValueError(
      `metrics.${name}`,
      `metric '${name}' must return a scalar tensor, got ${value instanceof tf.Tensor ? `shape [${value.shape.join(', ')}]` : typeof value}`,
    );
  return value as tf.Scalar;
}

/** Every metric of `prediction` against `target`, as one float32 vector (one read back). */
export function metricVector(metrics: readonly NamedMetric[], prediction: tf.Tensor, target: tf.Tensor): tf.Tensor1D {
  return tf.tidy(() => tf.stack(metrics.map((m) => tf.cast(scalarMetric(m.name, m.fn(prediction, target)), 'float32'))) as tf.Tensor1D);
}

/**
 * One training step on a batch: the loss, its gradients and one optimizer step (the fused path
 * where the chain has one), then the metrics on the batch's predictions (made before the step). On
 * every `monitorEvery`-th step with a monitor, the gradients and taps go to `monitor.observe` first.
 * The loss and the metrics come back from the device in one read.
 */
export async function trainStep(s: StepSetup, batch: FitData): Promise<BatchLogs> {
  let prediction: tf.Tensor | null = null;
  const lossOf = () => {
    const p = s.model.apply(batch.x);
    const l = scalarLoss(s.loss(p, batch.y));
    if (s.metrics.length > 0) prediction = tf.keep(p);
    return l;
  };
  const size = batch.x.shape[0] as number;
  const observe = s.monitor !== null && s.optimizer.stepCount % s.monitorEvery === 0;
  if (!observe && s.metrics.length === 0) return { loss: await s.optimizer.minimize(lossOf), size };
  let values: tf.Tensor | null = null;
  const lossRead = deferred();
  try {
    const value = optimizerStep(s, lossOf, observe ? lossRead.promise : undefined);
    values = tf.tidy(() => {
      const loss = tf.reshape(value, [1]);
      return prediction ? tf.concat([loss, metricVector(s.metrics, prediction, batch.y)]) : loss;
    });
    value.dispose();
    const [loss, ...metrics] = await values.data();
    lossRead.resolve(loss as number);
    return { loss: loss as number, size, ...Object.fromEntries(s.metrics.map((m, i) => [m.name, metrics[i] as number])) };
  } catch (e) {
    lossRead.reject(e);
    throw e;
  } finally {
    tf.dispose([prediction as tf.Tensor | null, values].filter((t): t is tf.Tensor => t !== null));
  }
}

/** A promise of the step's loss, settled once `trainStep` reads it back with the metrics (no extra read). */
function deferred(): { promise: Promise<number>; resolve: (loss: number) => void; reject: (e: unknown) => void } {
  let resolve: (loss: number) => void = () => undefined;
  let reject: (e: unknown) => void = () => undefined;
  const promise = new Promise<number>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => undefined); // a failed step's loss is never read: the monitor drops that report
  return { promise, resolve, reject };
}

/** The learning rate of the optimizer's first part that has one, at its current step (a schedule evaluated), if any. */
function learningRateOf(opt: Optimizer): number | undefined {
  for (const part of Object.values(opt.hyperParams())) {
    const rate = part.learningRate;
    if (typeof rate === 'number' && Number.isFinite(rate) && rate >= 0) return rate;
  }
  return undefined;
}

/**
 * The loss's gradients and one optimizer step; returns the loss (the caller disposes it). With
 * `loss` (the promise of this step's loss), `monitor` sees the gradients, the taps, the loss and the
 * learning rate before the optimizer applies them.
 */
function optimizerStep(s: StepSetup, lossOf: () => tf.Scalar, loss: Promise<number> | undefined): tf.Scalar {
  const observe = loss !== undefined;
  const opt = s.optimizer;
  const {
    result: { value, grads },
    taps,
  } = observe ? withTaps(valueAndGrad(() => lossOf()))(opt.params) : { result: valueAndGrad(() => lossOf())(opt.params), taps: {} };
  let commit: (ok: boolean) => void = () => undefined;
  const committed = new Promise<boolean>((resolve) => {
    commit = resolve;
  });
  try {
    if (observe) {
      const learningRate = learningRateOf(opt);
      const observation = { grads, params: opt.params, taps, step: opt.stepCount, committed, loss, ...(learningRate === undefined ? {} : { learningRate }) };
      const observed = (s.monitor as GradientObserver).observe(observation);
      observed.catch((e: unknown) => console.warn('fit: the gradient monitor could not make a report:', e));
    }
    opt.step(grads, { loss: value });
    commit(true);
    return value;
  } catch (e) {
    commit(false);
    value.dispose();
    throw e;
  } finally {
    tf.dispose([grads as tf.TensorContainer, Object.values(taps) as unknown as tf.TensorContainer]);
  }
}
