import { checkOptions } from '@gradkit/core';
import { checkChoice, checkMode, fanFor, fansOf, numberOption, POSITIVE } from './internal.js';
import { normalInitializer } from './normal.js';
import { truncatedNormalInitializer } from './truncated-normal.js';
import type { FanMode, Initializer, SeedOptions } from './types.js';
import { uniformInitializer } from './uniform.js';

/** The distributions `varianceScaling` draws from. @example `'truncatedNormal'` */
export type VarianceScalingDistribution = 'truncatedNormal' | 'normal' | 'uniform';

/** Options of `varianceScaling`. @example `{ scale: 2, mode: 'fanIn', distribution: 'normal', seed: 1 }` */
export interface VarianceScalingOptions extends SeedOptions {
  /** The target variance is scale/fan; > 0 (default 1). */
  readonly scale?: number;
  /** Which fan to divide by (default `'fanIn'`). */
  readonly mode?: FanMode;
  /** The distribution (default `'truncatedNormal'`, as Keras and JAX). */
  readonly distribution?: VarianceScalingDistribution;
}

/** Standard deviation of a standard normal truncated to [−2, 2] (Keras's and JAX's 0.87962566103423978). */
export const TRUNCATED_NORMAL_STDDEV = 0.87962566103423978;

const DISTRIBUTIONS: readonly VarianceScalingDistribution[] = ['truncatedNormal', 'normal', 'uniform'];

/**
 * Draws weights with variance scale/n, n = fanIn, fanOut or (fanIn + fanOut)/2 by `mode`:
 * `'normal'` N(0, scale/n); `'uniform'` U(−√(3·scale/n), √(3·scale/n)); `'truncatedNormal'` a normal
 * cut at ±2σ with σ = √(scale/n)/0.87962566103423978, so that the truncated variance is scale/n.
 * Fans come from tfjs layouts (dense `[in, out]`, conv `[h, w, in, out]`: fanIn = in·h·w).
 *
 * Keras `VarianceScaling(scale=1.0, mode='fan_in', distribution='truncated_normal')` and JAX
 * `jax.nn.initializers.variance_scaling`; every Glorot/He/LeCun initializer is a special case.
 *
 * @throws UnknownOptionError for an unknown option; HyperParameterError (field `scale`, `mode`,
 *   `distribution` or `seed`; `'truncated_normal'` suggests `'truncatedNormal'`) at construction;
 *   (field `shape`) at the call for a shape of rank < 2.
 * @example
 * ```ts
 * const lecunTruncated = varianceScaling({ scale: 1, mode: 'fanIn', distribution: 'truncatedNormal', seed: 0 });
 * const w = lecunTruncated([512, 512]);
 * ```
 */
export function varianceScaling(options: VarianceScalingOptions = {}): Initializer {
  const fn = 'varianceScaling';
  const o = checkOptions(fn, options, ['seed', 'scale', 'mode', 'distribution'], { example: "varianceScaling({ scale: 2, mode: 'fanIn', seed: 0 })" });
  const scale = numberOption('scale', o.scale, 1, POSITIVE);
  const mode = checkMode(o.mode, 'fanIn', fn);
  const distribution = checkChoice('distribution', o.distribution, DISTRIBUTIONS, 'truncatedNormal', fn);
  const variance = (shape: number[]) => scale / fanFor(fansOf(shape, fn), mode);
  if (distribution === 'normal') return normalInitializer(fn, o.seed, (shape) => [0, Math.sqrt(variance(shape))]);
  if (distribution === 'uniform')
    return uniformInitializer(fn, o.seed, (shape) => {
      const limit = Math.sqrt(3 * variance(shape));
      return [-limit, limit];
    });
  return truncatedNormalInitializer(fn, o.seed, (shape) => {
    const stddev = Math.sqrt(variance(shape)) / TRUNCATED_NORMAL_STDDEV;
    return { mean: 0, stddev, min: -2 * stddev, max: 2 * stddev };
  });
}
