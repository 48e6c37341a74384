import type { ApplyOptions, Module } from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import { checkBoolean, checkEpsilon, checkShape, moduleOptions } from './checks.js';
import { layerNorm } from './layer-norm.js';
import { type AffineParams, affineParams, callable, checkFeatures, checkName, trainingFlag } from './module-utils.js';

/** Options of the `LayerNorm` module (PyTorch's `nn.LayerNorm` arguments, camelCased). @example `{ features: 512 }` */
export interface LayerNormOptions {
  /** Size of the last axis, or the sizes of the trailing axes to normalize over (PyTorch's `normalized_shape`). */
  readonly features: number | readonly number[];
  /** Added to the variance before the square root, > 0 (default 1e-5). */
  readonly epsilon?: number;
  /** Learn an element-wise scale `gamma` (ones) and shift `beta` (zeros) of shape `features` (default true). */
  readonly elementwiseAffine?: boolean;
  /** The module's name, for taps and error messages (default `'layerNorm'`). */
  readonly name?: string;
}

/**
 * Layer normalization as a module: PyTorch's `nn.LayerNorm`. y = (x − E[x])/√(Var[x] + ε)·γ + β over
 * the trailing axes `features` of each sample (see `layerNorm`); the same in training and inference.
 * `params` holds `gamma` (ones) and `beta` (zeros), PyTorch's `weight` and `bias`.
 *
 * @example
 * ```ts
 * const ln = new LayerNorm({ features: 128 });
 * const y = ln.apply(h); // h: [batch, 128] or [batch, tokens, 128]
 * ```
 */
export class LayerNormModule implements Module<AffineParams> {
  /** The module's name (default `'layerNorm'`). */
  readonly name: string;
  /** `{ gamma, beta }` of shape `features` (ones, zeros), or `{}` without `elementwiseAffine`. */
  readonly params: AffineParams;
  /** The normalized shape: the sizes of the trailing axes normalized over. */
  readonly normalizedShape: readonly number[];
  /** Added to the variance before the square root. */
  readonly epsilon: number;
  private mode = true;
  private disposed = false;

  /** @throws HyperParameterError naming `features`, `epsilon`, `elementwiseAffine` or `name`; UnknownOptionError for another option (PyTorch's `normalized_shape`, `eps` suggest gradkit's names). */
  constructor(options: LayerNormOptions) {
    const o = moduleOptions('LayerNorm', options, ['features', 'epsilon', 'elementwiseAffine', 'name'], 'new LayerNorm({ features: 512 })');
    this.normalizedShape = checkShape('features', o.features, 'the size of the last axis, or the sizes of the trailing axes');
    this.epsilon = checkEpsilon(o.epsilon, 1e-5);
    const affine = checkBoolean('elementwiseAffine', o.elementwiseAffine, true);
    this.name = checkName(o.name, 'layerNorm');
    this.params = affineParams(this.normalizedShape, affine);
  }

  /** The mode flag (layer norm behaves the same in both). */
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
    return layerNorm(x, this.params.gamma ?? null, this.params.beta ?? null, { epsilon: this.epsilon, normalizedShape: this.normalizedShape });
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
 * `LayerNorm` as DESIGN writes it: `LayerNorm({ … })` or `new LayerNorm({ … })` both build a `LayerNormModule`.
 *
 * @example
 * ```ts
 * const m = LayerNorm({ features: 64 });
 * m instanceof LayerNorm; // true
 * ```
 */
export const LayerNorm = callable(LayerNormModule);
/** The instance type of `LayerNorm` (the same as `LayerNormModule`). */
export type LayerNorm = LayerNormModule;
