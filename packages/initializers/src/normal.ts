import { checkOptions } from '@gradkit/core';
import type * as tf from '@tensorflow/tfjs-core';
import { numberOption, POSITIVE, seeded, sizeOf } from './internal.js';
import type { Initializer, SeedOptions } from './types.js';

/** Options of `normal`. @example `{ mean: 0, stddev: 0.02, seed: 1 }` */
export interface NormalOptions extends SeedOptions {
  /** Mean (default 0). */
  readonly mean?: number;
  /** Standard deviation, > 0 (default 1, as PyTorch's `std`). */
  readonly stddev?: number;
}

/**
 * Draws every element from the normal distribution N(mean, stddev²) (Box–Muller in float64 on the
 * host, rounded to float32). PyTorch `torch.nn.init.normal_(tensor, mean=0, std=1)`.
 *
 * @throws UnknownOptionError for an unknown option (PyTorch's `std` suggests `stddev`);
 *   HyperParameterError (field `mean`, `stddev` or `seed`) for a non-finite mean, stddev ≤ 0 or
 *   a seed that is not an integer.
 * @example
 * ```ts
 * const embedding = normal({ stddev: 0.02, seed: 3 })([50000, 768]); // GPT-2's initialisation
 * ```
 */
export function normal(options: NormalOptions = {}): Initializer {
  const o = checkOptions('normal', options, ['seed', 'mean', 'stddev'], { example: 'normal({ mean: 0, stddev: 0.02, seed: 0 })' });
  const mean = numberOption('mean', o.mean, 0);
  const stddev = numberOption('stddev', o.stddev, 1, POSITIVE);
  return normalInitializer('normal', o.seed, () => [mean, stddev]);
}

/** A normal initializer whose mean and standard deviation depend on the shape (the fan-based ones). */
export function normalInitializer(fn: string, seed: number | undefined, params: (shape: number[]) => [number, number]): Initializer {
  return seeded(fn, seed, (rng, shape) => {
    const [mean, stddev] = params(shape);
    const z = rng.standardNormals(sizeOf(shape));
    const out = new Float32Array(z.length);
    for (let i = 0; i < z.length; i++) out[i] = mean + stddev * (z[i] as number);
    return out;
  }) as (shape: readonly number[], dtype?: tf.DataType) => tf.Tensor;
}
