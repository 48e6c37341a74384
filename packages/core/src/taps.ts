import * as tf from '@tensorflow/tfjs-core';
import { ValueError } from './errors.js';

/**
 * What a tap recorded during one `withTaps` call: the activation that flowed through it, and the
 * gradient of the differentiated value with respect to it (null when no gradient was computed
 * through this tap). The caller owns both tensors.
 *
 * @example
 * ```ts
 * const { taps } = withTaps(valueAndGrad(loss))(params);
 * console.log(taps['layer3'].grad?.shape);
 * ```
 */
export type TapRecord = {
  /** The tapped tensor's value in the forward pass. */
  readonly activation: tf.Tensor;
  /** ∂value/∂activation, or undefined when no backward pass reached this tap. */
  grad?: tf.Tensor;
};

/**
 * Tap records by name, in the order the taps ran (input to output for a forward pass). JavaScript
 * lists integer-like keys (`'0'`, `'1'`) before all others, so give taps names with a non-numeric part
 * (`'layer0'`, `'0.dense'`) when their order matters.
 *
 * @example `Object.keys(taps) // ['layer0', 'layer1']`
 */
export type Taps = Record<string, TapRecord>;

let active: Map<string, TapRecord> | null = null;

const identityWithCapture = (record: TapRecord) =>
  tf.customGrad((...inputs: (tf.Tensor | tf.GradSaveFunc)[]) => ({
    value: tf.clone(inputs[0] as tf.Tensor),
    gradFunc: (dy: tf.Tensor | tf.Tensor[]) => {
      const g = Array.isArray(dy) ? (dy[0] as tf.Tensor) : dy;
      record.grad?.dispose();
      record.grad = tf.keep(tf.clone(g));
      return tf.clone(g);
    },
  }));

/**
 * Marks an intermediate tensor (a layer's output) so that `withTaps` records it and the gradient
 * with respect to it. Outside `withTaps` it returns `x` itself at no cost, so models can tap every
 * layer unconditionally.
 *
 * @param name - unique within one forward pass, e.g. the layer's tree path.
 * @throws ValueError when the same name is tapped twice in one `withTaps` call.
 * @example
 * ```ts
 * const h = tap(tf.relu(tf.matMul(x, p.w0)), 'layer0');
 * ```
 */
export function tap<T extends tf.Tensor>(x: T, name: string): T {
  if (!(x instanceof tf.Tensor)) throw new ValueError('x', `tap(x, name) needs a tensor, got ${x === null ? 'null' : typeof x}`);
  if (typeof name !== 'string' || name === '') throw new ValueError('name', 'tap(x, name) needs a non-empty name, such as the layer path');
  if (!active) return x;
  if (active.has(name)) throw new ValueError(name, `tap '${name}' ran twice in one pass: give each tap a unique name (e.g. the layer's path)`);
  const record: TapRecord = { activation: tf.keep(tf.clone(x)) };
  active.set(name, record);
  return identityWithCapture(record)(x) as T;
}

/**
 * Runs `fn` with taps enabled and returns its result together with what every `tap` inside it
 * recorded: activations, and their gradients when `fn` differentiates through them (for example
 * `fn = valueAndGrad(loss)`). This is how diagnostics see dead units, saturation and the gradient
 * with respect to each layer's output.
 *
 * @example
 * ```ts
 * const { result: { value, grads }, taps } = withTaps(valueAndGrad(loss))(params);
 * for (const [name, t] of Object.entries(taps)) console.log(name, t.grad && (await tf.norm(t.grad).data())[0]);
 * tf.dispose([value, grads, taps]);
 * ```
 */
export function withTaps<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => { result: R; taps: Taps } {
  if (typeof fn !== 'function')
    throw new ValueError('fn', `withTaps(fn) takes a function, e.g. withTaps(valueAndGrad(loss)), got ${fn === null ? 'null' : typeof fn}`);
  return (...args: A) => {
    const outer = active;
    const records = new Map<string, TapRecord>();
    active = records;
    let result: R;
    try {
      result = fn(...args);
    } catch (e) {
      for (const r of records.values()) tf.dispose(r);
      throw e;
    } finally {
      active = outer;
    }
    return { result, taps: Object.fromEntries(records) };
  };
}
