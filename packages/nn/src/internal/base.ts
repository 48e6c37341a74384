import { type ApplyOptions, checkOptions, DisposedError, HyperParameterError, type Module, type ParamTree, resolveSeed, ValueError } from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import { SELF_TAPPING, tapOutput } from './scope.js';

/**
 * What every module of this package shares: the training flag (propagated to children), dispose
 * (children and own variables, once), and the forward pass wrapped in `tf.tidy` with its output
 * tapped. Not exported: the public types are the interfaces.
 */
export abstract class BaseModule<P extends ParamTree> implements Module<P> {
  readonly [SELF_TAPPING] = true;
  abstract readonly name: string;
  abstract readonly params: P;
  /** Buffers (state saved in checkpoints but not trained): none here; containers gather their children's. */
  readonly buffers: ParamTree = {};
  private mode = true;
  private disposed = false;

  get training(): boolean {
    return this.mode;
  }

  apply(x: tf.Tensor, options?: ApplyOptions): tf.Tensor {
    if (this.disposed) throw new DisposedError(`${this.name} module`);
    // `{ train: false }` would otherwise run in training mode.
    const o = checkOptions(`${this.name}.apply`, options, ['training'], { example: `${this.name}.apply(x, { training: false })` });
    if (!(x instanceof tf.Tensor)) throw new ValueError('x', `${this.name}: the input must be a tf.Tensor, got ${describe(x)}`);
    if (x.isDisposed) throw new ValueError('x', `${this.name}: the input was disposed`);
    if (x.dtype === 'string') throw new ValueError('x', `${this.name}: the input must be a numeric tensor, got dtype 'string'`);
    const training = o.training ?? this.mode;
    if (typeof training !== 'boolean') throw new ValueError('training', `${this.name}: options.training must be true or false, got ${describe(training)}`);
    return tf.tidy(() => {
      const y = this.forward(x, training, o);
      return this.tapsOwnOutput ? tapOutput(y, this.name) : y;
    });
  }

  train(): this {
    this.mode = true;
    for (const c of this.children()) c.train();
    return this;
  }

  eval(): this {
    this.mode = false;
    for (const c of this.children()) c.eval();
    return this;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const c of this.children()) c.dispose();
    this.disposeOwn();
  }

  /** Whether `apply` taps the output (containers whose output is their last child's do not). */
  protected readonly tapsOwnOutput: boolean = true;

  /** The forward pass proper; runs inside `tf.tidy`, its result is tapped. */
  protected abstract forward(x: tf.Tensor, training: boolean, options: ApplyOptions): tf.Tensor;

  /** Child modules, for train/eval/dispose. */
  protected children(): readonly Module[] {
    return [];
  }

  /** Releases the module's own variables (children are disposed by `dispose`). */
  protected disposeOwn(): void {}
}

/**
 * How a wrong value reads in a message, safely for any value: numbers, booleans and bigints as
 * themselves, strings quoted, anything else by kind (`null`, `an array`, `a tf.Tensor`, `a function` …).
 * Never `String(tensor)`, which reads the data back synchronously (it fails on WebGPU in Node, and
 * on a disposed tensor).
 */
export const describe = (v: unknown): string =>
  typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint'
    ? String(v)
    : typeof v === 'string'
      ? `'${v}'`
      : v === null || v === undefined
        ? String(v)
        : Array.isArray(v)
          ? 'an array'
          : v instanceof tf.Tensor
            ? 'a tf.Tensor'
            : typeof v === 'object'
              ? 'an object'
              : `a ${typeof v}`;

/** The `name` option of a module: a non-empty string, or `fallback` when absent. */
export function checkName(name: unknown, fallback: string): string {
  if (name === undefined) return fallback;
  if (typeof name !== 'string' || name === '') throw new HyperParameterError('name', `name must be a non-empty string, got ${describe(name)}`);
  return name;
}

/** Checks a positive integer option (a feature count). */
export function checkCount(field: string, value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1)
    throw new HyperParameterError(field, `${field} must be a positive integer (${what}), got ${describe(value)}`);
  return value;
}

/**
 * A `seed` option: core's `resolveSeed` (a safe integer, or a fresh random seed when undefined),
 * after refusing non-numbers here so that the message never stringifies a tensor.
 */
export function seedOf(seed: unknown, fn: string): number {
  if (seed !== undefined && typeof seed !== 'number') throw new HyperParameterError('seed', `${fn}: seed must be an integer such as 42, got ${describe(seed)}`);
  return resolveSeed(seed, fn);
}
