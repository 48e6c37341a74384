import * as tf from '@tensorflow/tfjs-core';
import { type ShapeModule, type ShapeModuleOptions, ShapeOnlyModule } from './global-avg-pool2d.js';

/**
 * Flattens every axis but the first: `[batch, d1, d2, …]` → `[batch, d1·d2·…]`, in row-major order
 * (for NHWC images the channels vary fastest, as Keras's `Flatten`; PyTorch's `nn.Flatten()` on NCHW
 * orders by channel first, so a dense layer after it has its rows permuted relative to PyTorch's).
 * No parameters; its output is tapped. Named `flatten` as the module of DESIGN.md; the tree
 * function `flatten` of `@gradkit/core` is another thing.
 *
 * PyTorch: `nn.Flatten(start_dim=1)`; Keras: `layers.Flatten()`.
 *
 * @throws UnknownOptionError for an option other than `name`; `apply` throws a ValueError naming `x`
 *   for an input of rank < 2 (it has no batch axis and features).
 * @example
 * ```ts
 * const net = sequential(conv2d({ inChannels: 1, outChannels: 8, kernelSize: 3, seed: 1 }), maxPool2d({ kernelSize: 2 }), flatten(), dense({ inFeatures: 8 * 13 * 13, outFeatures: 10, seed: 2 }));
 * ```
 */
export function flatten(options?: ShapeModuleOptions): ShapeModule {
  return new ShapeOnlyModule(
    'flatten',
    options,
    (x) => (x.rank >= 2 ? null : '[batch, ...] of rank ≥ 2'),
    (x) => tf.reshape(x, [x.shape[0] as number, x.shape.slice(1).reduce((a, b) => a * b, 1)]),
  );
}
