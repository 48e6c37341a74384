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
  try {
    const value = optimizerStep(s, lossOf, observe);
    values = tf.tidy(() => {
      const loss = tf.reshape(value, [1]);
      return prediction ? tf.concat([loss, metricVector(s.metrics, prediction, batch.y)]) : loss;
    });
    value.dispose();
    const [loss, ...metrics] = await values.data();
    return { loss: loss as number, size, ...Object.fromEntries(s.metrics.map((m, i) => [m.name, metrics[i] as number])) };
  } finally {
    tf.dispose([prediction as tf.Tensor | null, values].filter((t): t is tf.Tensor => t !== null));
  }
}

/**
 * The loss's gradients and one optimizer step; returns the loss (the caller disposes it). When
 * `observe`, `monitor` sees the gradients and taps before the optimizer applies them.
 */
function optimizerStep(s: StepSetup, lossOf: () => tf.Scalar, observe: boolean): tf.Scalar {
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
      const observed = (s.monitor as GradientObserver).observe({ grads, params: opt.params, taps, step: opt.stepCount, committed });
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
