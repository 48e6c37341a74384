import type { Module } from '@gradkit/core';
import type { Initializer } from '@gradkit/initializers';
import type * as tf from '@tensorflow/tfjs-core';
import type { ActivationSpec } from './activation.js';
import type { Padding } from './conv-geometry.js';

/**
 * Options of a convolution (`conv2d`, `conv1d`); `S` is how a size per spatial axis is written
 * (`3` or `[3, 5]` for conv2d, `3` for conv1d).
 *
 * @example `{ inChannels: 3, outChannels: 16, kernelSize: 3, padding: 'same', activation: 'relu', seed: 1 }`
 */
export interface ConvOptions<S> {
  /** Channels of the input (its last axis), a positive integer. */
  readonly inChannels: number;
  /** Channels of the output, a positive integer. */
  readonly outChannels: number;
  /** The window: a positive integer, or one per spatial axis (`[kh, kw]`). */
  readonly kernelSize: S;
  /** Step between windows (default 1). */
  readonly stride?: S;
  /** `'valid'` (default), `'same'` (TF/Keras: the extra padding at the end, bottom/right) or zeros on each side (PyTorch's `padding=p`), one number or one per spatial axis. */
  readonly padding?: Padding;
  /** Spacing between kernel taps (default 1). */
  readonly dilation?: S;
  /** Channel groups (default 1); must divide `inChannels` and `outChannels`. `groups: inChannels` is a depthwise convolution. */
  readonly groups?: number;
  /** Activation after the convolution: a name known to `@gradkit/activations` or a function; default none. */
  readonly activation?: ActivationSpec;
  /** Initializer of the kernel `[...kernelSize, inChannels/groups, outChannels]`; default `glorotUniform({ seed })` (fans Πk·in/groups and Πk·out, as Keras). */
  readonly kernelInitializer?: Initializer;
  /** Initializer of the bias `[outChannels]`; default `zeros()`. */
  readonly biasInitializer?: Initializer;
  /** Whether the layer has a bias (default true). */
  readonly useBias?: boolean;
  /** Seed of the default kernel initializer (an error with `kernelInitializer`); default: a fresh random seed. */
  readonly seed?: number;
  /** The module's name, its tap name outside a container (default `'conv2d'` / `'conv1d'`). */
  readonly name?: string;
}

/** Parameters of a convolution with a bias. @example `{ kernel, bias } // conv2d: [kh, kw, in/groups, out], [out]; conv1d: [k, in/groups, out], [out]` */
export type ConvParams = { readonly kernel: tf.Variable; readonly bias: tf.Variable };
/** Parameters of a convolution without a bias (`useBias: false`). @example `{ kernel } // [kh, kw, in/groups, out]` */
export type ConvParamsNoBias = { readonly kernel: tf.Variable };

/**
 * A convolution layer (`conv2d`, `conv1d`), with its resolved options: sizes are one number per
 * spatial axis.
 *
 * @example
 * ```ts
 * const layer: ConvLayer = conv2d({ inChannels: 1, outChannels: 8, kernelSize: 3 });
 * layer.kernelSize; // [3, 3]
 * layer.params.kernel.shape; // [3, 3, 1, 8]
 * ```
 */
export interface ConvLayer<P extends ConvParams | ConvParamsNoBias = ConvParams> extends Module<P> {
  /** Channels of the input. */
  readonly inChannels: number;
  /** Channels of the output. */
  readonly outChannels: number;
  /** The window, one size per spatial axis. */
  readonly kernelSize: readonly number[];
  /** The stride, one per spatial axis. */
  readonly stride: readonly number[];
  /** The dilation, one per spatial axis. */
  readonly dilation: readonly number[];
  /** `'valid'`, `'same'` or the zeros on each side, one number per spatial axis. */
  readonly padding: 'valid' | 'same' | readonly number[];
  /** Channel groups. */
  readonly groups: number;
  /** Whether the layer adds a bias. */
  readonly useBias: boolean;
  /** The activation's name (`'linear'` for none). */
  readonly activation: string;
}
