import { type Pool2d, type Pool2dOptions, PoolModule } from './internal/pool-base.js';

/**
 * Max pooling over NHWC input `[batch, h, w, c]`: y[b, i, j, c] = max over the window at
 * (i·sh, j·sw) of the padded input, each channel apart; output
 * `[batch, ⌊(h + 2·ph − kh)/sh⌋ + 1, ⌊(w + 2·pw − kw)/sw⌋ + 1, c]` (with `'same'`: ⌈h/sh⌉ × ⌈w/sw⌉).
 * `stride` defaults to `kernelSize` (PyTorch and Keras). Padding: `'valid'` (default); a number is
 * PyTorch's `padding=p`, positions that never win the max (PyTorch pads with −∞; at most half the
 * window); `'same'` is TF/Keras's, the extra position at the bottom/right. The gradient goes to the
 * maximum of each window. No parameters; its output is tapped.
 *
 * PyTorch: `nn.MaxPool2d(kernel_size, stride, padding)` on NCHW (`ceil_mode=False`, `dilation=1`);
 * Keras: `layers.MaxPooling2D(pool_size, strides, padding)`.
 *
 * @throws HyperParameterError naming the option: kernelSize or stride not positive integers (or
 *   `[h, w]` of them), padding not 'valid', 'same' or non-negative integers at most half the window,
 *   `null`; UnknownOptionError for another option (PyTorch's `kernel_size`, Keras's `pool_size`).
 *   `apply` throws a ValueError naming `x` for an input that is not rank-4 float32 or smaller than the window.
 * @example
 * ```ts
 * const pool = maxPool2d({ kernelSize: 2 });                          // [b, 28, 28, c] → [b, 14, 14, c]
 * const overlap = maxPool2d({ kernelSize: 3, stride: 2, padding: 1 }); // ResNet's stem pooling
 * ```
 */
export function maxPool2d(options: Pool2dOptions): Pool2d {
  return new PoolModule('max', options);
}
