import { type ApplyOptions, checkOptions, DisposedError, describeValue, HyperParameterError, optionOr, ValueError } from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';

/**
 * The parameters of a normalization with a scale and a shift: `{ gamma, beta }` (PyTorch's `weight`
 * and `bias`), or `{}` when the module was built without them (`affine: false`).
 *
 * @example `new Optimizer(bn.params, sgd({ learningRate: 0.1 }))`
 */
export type AffineParams =
  | {
      /** Scale γ of every feature (PyTorch's `weight`), ones at first. */
      readonly gamma: tf.Variable;
      /** Shift β of every feature (PyTorch's `bias`), zeros at first. */
      readonly beta: tf.Variable;
    }
  | Record<string, never>;

/** A new float32 variable filled with `value` (the filled tensor is released, the variable keeps its data). */
export const filledVariable = (shape: readonly number[], value: number, trainable: boolean): tf.Variable =>
  tf.tidy(() => tf.variable(tf.fill([...shape], value), trainable));

/** `{ gamma: ones, beta: zeros }` of `shape`, or `{}`. */
export const affineParams = (shape: readonly number[], affine: boolean): AffineParams =>
  affine ? { gamma: filledVariable(shape, 1, true), beta: filledVariable(shape, 0, true) } : {};

/** Reads `options.training` (default `mode`), refusing a disposed module and any other option key (`{ train: false }` would run in training mode). */
export function trainingFlag(name: string, disposed: boolean, options: ApplyOptions | undefined, mode: boolean): boolean {
  if (disposed) throw new DisposedError(`${name} module`);
  const o = checkOptions(`${name}.apply`, options, ['training'], { example: `${name}.apply(x, { training: false })` });
  const training = optionOr('training', o.training, mode);
  if (typeof training !== 'boolean') throw new ValueError('training', `${name}: options.training must be true or false, got ${describeValue(training)}`);
  return training;
}

/** Checks that x is a tensor whose trailing axes are `shape` (the module's features). */
export function checkFeatures(name: string, x: unknown, shape: readonly number[], minRank: number, what: string): tf.Tensor {
  if (!(x instanceof tf.Tensor)) throw new ValueError('x', `${name}: x must be a tf.Tensor, got ${describeValue(x)}`);
  if (x.isDisposed) throw new ValueError('x', `${name}: x was disposed`);
  const trailing = x.shape.slice(Math.max(0, x.rank - shape.length));
  if (x.rank < Math.max(minRank, shape.length) || !tf.util.arraysEqual(trailing, [...shape]))
    throw new ValueError(
      'x',
      `${name}: x has shape [${x.shape.join(', ')}] but this module was built for ${what} [${shape.join(', ')}] on the last ${shape.length === 1 ? 'axis' : `${shape.length} axes`}${minRank > 1 ? ` after a batch axis` : ''}`,
    );
  return x;
}

/** The `name` option: a non-empty string, or the default. */
export function checkName(name: unknown, fallback: string): string {
  const n = optionOr('name', name, fallback);
  if (typeof n !== 'string' || n === '') throw new HyperParameterError('name', `name must be a non-empty string, got ${describeValue(n)}`);
  return n;
}

/** A module class that can also be called without `new`, as DESIGN writes it: `BatchNorm({ features: 64 })`. @example `const bn = BatchNorm({ features: 8 }); bn instanceof BatchNorm // true` */
export type CallableModule<A extends unknown[], T> = {
  new (...args: A): T;
  (...args: A): T;
  /** The module class's prototype (so `instanceof` works). */
  readonly prototype: T;
};

/** Wraps a module class so that calling it without `new` constructs it too (and `instanceof` still works). */
export function callable<A extends unknown[], T>(Class: new (...args: A) => T): CallableModule<A, T> {
  return new Proxy(Class, { apply: (target, _this, args) => new target(...(args as A)) }) as CallableModule<A, T>;
}
