import { checkOptions, HyperParameterError } from '@gradkit/core';
import type * as tf from '@tensorflow/tfjs-core';
import { numberOption, seeded, sizeOf } from './internal.js';
import type { Initializer, SeedOptions } from './types.js';

/** Options of `uniform`. @example `{ min: -0.05, max: 0.05, seed: 1 }` */
export interface UniformOptions extends SeedOptions {
  /** Lower bound (default 0, as PyTorch's `a`). */
  readonly min?: number;
  /** Upper bound, > min (default 1, as PyTorch's `b`). */
  readonly max?: number;
}

/**
 * Draws every element from the uniform distribution U(min, max) (float64 draws rounded to float32,
 * so both bounds can be reached). PyTorch `torch.nn.init.uniform_(tensor, a=0, b=1)`.
 *
 * @throws UnknownOptionError for an unknown option; HyperParameterError (field `min`, `max` or `seed`) for non-finite bounds, min ≥ max or a
 *   seed that is not an integer.
 * @example
 * ```ts
 * const w = uniform({ min: -0.1, max: 0.1, seed: 7 })([64, 32]);
 * ```
 */
export function uniform(options: UniformOptions = {}): Initializer {
  const o = checkOptions('uniform', options, ['seed', 'min', 'max'], { example: 'uniform({ min: -0.1, max: 0.1, seed: 0 })' });
  const min = numberOption('min', o.min, 0);
  const max = numberOption('max', o.max, 1);
  if (min >= max) throw new HyperParameterError('min', `uniform: min (${min}) must be less than max (${max})`);
  return uniformInitializer('uniform', o.seed, () => [min, max]);
}

/** A uniform initializer whose bounds depend on the shape (the fan-based ones). */
export function uniformInitializer(fn: string, seed: number | undefined, bounds: (shape: number[]) => [number, number]): Initializer {
  return seeded(fn, seed, (rng, shape) => {
    const [lo, hi] = bounds(shape);
    return rng.uniformArray(sizeOf(shape), lo, hi);
  }) as (shape: readonly number[], dtype?: tf.DataType) => tf.Tensor;
}
