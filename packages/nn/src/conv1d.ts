import { CONV1D, ConvModule } from './internal/conv-base.js';
import type { ConvLayer, ConvOptions, ConvParams, ConvParamsNoBias } from './internal/conv-types.js';

/** Options of `conv1d`: sizes are a number (or `[k]`). @example `{ inChannels: 8, outChannels: 16, kernelSize: 5, padding: 'same', seed: 1 }` */
export type Conv1dOptions = ConvOptions<number | readonly [number]>;

/**
 * A 1-D convolution layer (see `conv1d`) over sequences `[batch, time, channels]`; its sizes are `[k]`.
 *
 * @example
 * ```ts
 * const layer: Conv1d = conv1d({ inChannels: 4, outChannels: 8, kernelSize: 3 });
 * layer.params.kernel.shape; // [3, 4, 8]
 * ```
 */
export type Conv1d<P extends ConvParams | ConvParamsNoBias = ConvParams> = ConvLayer<P>;

/**
 * A 1-D convolution with an optional activation over `[batch, time, inChannels]`:
 * y[b, t, o] = φ(bias[o] + Σ_{p, c} x̃[b, t·s + p·d, g·C + c] · kernel[p, c, o]) with x̃ the padded
 * input, C = inChannels/groups and g the group of o; output `[batch, ⌊(time + padding − (k − 1)·d − 1)/s⌋ + 1, outChannels]`.
 * Params `{ kernel [k, inChannels/groups, outChannels], bias [outChannels] }`; its output is tapped.
 * Padding, groups and dilation as `conv2d` (it runs as a conv2d of height 1): `'same'` is TF's
 * (the extra zero at the end), a number is PyTorch's `padding=p`.
 *
 * PyTorch: `nn.Conv1d` on `[batch, channels, time]`, whose weight `[out, in/groups, k]` is
 * `kernel.permute(2, 1, 0)` here; Keras: `layers.Conv1D`.
 *
 * @throws HyperParameterError naming the option (as `conv2d`); `apply` throws a ValueError naming `x`
 *   for an input that is not `[batch, time, inChannels]` float32 or shorter than the padded (dilated) kernel.
 * @example
 * ```ts
 * const conv = conv1d({ inChannels: 8, outChannels: 16, kernelSize: 5, padding: 'same', activation: 'gelu', seed: 1 });
 * const h = conv.apply(sequence); // [batch, time, 16] for sequence [batch, time, 8]
 * ```
 */
export function conv1d(options: Conv1dOptions & { readonly useBias: false }): Conv1d<ConvParamsNoBias>;
export function conv1d(options: Conv1dOptions & { readonly useBias?: true }): Conv1d<ConvParams>;
export function conv1d(options: Conv1dOptions): Conv1d<ConvParams | ConvParamsNoBias>;
export function conv1d(options: Conv1dOptions): Conv1d<ConvParams | ConvParamsNoBias> {
  return new ConvModule(CONV1D, options);
}
