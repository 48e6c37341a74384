import { HyperParameterError, type Schedule } from '@gradkit/core';
import { checkBoundaries, checkNumber, checkScheduleOptions, NON_NEGATIVE, schedule } from './validate.js';

/** Options of `piecewiseConstant`. @example `{ boundaries: [100, 200], values: [0.1, 0.01, 0.001] }` */
export interface PiecewiseConstantOptions {
  /** The steps where the value changes: integers ≥ 0, strictly increasing. */
  readonly boundaries: readonly number[];
  /** The values (finite, ≥ 0), one more than `boundaries`: `values[i]` holds from `boundaries[i-1]` (inclusive) to `boundaries[i]` (exclusive). */
  readonly values: readonly number[];
}

/**
 * A piecewise-constant schedule: ηₜ = values[i] for boundaries[i−1] ≤ t < boundaries[i] (values[0]
 * before the first boundary, the last value from the last boundary on).
 *
 * PyTorch: `MultiStepLR(opt, milestones=boundaries, gamma)` is `values = [η, ηγ, ηγ², …]` (the new
 * value applies from the milestone step on, as here); optax: `piecewise_constant_schedule` (which
 * takes scales instead of values). Keras's `PiecewiseConstantDecay` switches one step later
 * (`t > boundary`).
 *
 * @throws HyperParameterError naming 'boundaries' (not integers ≥ 0, not strictly increasing) or
 *   'values' (not finite, negative, or not `boundaries.length + 1` of them); the schedule throws one
 *   naming 'step' for a step that is not an integer ≥ 0.
 * @example
 * ```ts
 * const lr = piecewiseConstant({ boundaries: [100, 200], values: [0.1, 0.01, 0.001] }); // lr(100) = 0.01
 * ```
 */
export function piecewiseConstant(options: PiecewiseConstantOptions): Schedule {
  checkScheduleOptions('piecewiseConstant', options, ['boundaries', 'values'], 'piecewiseConstant({ boundaries: [100], values: [0.1, 0.01] })');
  const boundaries = checkBoundaries('boundaries', options.boundaries);
  if (!Array.isArray(options.values)) throw new HyperParameterError('values', 'values must be an array of numbers');
  if (options.values.length !== boundaries.length + 1)
    throw new HyperParameterError(
      'values',
      `values must have one more entry than boundaries (${boundaries.length + 1} for ${boundaries.length} boundaries), got ${options.values.length}`,
    );
  const values = options.values.map((v, i) => {
    try {
      return checkNumber('values', v, NON_NEGATIVE);
    } catch (e) {
      throw new HyperParameterError('values', `values[${i}]: ${(e as Error).message.replace(/^values /, '')}`);
    }
  });
  return schedule({ schedule: 'piecewiseConstant', boundaries: [...boundaries], values: [...values] }, (t) => {
    let i = 0;
    while (i < boundaries.length && t >= (boundaries[i] as number)) i++;
    return values[i] as number;
  });
}
