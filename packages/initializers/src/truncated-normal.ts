import { checkOptions, HyperParameterError } from '@gradkit/core';
import { numberOption, POSITIVE, seeded, sizeOf } from './internal.js';
import { normalCdf, normalQuantile } from './normal-math.js';
import type { Initializer, SeedOptions } from './types.js';

/** Options of `truncatedNormal`. @example `{ stddev: 0.02, seed: 1 }` */
export interface TruncatedNormalOptions extends SeedOptions {
  /** Mean of the untruncated normal (default 0). */
  readonly mean?: number;
  /** Standard deviation of the untruncated normal, > 0 (default 1). */
  readonly stddev?: number;
  /** Lower cut-off, an absolute value as PyTorch's `a` (default mean − 2·stddev). */
  readonly min?: number;
  /** Upper cut-off, > min, an absolute value as PyTorch's `b` (default mean + 2·stddev). */
  readonly max?: number;
}

/**
 * Draws from N(mean, stddev²) restricted to [min, max], by inversion as PyTorch does:
 * x = mean + stddev·Φ⁻¹(Φ(α) + u·(Φ(β) − Φ(α))), α = (min − mean)/stddev, β = (max − mean)/stddev,
 * u ~ U(0, 1), in float64 (an interval in the upper tail is sampled as the mirror of the lower one,
 * so even [mean + 10σ, mean + 11σ] keeps its precision).
 *
 * PyTorch `torch.nn.init.trunc_normal_(tensor, mean=0, std=1, a=-2, b=2)`; the default cut-offs here
 * are ±2 standard deviations around the mean (tfjs's and JAX's `truncated_normal`), which is PyTorch's
 * default when std = 1. The standard deviation of the result is about 0.8796·stddev at ±2σ.
 *
 * @throws UnknownOptionError for an unknown option; HyperParameterError (field `mean`, `stddev`,
 *   `min`, `max` or `seed`) for non-finite values,
 *   stddev ≤ 0 or min ≥ max.
 * @example
 * ```ts
 * const w = truncatedNormal({ stddev: 0.02, seed: 5 })([768, 3072]); // ViT / BERT style
 * ```
 */
export function truncatedNormal(options: TruncatedNormalOptions = {}): Initializer {
  const fn = 'truncatedNormal';
  const o = checkOptions(fn, options, ['seed', 'mean', 'stddev', 'min', 'max'], { example: 'truncatedNormal({ stddev: 0.02, seed: 0 })' });
  const mean = numberOption('mean', o.mean, 0);
  const stddev = numberOption('stddev', o.stddev, 1, POSITIVE);
  const min = numberOption('min', o.min, mean - 2 * stddev);
  const max = numberOption('max', o.max, mean + 2 * stddev);
  if (min >= max) throw new HyperParameterError('min', `truncatedNormal: min (${min}) must be less than max (${max})`);
  return truncatedNormalInitializer(fn, o.seed, () => ({ mean, stddev, min, max }));
}

/** A truncated normal initializer whose parameters depend on the shape (varianceScaling). */
export function truncatedNormalInitializer(
  fn: string,
  seed: number | undefined,
  params: (shape: number[]) => { mean: number; stddev: number; min: number; max: number },
): Initializer {
  return seeded(fn, seed, (rng, shape) => {
    const { mean, stddev, min, max } = params(shape);
    let alpha = (min - mean) / stddev;
    let beta = (max - mean) / stddev;
    // Sample the lower tail's mirror when the interval lies above the mean: Φ is exact near 0, not near 1.
    const mirror = alpha > 0;
    if (mirror) [alpha, beta] = [-beta, -alpha];
    const lo = normalCdf(alpha);
    const width = normalCdf(beta) - lo;
    const n = sizeOf(shape);
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const p = lo + width * rng.nextDouble();
      // p can reach 0 only for an interval beyond −38σ; clamp keeps z inside [α, β] despite rounding.
      const z = Math.min(Math.max(p > 0 ? normalQuantile(p) : alpha, alpha), beta);
      out[i] = mean + stddev * (mirror ? -z : z);
    }
    return out;
  });
}
