import { currentBackend } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import type { Profile } from '../../stats.js';
import { statsLoop } from '../stats-loop.js';
import { expectSameRow, values } from '../test-support.js';
import { chunkedStats, cpuStats } from './stats.js';

// The cpu backend's statistics: stats.wat over chunks of 32768 elements copied into a memory of its
// own, against stats-loop.ts (the JavaScript definition), for tensors of one chunk and of several,
// with the special values in different chunks and activation rows that straddle chunk boundaries.

const PROFILES: readonly Profile[] = ['norm', 'full', 'activation'];
const CHUNK = 32768;

/** Finite values of `values` (NaN and ±∞ become zeros), with `specials` put at the given indices. */
function withSpecials(n: number, seed: number, specials: readonly [number, number][]): Float32Array {
  const x = values(n, seed).map((v) => (Number.isFinite(v) ? v : 0));
  for (const [at, v] of specials) x[at] = v;
  return x;
}

describe.skipIf(currentBackend() !== 'cpu')('statistics on the cpu backend, chunk by chunk', () => {
  const cases: [string, Float32Array, number[]][] = [
    ['one chunk, finite', withSpecials(1000, 1, []), [40, 25]],
    [
      'three chunks, finite, rows of 7 (unit 3 dead)',
      withSpecials(2 * CHUNK + 5, 2, []).map((v, i) => (i % 7 === 3 ? -Math.abs(v) : v)),
      [(2 * CHUNK + 5) / 7, 7],
    ],
    ['NaN in the second chunk only', withSpecials(2 * CHUNK + 13, 3, [[CHUNK + 5, Number.NaN]]), [2 * CHUNK + 13]],
    [
      '+∞ in the last chunk, −∞ in the first',
      withSpecials(2 * CHUNK + 13, 4, [
        [2 * CHUNK + 12, Number.POSITIVE_INFINITY],
        [3, Number.NEGATIVE_INFINITY],
      ]),
      [2 * CHUNK + 13],
    ],
    ['every special, exactly two chunks', values(2 * CHUNK, 5), [2 * CHUNK]],
    ['the largest element alone in its chunk', withSpecials(CHUNK + 1, 6, [[CHUNK, 1e30]]), [CHUNK + 1]],
    ['rows of 300 with dead units, 109 rows a chunk', withSpecials(260 * 300, 7, []).map((v, i) => (i % 300 < 40 ? -Math.abs(v) : v)), [260, 300]],
    ['rows wider than a chunk (active units counted in JavaScript)', withSpecials(2 * (CHUNK + 3), 8, []), [2, CHUNK + 3]],
  ];

  it('chunkedStats: every profile as stats-loop.ts computes it', () => {
    for (const [what, x, shape] of cases)
      for (const profile of PROFILES) {
        const row = chunkedStats(x, profile, shape, 0.01);
        expect(row, `${what} ${profile}`).toBeDefined();
        expectSameRow(row as number[], statsLoop(x, profile, shape, 0.01), `${what} ${profile}`);
      }
  });

  it("cpuStats reads the backend's float32 data, and leaves int32 tensors to the JavaScript loop", () => {
    const [, x, shape] = cases[1] as [string, Float32Array, number[]];
    const t = tf.tensor(x, shape);
    for (const profile of PROFILES) expectSameRow(cpuStats(tf.backend(), t, profile, 0.01) as number[], statsLoop(x, profile, shape, 0.01), profile);
    const ints = tf.tensor1d([1, 2, 3], 'int32');
    expect(cpuStats(tf.backend(), ints, 'full', 0.01)).toBeUndefined();
    tf.dispose([t, ints]);
  });
});
