// The statistics of one tensor in one loop over its values, for the cpu and wasm kernels (which see
// the backend's own typed arrays). Sums are accumulated in float64; the result is stored as float32.
import type { Profile } from '../stats.js';

/**
 * The final statistics of one tensor, in `COLUMNS[profile]` order (see stats.ts): NaN and ±Infinity propagate
 * into Σx and Σx² (as on the tf-ops path), while max |x|, min and max are over the finite elements and
 * zeros, non-finite, active-unit and saturated counts are exact.
 */
export function statsLoop(values: ArrayLike<number>, profile: Profile, shape: readonly number[], margin: number): number[] {
  const n = values.length;
  let sumSq = 0;
  if (profile === 'norm') {
    for (let i = 0; i < n; i++) {
      const v = values[i] as number;
      sumSq += v * v;
    }
    return [sumSq];
  }
  let sum = 0;
  let max = Number.NEGATIVE_INFINITY;
  let min = Number.POSITIVE_INFINITY;
  let zeros = 0;
  let nonFinite = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i] as number;
    sum += v;
    sumSq += v * v;
    if (v === 0) zeros++;
    else if (v - v !== 0)
      nonFinite++; // NaN and ±Infinity
    else {
      if (v > max) max = v;
      if (v < min) min = v;
    }
  }
  if (max < min) max = min = 0; // no finite non-zero element … or none at all
  if (zeros > 0 && max < 0) max = 0;
  if (zeros > 0 && min > 0) min = 0;
  if (profile === 'full') return [sumSq, sum, Math.max(max, -min), zeros, nonFinite];
  // activation: units are the last axis; a unit is active when it is > 0 somewhere in the batch.
  const units = shape.length === 0 ? 1 : (shape[shape.length - 1] as number);
  const low = Math.fround(margin);
  const high = Math.fround(1 - margin);
  const active = new Uint8Array(units);
  let sigmoidSaturated = 0;
  let tanhSaturated = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i] as number;
    if (v > 0) active[i % units] = 1;
    if (v < low || v > high) sigmoidSaturated++;
    if (v > high || v < -high) tanhSaturated++;
  }
  let activeUnits = 0;
  for (let j = 0; j < units; j++) activeUnits += active[j] as number;
  return [sumSq, sum, max, min, zeros, nonFinite, activeUnits, sigmoidSaturated, tanhSaturated];
}
