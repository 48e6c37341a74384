import {
  type ApplyOptions,
  checkOptions,
  DisposedError,
  describeValue,
  HyperParameterError,
  type Module,
  optionOr,
  type ParamTree,
  ValueError,
} from '@gradkit/core';
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
    if (!(x instanceof tf.Tensor)) throw new ValueError('x', `${this.name}: the input must be a tf.Tensor, got ${describeValue(x)}`);
    if (x.isDisposed) throw new ValueError('x', `${this.name}: the input was disposed`);
    if (x.dtype === 'string') throw new ValueError('x', `${this.name}: the input must be a numeric tensor, got dtype 'string'`);
    const training = optionOr('training', o.training, this.mode);
    if (typeof training !== 'boolean') throw new ValueError('training', `${this.name}: options.training must be true or false, got ${describeValue(training)}`);
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

/** The `name` option of a module: a non-empty string, or `fallback` when absent. */
export function checkName(name: unknown, fallback: string): string {
  const n = optionOr('name', name, fallback);
  if (typeof n !== 'string' || n === '') throw new HyperParameterError('name', `name must be a non-empty string, got ${describeValue(n)}`);
  return n;
}

/** Checks a positive integer option (a feature count). */
export function checkCount(field: string, value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1)
    throw new HyperParameterError(field, `${field} must be a positive integer (${what}), got ${describeValue(value)}`);
  return value;
}

/** A boolean option: `fallback` when absent; `null` or a non-boolean is a HyperParameterError naming `field`. */
export function booleanOption(field: string, value: unknown, fallback: boolean): boolean {
  const v = optionOr(field, value, fallback);
  if (typeof v !== 'boolean') throw new HyperParameterError(field, `${field} must be true or false, got ${describeValue(v)}`);
  return v;
}
