import { HyperParameterError, suggestOption, ValueError } from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';

/** A metric for `fit`: `(prediction, target) => scalar`, the mean over the batch. @example `(p, t) => tf.mean(tf.abs(tf.sub(p, t)))` */
export type MetricFn = (prediction: tf.Tensor, target: tf.Tensor) => tf.Scalar;

/** A metric as `fit` takes it: `'accuracy'`, or a named function (its `name` keys the logs). @example `['accuracy', function mae(p, t) { … }]` */
export type Metric = 'accuracy' | MetricFn;

/**
 * Classification accuracy: the fraction of samples whose highest score is the true class,
 * mean(argmax(prediction) = label). `target` is either class indices, shaped like `prediction`
 * without its last axis (`[batch]` for `[batch, classes]`), or one-hot (or probabilities) shaped
 * like `prediction`, whose argmax is taken. Keras: `SparseCategoricalAccuracy` / `CategoricalAccuracy`.
 *
 * @throws ValueError naming `prediction` when it has fewer than 2 classes (write a metric for
 *   binary outputs), `target` when its shape fits neither layout.
 * @example
 * ```ts
 * accuracy(tf.tensor2d([[2, 1], [0, 3]]), tf.tensor1d([0, 0], 'int32')); // 0.5
 * ```
 */
export function accuracy(prediction: tf.Tensor, target: tf.Tensor): tf.Scalar {
  const classes = prediction.shape[prediction.rank - 1] ?? 0;
  if (prediction.rank < 1 || classes < 2)
    throw new ValueError(
      'prediction',
      `accuracy needs class scores [..., classes ≥ 2], got [${prediction.shape.join(', ')}]: for one binary output, give a metric function, e.g. (p, t) => mean(equal(greater(p, 0), t))`,
    );
  const labelShape = prediction.shape.slice(0, -1);
  const oneHot = tf.util.arraysEqual(target.shape, prediction.shape);
  if (!oneHot && !tf.util.arraysEqual(target.shape, labelShape))
    throw new ValueError(
      'target',
      `accuracy: target is [${target.shape.join(', ')}]; it must be class indices [${labelShape.join(', ')}] or one-hot [${prediction.shape.join(', ')}]`,
    );
  return tf.tidy(() => {
    const labels = oneHot ? tf.argMax(target, -1) : tf.cast(target, 'int32');
    return tf.mean(tf.cast(tf.equal(tf.argMax(prediction, -1), labels), 'float32')) as tf.Scalar;
  });
}

/** A metric with the name that keys it in the logs. */
export interface NamedMetric {
  readonly name: string;
  readonly fn: MetricFn;
}

const RESERVED = ['loss', 'epoch', 'size'];

/** Checks `fit`'s `metrics` and names them: `'accuracy'`, or functions with distinct names. */
export function resolveMetrics(metrics: unknown): NamedMetric[] {
  if (metrics === undefined) return [];
  if (!Array.isArray(metrics)) throw new HyperParameterError('metrics', "metrics must be an array, e.g. metrics: ['accuracy']");
  const out: NamedMetric[] = [];
  metrics.forEach((m: unknown, i) => {
    const field = `metrics[${i}]`;
    let named: NamedMetric;
    if (m === 'accuracy') named = { name: 'accuracy', fn: accuracy };
    else if (typeof m === 'string') {
      const s = suggestOption(m === 'acc' ? 'accuracy' : m.replace(/^(sparse_)?categorical_/, ''), ['accuracy']);
      throw new HyperParameterError(
        field,
        `unknown metric '${m}'${s ? ` (did you mean '${s.key}'?)` : ''}: give 'accuracy' or a function (prediction, target) => scalar`,
      );
    } else if (typeof m === 'function') {
      if (m.name === '' || m.name === 'anonymous')
        throw new HyperParameterError(
          field,
          `${field} has no name, which keys it in the logs: give a named function (function mae(p, t) { … }, or const mae = (p, t) => …)`,
        );
      named = { name: m.name, fn: m as MetricFn };
    } else throw new HyperParameterError(field, `${field} must be 'accuracy' or a function (prediction, target) => scalar`);
    if (RESERVED.includes(named.name) || /^val[A-Z_]/.test(named.name))
      throw new HyperParameterError(field, `${field} is named '${named.name}', which the logs use for something else: rename it`);
    if (out.some((o) => o.name === named.name)) throw new HyperParameterError(field, `two metrics are named '${named.name}': give them distinct names`);
    out.push(named);
  });
  return out;
}

/** The log key of a metric on the validation data: `valLoss`, `valAccuracy`. */
export function valKey(name: string): string {
  return `val${name.charAt(0).toUpperCase()}${name.slice(1)}`;
}
