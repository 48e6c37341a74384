import {
  type ApplyOptions,
  checkOptions,
  DisposedError,
  describeValue,
  flatten,
  HyperParameterError,
  type Module,
  optionOr,
  type ParamTree,
  ValueError,
} from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import { inContainer, SELF_TAPPING, tapOutput, tapsItself, unpassed } from './scope.js';

/** Every option `Module.apply` knows (see `ApplyOptions` in `@gradkit/core`). */
const APPLY_KEYS = ['training', 'initialState', 'keyPaddingMask'];
const APPLY_KEY_USERS: Record<string, string> = {
  initialState: 'a recurrent module applied directly',
  keyPaddingMask: 'attention modules and the containers holding them',
};

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
    const o = checkOptions(`${this.name}.apply`, options, APPLY_KEYS, { example: `${this.name}.apply(x, { training: false })` });
    // A container never passes initialState on: it would reach every recurrent layer in it.
    if (this.passesOptions && o.initialState !== undefined)
      throw new HyperParameterError(
        'initialState',
        `${this.name}.apply: a container does not pass initialState on (it would reach every recurrent layer in it); apply the recurrent module directly, e.g. rnn.apply(x, { initialState: h0 })`,
      );
    // Inside a container, options meant for another child (a keyPaddingMask for the attention
    // layers) pass this module by; applied directly, an option it does not use is an error.
    if (!inContainer())
      for (const key of APPLY_KEYS)
        if (key !== 'training' && o[key as keyof ApplyOptions] !== undefined && !this.applyKeys.includes(key))
          throw new HyperParameterError(key, `${this.name}.apply: ${key} does not apply to this module (it is for ${APPLY_KEY_USERS[key]}); leave it out`);
    if (!(x instanceof tf.Tensor)) throw new ValueError('x', `${this.name}: the input must be a tf.Tensor, got ${describeValue(x)}`);
    if (x.isDisposed) throw new ValueError('x', `${this.name}: the input was disposed`);
    if (x.dtype === 'string') throw new ValueError('x', `${this.name}: the input must be a numeric tensor, got dtype 'string'`);
    const training = optionOr('training', o.training, this.mode);
    if (typeof training !== 'boolean') throw new ValueError('training', `${this.name}: options.training must be true or false, got ${describeValue(training)}`);
    return tf.tidy(() => {
      const y = unpassed(() => this.forward(x, training, o));
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

  /** The `apply` options besides `training` that this module uses (`'initialState'`, `'keyPaddingMask'`). */
  protected readonly applyKeys: readonly string[] = [];

  /** Whether this module is a container passing its `apply` options on to its children (which never get `initialState`). */
  protected readonly passesOptions: boolean = false;

  /** Whether `apply` taps the output (containers whose output is their last child's do not). */
  protected readonly tapsOwnOutput: boolean = true;

  /** The forward pass proper; runs inside `tf.tidy`, its result is tapped. */
  protected abstract forward(x: tf.Tensor, training: boolean, options: ApplyOptions): tf.Tensor;

  /** Child modules, for train/eval/dispose. */
  protected children(): readonly Module[] {
    return [];
  }

  /**
   * Releases the module's own variables (children are disposed by `dispose`): by default every
   * variable in `params`, as a leaf module owns them; containers, whose `params` are their
   * children's, override it.
   */
  protected disposeOwn(): void {
    for (const { value: v } of flatten(this.params)) if (v instanceof tf.Variable && !v.isDisposed) v.dispose();
  }

  /**
   * The `apply` options a container passes on: those its children of this package use (modules of
   * other packages get only `training`), `initialState` never.
   */
  protected static passedKeys(children: readonly Module[]): string[] {
    const keys = new Set<string>();
    for (const c of children) if (tapsItself(c)) for (const k of (c as unknown as { applyKeys: readonly string[] }).applyKeys) keys.add(k);
    keys.delete('initialState');
    return [...keys];
  }
}

/** Checks that the input `x` of module `name` is float32 (a ValueError naming `x` otherwise). */
export function checkFloatInput(name: string, x: tf.Tensor): void {
  if (x.dtype !== 'float32') throw new ValueError('x', `${name}: the input must be float32, got ${x.dtype} (cast it with tf.cast(x, 'float32'))`);
}

/** Checks a string option among `choices` (the field is named in the error); `fallback` when absent. */
export function choiceOption<T extends string>(field: string, value: unknown, choices: readonly T[], fallback: T): T {
  const v = optionOr(field, value, fallback);
  if (typeof v !== 'string' || !choices.includes(v as T))
    throw new HyperParameterError(field, `${field} must be one of ${choices.map((c) => `'${c}'`).join(', ')}, got ${describeValue(v)}`);
  return v as T;
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
