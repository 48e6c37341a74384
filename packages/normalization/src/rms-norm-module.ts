import type { ApplyOptions, Module } from '@gradkit/core';
import type * as tf from '@tensorflow/tfjs-core';
import { checkBoolean, checkEpsilon, checkShape, moduleOptions } from './checks.js';
import { callable, checkFeatures, checkName, filledVariable, trainingFlag } from './module-utils.js';
import { rmsNorm } from './rms-norm.js';

/** The parameters of `RMSNorm`: `{ gamma }` (PyTorch's `weight`), or `{}` without `elementwiseAffine`. @example `new Optimizer(norm.params, adam())` */
export type RMSNormParams =
  | {
      /** Scale γ of every feature (PyTorch's `weight`), ones at first. */
      readonly gamma: tf.Variable;
    }
  | Record<string, never>;

/** Options of the `RMSNorm` module (PyTorch's `nn.RMSNorm` arguments, camelCased). @example `{ features: 512, epsilon: 1e-6 }` */
export interface RMSNormOptions {
  /** Size of the last axis, or the sizes of the trailing axes to normalize over (PyTorch's `normalized_shape`). */
  readonly features: number | readonly number[];
  /** Added to the mean square before the square root, > 0 (default 1e-6; PyTorch's default is the dtype's machine epsilon). */
  readonly epsilon?: number;
  /** Learn an element-wise scale `gamma` (ones) of shape `features` (default true). */
  readonly elementwiseAffine?: boolean;
  /** The module's name, for taps and error messages (default `'rmsNorm'`). */
  readonly name?: string;
}

/**
 * RMS normalization as a module: PyTorch's `nn.RMSNorm`. y = x/√(mean(x²) + ε)·γ over the trailing
 * axes `features` of each sample (see `rmsNorm`); the same in training and inference.
 *
 * @example
 * ```ts
 * const norm = new RMSNorm({ features: 512 });
 * const y = norm.apply(h); // h: [batch, tokens, 512]
 * ```
 */
export class RMSNormModule implements Module<RMSNormParams> {
  /** The module's name (default `'rmsNorm'`). */
  readonly name: string;
  /** `{ gamma }` of shape `features` (ones), or `{}` without `elementwiseAffine`. */
  readonly params: RMSNormParams;
  /** The normalized shape: the sizes of the trailing axes normalized over. */
  readonly normalizedShape: readonly number[];
  /** Added to the mean square before the square root. */
  readonly epsilon: number;
  private mode = true;
  private disposed = false;

  /** @throws HyperParameterError naming `features`, `epsilon`, `elementwiseAffine` or `name`; UnknownOptionError for another option. */
  constructor(options: RMSNormOptions) {
    const o = moduleOptions('RMSNorm', options, ['features', 'epsilon', 'elementwiseAffine', 'name'], 'new RMSNorm({ features: 512 })');
    this.normalizedShape = checkShape('features', o.features, 'the size of the last axis, or the sizes of the trailing axes');
    this.epsilon = checkEpsilon(o.epsilon, 1e-6);
    const affine = checkBoolean('elementwiseAffine', o.elementwiseAffine, true);
    this.name = checkName(o.name, 'rmsNorm');
    this.params = affine ? { gamma: filledVariable(this.normalizedShape, 1, true) } : {};
  }

  /** The mode flag (RMS norm behaves the same in both). */
  get training(): boolean {
    return this.mode;
  }

  /**
   * Normalizes `x` over its trailing axes.
   *
   * @throws ValueError (`what: 'x'`) when x's trailing axes are not `features` or x is not float32; DisposedError after `dispose()`.
   */
  apply(x: tf.Tensor, options?: ApplyOptions): tf.Tensor {
    trainingFlag(this.name, this.disposed, options, this.mode);
    checkFeatures(this.name, x, this.normalizedShape, 1, 'features');
    return rmsNorm(x, this.params.gamma ?? null, { epsilon: this.epsilon, normalizedShape: this.normalizedShape });
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

  /** Releases `gamma`. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.params.gamma) this.params.gamma.dispose();
  }
}

/**
 * `RMSNorm` as DESIGN writes it: `RMSNorm({ … })` or `new RMSNorm({ … })` both build a `RMSNormModule`.
 *
 * @example
 * ```ts
 * const m = RMSNorm({ features: 64 });
 * m instanceof RMSNorm; // true
 * ```
 */
export const RMSNorm = callable(RMSNormModule);
/** The instance type of `RMSNorm` (the same as `RMSNormModule`). */
export type RMSNorm = RMSNormModule;
