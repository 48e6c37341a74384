import { CONV2D, ConvModule } from './internal/conv-base.js';
import type { SpatialSize } from './internal/conv-geometry.js';
import type { ConvLayer, ConvOptions, ConvParams, ConvParamsNoBias } from './internal/conv-types.js';

/** Options of `conv2d`: sizes are a number or `[h, w]`. @example `{ inChannels: 3, outChannels: 16, kernelSize: 3, padding: 'same', activation: 'relu', seed: 1 }` */
export type Conv2dOptions = ConvOptions<SpatialSize>;

/**
 * A 2-D convolution layer (see `conv2d`) over NHWC images; its sizes are `[h, w]`.
 *
 * @example
 * ```ts
 * const layer: Conv2d = conv2d({ inChannels: 1, outChannels: 8, kernelSize: 3 });
 * layer.params.kernel.shape; // [3, 3, 1, 8]
 * ```
 */
export type Conv2d<P extends ConvParams | ConvParamsNoBias = ConvParams> = ConvLayer<P>;

/**
 * A 2-D convolution with an optional activation over NHWC input `[batch, h, w, inChannels]`:
 * y[b, i, j, o] = φ(bias[o] + Σ_{p, q, c} x̃[b, i·sh + p·dh, j·sw + q·dw, g·C + c] · kernel[p, q, c, o]),
 * where x̃ is the padded input, C = inChannels/groups and g = ⌊o / (outChannels/groups)⌋ is o's group.
 * Output `[batch, ⌊(h + padding − (kh − 1)·dh − 1)/sh⌋ + 1, …, outChannels]`. Params
 * `{ kernel [kh, kw, inChannels/groups, outChannels], bias [outChannels] }` (tfjs layout); its output
 * is tapped (see `withTaps`).
 *
 * - `padding: 'same'` follows TF/Keras: ⌈h/sh⌉ output rows; the total padding
 *   max((⌈h/sh⌉ − 1)·sh + (kh − 1)·dh + 1 − h, 0) is split with the extra row at the bottom (and the
 *   extra column at the right). PyTorch's `padding='same'` takes only stride 1, where it pads the
 *   same way; for stride > 1 PyTorch needs `F.pad` with these numbers. A number `p` is PyTorch's
 *   `padding=p`: p zeros on every side.
 * - `groups: inChannels` (with `outChannels` a multiple of it) is a depthwise convolution
 *   (`tf.depthwiseConv2d`); other group counts split the channels as PyTorch does.
 * - Any stride with any dilation: a dilated kernel runs as an undilated one spread with zeros (tfjs has
 *   no gradient for dilated convolutions and refuses stride > 1 with dilation > 1). Exact, at the cost
 *   of ((k − 1)·d + 1)²/k² times the multiplications.
 *
 * PyTorch: `nn.Conv2d(in, out, k, stride, padding, dilation, groups, bias)` on NCHW, whose weight
 * `[out, in/groups, kh, kw]` is `kernel.permute(3, 2, 0, 1)` here (`kernel = weight.permute(2, 3, 1, 0)`);
 * Keras: `layers.Conv2D` (groups: `DepthwiseConv2D` for the depthwise case).
 *
 * @throws HyperParameterError naming the option: non-integer or non-positive channels, kernelSize,
 *   stride, dilation or groups, groups not dividing both channel counts, a padding other than
 *   'valid', 'same' or non-negative integers, an unknown activation, a bad initializer (as `dense`),
 *   `null` for any option; UnknownOptionError for another option (PyTorch's `in_channels`,
 *   `kernel_size`, `bias` and Keras's `filters`, `strides` suggest gradkit's names).
 *   `apply` throws a ValueError naming `x` for an input that is not `[batch, h, w, inChannels]`
 *   float32, or whose padded height or width is smaller than the (dilated) kernel.
 * @example
 * ```ts
 * const conv = conv2d({ inChannels: 1, outChannels: 16, kernelSize: 3, padding: 'same', activation: 'relu', seed: 1 });
 * const h = conv.apply(images); // [batch, 28, 28, 16] for images [batch, 28, 28, 1]
 * const depthwise = conv2d({ inChannels: 16, outChannels: 16, kernelSize: 3, groups: 16, padding: 1 });
 * ```
 */
export function conv2d(options: Conv2dOptions & { readonly useBias: false }): Conv2d<ConvParamsNoBias>;
export function conv2d(options: Conv2dOptions & { readonly useBias?: true }): Conv2d<ConvParams>;
export function conv2d(options: Conv2dOptions): Conv2d<ConvParams | ConvParamsNoBias>;
export function conv2d(options: Conv2dOptions): Conv2d<ConvParams | ConvParamsNoBias> {
  return new ConvModule(CONV2D, options);
}
