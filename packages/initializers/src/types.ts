import type * as tf from '@tensorflow/tfjs-core';

/**
 * An initializer: makes a new tensor of `shape` (and `dtype`, float32 by default). Layouts are
 * tfjs's: dense kernels `[in, out]`, conv kernels `[h, w, in, out]` (`[w, in, out]`, `[d, h, w, in, out]`).
 * A seeded initializer is reproducible: its k-th call gives the same numbers on every backend and
 * every run (and its calls differ from one another, so one initializer can fill many layers).
 *
 * @example
 * ```ts
 * const init: Initializer = heNormal({ seed: 1 });
 * const kernel = tf.variable(init([784, 256]));
 * ```
 */
export type Initializer = (shape: readonly number[], dtype?: tf.DataType) => tf.Tensor;

/**
 * Which fan a variance-preserving initializer divides by: `fanIn` (the forward pass keeps its
 * variance; PyTorch's `mode='fan_in'`), `fanOut` (the backward pass does), or `fanAvg`, their mean
 * (Glorot's compromise).
 *
 * @example `kaimingNormal({ mode: 'fanOut' })`
 */
export type FanMode = 'fanIn' | 'fanOut' | 'fanAvg';

/** The fans of a weight shape. @example `computeFans([3, 3, 16, 32]) // { fanIn: 144, fanOut: 288, receptiveField: 9 }` */
export interface Fans {
  /** Inputs feeding one output unit: `in · receptiveField`. */
  readonly fanIn: number;
  /** Outputs one input unit feeds: `out · receptiveField`. */
  readonly fanOut: number;
  /** The product of the spatial (kernel) dimensions; 1 for a dense kernel. */
  readonly receptiveField: number;
}

/** The `seed` option shared by the random initializers. @example `{ seed: 42 }` */
export interface SeedOptions {
  /**
   * An integer seed (|seed| < 2⁵³). The same seed gives the same numbers on every backend. Without
   * one, a random seed is drawn when the initializer is made.
   */
  readonly seed?: number;
}
