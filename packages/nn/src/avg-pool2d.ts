import { type Pool2d, type Pool2dOptions, PoolModule } from './internal/pool-base.js';

/**
 * Average pooling over NHWC input `[batch, h, w, c]`: y[b, i, j, c] = the mean over the window at
 * (i·sh, j·sw) of the padded input, each channel apart; output sizes as `maxPool2d`. `stride`
 * defaults to `kernelSize`. Whether padded positions count in the divisor follows the convention of
 * the padding's origin:
 * - a number `p` (PyTorch's `padding=p`, at most half the window): the padded zeros count, every
 *   window divides by kh·kw (PyTorch's default `count_include_pad=True`);
 * - `'same'` (TF/Keras): they do not, a border window divides by its in-image positions only
 *   (Keras's `AveragePooling2D(padding='same')`, PyTorch's `count_include_pad=False`).
 * No parameters; its output is tapped.
 *
 * PyTorch: `nn.AvgPool2d(kernel_size, stride, padding)` on NCHW (`ceil_mode=False`); Keras:
 * `layers.AveragePooling2D(pool_size, strides, padding)`.
 *
 * @throws HyperParameterError naming the option (as `maxPool2d`); `apply` throws a ValueError naming
 *   `x` for an input that is not rank-4 float32 or smaller than the window.
 * @example
 * ```ts
 * const pool = avgPool2d({ kernelSize: 2 });                            // [b, 8, 8, c] → [b, 4, 4, c]
 * const smooth = avgPool2d({ kernelSize: 3, stride: 1, padding: 'same' }); // same size, borders averaged over the image only
 * ```
 */
export function avgPool2d(options: Pool2dOptions): Pool2d {
  return new PoolModule('avg', options);
}
