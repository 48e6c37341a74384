import type { Module } from '@gradkit/core';
import { checkOptions, ValueError } from '@gradkit/core';
import type { Initializer } from '@gradkit/initializers';
import * as tf from '@tensorflow/tfjs-core';
import type { ActivationSpec } from './internal/activation.js';
import { BaseModule, booleanOption, checkCount, checkFloatInput, checkName } from './internal/base.js';
import { kernelAndBias, optionalActivation } from './internal/initialize.js';

/** Options of `dense`. @example `{ inFeatures: 784, outFeatures: 128, activation: 'relu', seed: 1 }` */
export interface DenseOptions {
  /** Size of the input's last axis (a positive integer). */
  readonly inFeatures: number;
  /** Size of the output's last axis (a positive integer). */
  readonly outFeatures: number;
  /** Activation applied after the affine map: a name known to `@gradkit/activations` (`'relu'`) or a function; default none (linear). */
  readonly activation?: ActivationSpec;
  /** Initializer of the kernel `[inFeatures, outFeatures]`; default `glorotUniform({ seed })`. */
  readonly kernelInitializer?: Initializer;
  /** Initializer of the bias `[outFeatures]`; default `zeros()`. */
  readonly biasInitializer?: Initializer;
  /** Whether the layer has a bias (default true). */
  readonly useBias?: boolean;
  /** Seed of the default kernel initializer (an error with `kernelInitializer`: seed that one instead); default: a fresh random seed. */
  readonly seed?: number;
  /** The module's name, used as its tap name when it is applied outside a container (default `'dense'`). */
  readonly name?: string;
}

/** Parameters of a dense layer with a bias. @example `{ kernel, bias } // [in, out], [out]` */
export type DenseParams = { readonly kernel: tf.Variable; readonly bias: tf.Variable };
/** Parameters of a dense layer without a bias (`useBias: false`). @example `{ kernel } // [in, out]` */
export type DenseParamsNoBias = { readonly kernel: tf.Variable };

/**
 * A fully connected layer (see `dense`): y = φ(x·W + b).
 *
 * @example
 * ```ts
 * const layer: Dense = dense({ inFeatures: 4, outFeatures: 2 });
 * layer.params.kernel.shape; // [4, 2]
 * ```
 */
export interface Dense<P extends DenseParams | DenseParamsNoBias = DenseParams> extends Module<P> {
  /** Size of the input's last axis. */
  readonly inFeatures: number;
  /** Size of the output's last axis. */
  readonly outFeatures: number;
  /** Whether the layer adds a bias. */
  readonly useBias: boolean;
  /** The activation's name (`'relu'`, the function's name, or `'linear'`). */
  readonly activation: string;
}

const DENSE_KEYS = ['inFeatures', 'outFeatures', 'activation', 'kernelInitializer', 'biasInitializer', 'useBias', 'seed', 'name'];

class DenseModule<P extends DenseParams | DenseParamsNoBias> extends BaseModule<P> implements Dense<P> {
  readonly name: string;
  readonly params: P;
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly useBias: boolean;
  readonly activation: string;
  private readonly phi: ((x: tf.Tensor) => tf.Tensor) | null;

  constructor(dense: DenseOptions) {
    super();
    const options = checkOptions('dense', dense, DENSE_KEYS, { example: 'dense({ inFeatures: 784, outFeatures: 10 })', required: true });
    this.inFeatures = checkCount('inFeatures', options.inFeatures, 'the size of the input features');
    this.outFeatures = checkCount('outFeatures', options.outFeatures, 'the size of the output features');
    this.useBias = booleanOption('useBias', options.useBias, true);
    this.name = checkName(options.name, 'dense');
    ({ fn: this.phi, name: this.activation } = optionalActivation(options.activation));
    this.params = kernelAndBias('dense', options, this.useBias, [this.inFeatures, this.outFeatures], [this.outFeatures]) as P;
  }

  protected forward(x: tf.Tensor): tf.Tensor {
    const { inFeatures, outFeatures } = this;
    if (x.rank < 1 || x.shape[x.rank - 1] !== inFeatures)
      throw new ValueError(
        'x',
        `${this.name}: the input's last axis must have inFeatures = ${inFeatures} elements, got shape [${x.shape.join(', ')}] (features are the last axis)`,
      );
    checkFloatInput(this.name, x);
    const { kernel, bias } = this.params as Partial<DenseParams>;
    const flat = x.rank === 2 ? (x as tf.Tensor2D) : (tf.reshape(x, [-1, inFeatures]) as tf.Tensor2D);
    let y: tf.Tensor = tf.matMul(flat, kernel as tf.Variable);
    if (bias) y = tf.add(y, bias);
    if (x.rank !== 2) y = tf.reshape(y, [...x.shape.slice(0, -1), outFeatures]);
    return this.phi ? this.phi(y) : y;
  }
}

/**
 * A fully connected (affine) layer with an optional activation: y = φ(x·W + b), with the kernel W of
 * shape `[inFeatures, outFeatures]` (tfjs layout) and the bias b of shape `[outFeatures]`, both
 * trainable `tf.Variable`s in `params` (`{ kernel, bias }`). Inputs of any rank ≥ 1 whose last axis
 * has `inFeatures` elements. The kernel defaults to Glorot-uniform (Keras's `Dense`), the bias to
 * zeros. Its output is tapped (see `withTaps` in `@gradkit/core`). PyTorch: `nn.Linear` (whose weight
 * is `[out, in]`) followed by the activation; Keras: `layers.Dense`.
 *
 * @throws HyperParameterError naming the option: non-integer or non-positive `inFeatures` /
 *   `outFeatures`, an unknown activation name, an initializer that is not a function, is a factory
 *   passed uncalled (`heNormal` for `heNormal()`) or returns the wrong shape, a non-integer `seed`
 *   (or a `seed` with `kernelInitializer`, or a `biasInitializer` with `useBias: false`, where they
 *   would be ignored), `null` for any option (leave it out for its default); UnknownOptionError for
 *   another option (PyTorch's `in_features`, `out_features`, `bias` and Keras's `units` suggest
 *   gradkit's names). An error the initializer itself throws is passed on unchanged.
 * @example
 * ```ts
 * const layer = dense({ inFeatures: 784, outFeatures: 128, activation: 'relu', seed: 1 });
 * const h = layer.apply(x);                   // [batch, 128]
 * const head = dense({ inFeatures: 128, outFeatures: 10, kernelInitializer: heNormal({ seed: 2 }) });
 * ```
 */
export function dense(options: DenseOptions & { readonly useBias: false }): Dense<DenseParamsNoBias>;
export function dense(options: DenseOptions & { readonly useBias?: true }): Dense<DenseParams>;
export function dense(options: DenseOptions): Dense<DenseParams | DenseParamsNoBias>;
export function dense(options: DenseOptions): Dense<DenseParams | DenseParamsNoBias> {
  return new DenseModule(options);
}
