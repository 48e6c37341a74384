// Shared by the statistics kernels' tests (not part of the package's surface): values with every
// special case, and the comparison of a kernel's row with stats-loop.ts's.
import { expect } from 'vitest';

/** Values with zeros, −0, NaN and ±∞ at positions in the SIMD body and in the tail. */
export function values(n: number, seed: number): Float32Array {
  const x = Float32Array.from({ length: n }, (_, i) => Math.sin(seed * 12.9898 + i * 78.233) * 3);
  const special = [0, -0, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0.005, 0.995, -0.995];
  for (const [k, v] of special.entries()) {
    const at = (seed * 7 + k * 13) % Math.max(n, 1);
    if (n > 8) x[at] = v;
  }
  if (n > 2) x[n - 1] = seed % 2 ? Number.NaN : 0; // the scalar tail too
  return x;
}

/** Exact for counts, max and min (Object.is, so −0 ≠ +0); sums within 1e-12 relative (float64, other order). */
export function expectSameRow(actual: number[], expected: number[], what: string): void {
  expect(actual.length, what).toBe(expected.length);
  for (const [i, e] of expected.entries()) {
    const a = actual[i] as number;
    const isSum = i < 2; // sumSq and sum lead every profile's row
    if (isSum && Number.isFinite(e)) expect(Math.abs(a - e), `${what}[${i}]: ${a} vs ${e}`).toBeLessThanOrEqual(1e-12 * Math.abs(e) + 1e-12);
    else expect(a, `${what}[${i}]`).toBe(e);
  }
}
