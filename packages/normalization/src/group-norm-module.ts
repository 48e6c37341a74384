import { type ApplyOptions, HyperParameterError, type Module } from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import { checkBoolean, checkCount, checkEpsilon, moduleOptions } from './checks.js';
import { groupNorm } from './group-norm.js';
import { type AffineParams, affineParams, callable, checkFeatures, checkName, trainingFlag } from './module-utils.js';

/** Options of the `GroupNorm` module (PyTorch's `nn.GroupNorm` arguments, camelCased). @example `{ groups: 8, channels: 64 }` */
export interface GroupNormOptions {
  /** Number of groups the channels are split into (PyTorch's `num_groups`); it must divide `channels`. */
  readonly groups: number;
  /** Number of channels: the size of the last axis of the input (PyTorch's `num_channels`). */
  readonly channels: number;
  /** Added to the variance before the square root, > 0 (default 1e-5). */
  readonly epsilon?: number;
  /** Learn a per-channel scale `gamma` (ones) and shift `beta` (zeros) (default true). */
  readonly affine?: boolean;
  /** The module's name, for taps and error messages (default `'groupNorm'`). */
  readonly name?: string;
}

/**
 * Group normalization as a module: PyTorch's `nn.GroupNorm` on channels-last input (`[N, …, C]`):
 * each sample is normalized over its spatial positions and the channels of each of `groups` groups
 * (see `groupNorm`), the same in training and inference; per-channel `gamma` and `beta`.
 *
 * @example
 * ```ts
 * const gn = new GroupNorm({ groups: 8, channels: 64 });
 * const y = gn.apply(images); // images: [batch, h, w, 64]
 * ```
 */
export class GroupNormModule implements Module<AffineParams> {
  /** The module's name (default `'groupNorm'`). */
  readonly name: string;
  /** `{ gamma, beta }` of shape `[channels]` (ones, zeros), or `{}` when `affine` is false. */
  readonly params: AffineParams;
  /** Number of groups. */
  readonly groups: number;
  /** Number of channels (the size of the input's last axis). */
  readonly channels: number;
  /** Added to the variance before the square root. */
  readonly epsilon: number;
  private mode = true;
  private disposed = false;

  /** @throws HyperParameterError naming `groups` (also when it does not divide `channels`), `channels`, `epsilon`, `affine` or `name`; UnknownOptionError for another option. */
  constructor(options: GroupNormOptions) {
    const o = moduleOptions('GroupNorm', options, ['groups', 'channels', 'epsilon', 'affine', 'name'], 'new GroupNorm({ groups: 8, channels: 64 })');
    this.channels = checkCount('channels', o.channels, 'the size of the last axis of the input');
    this.groups = checkCount('groups', o.groups, 'the number of channel groups');
    if (this.channels % this.groups !== 0)
      throw new HyperParameterError('groups', `groups (${this.groups}) must divide channels (${this.channels}): pick a divisor of ${this.channels}`);
    this.epsilon = checkEpsilon(o.epsilon, 1e-5);
    const affine = checkBoolean('affine', o.affine, true);
    this.name = checkName(o.name, 'groupNorm');
    this.params = affineParams([this.channels], affine);
  }

  /** The mode flag (group norm behaves the same in both). */
  get training(): boolean {
    return this.mode;
  }

  /**
   * Normalizes `x` (`[batch, …, channels]`).
   *
   * @throws ValueError (`what: 'x'`) when x has no batch axis, its last axis is not `channels` or it is not float32; DisposedError after `dispose()`.
   */
  apply(x: tf.Tensor, options?: ApplyOptions): tf.Tensor {
    trainingFlag(this.name, this.disposed, options, this.mode);
    checkFeatures(this.name, x, [this.channels], 2, 'channels');
    return groupNorm(x, this.groups, this.params.gamma ?? null, this.params.beta ?? null, { epsilon: this.epsilon });
  }

  /** Switches to training mode; returns the module. */
  train(): this {
    this.mode = true;
    return this;
  }

  /** Switches to inference mode; returns the module. */
  eval(): this {
    this.mode = false;
    return this;
  }

  /** Releases `gamma` and `beta`. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    tf.dispose([this.params.gamma, this.params.beta].filter((v): v is tf.Variable => v != null));
  }
}

/**
 * `GroupNorm` as DESIGN writes it: `GroupNorm({ … })` or `new GroupNorm({ … })` both build a `GroupNormModule`.
 *
 * @example
 * ```ts
 * const m = GroupNorm({ groups: 4, channels: 64 });
 * m instanceof GroupNorm; // true
 * ```
 */
export const GroupNorm = callable(GroupNormModule);
/** The instance type of `GroupNorm` (the same as `GroupNormModule`). */
export type GroupNorm = GroupNormModule;
