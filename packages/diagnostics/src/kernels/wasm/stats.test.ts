import { currentBackend } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import type { Profile } from '../../stats.js';
import { statsLoop } from '../stats-loop.js';
import { expectSameRow, values } from '../test-support.js';
import { instantiateStats, statsOf, statsOfRuns, wasmStats } from './stats.js';

// stats.wat on memories of its own (every build: SIMD, scalar, shared) against stats-loop.ts, the
// JavaScript definition of the statistics: counts, max and min exactly, sums within float64 rounding
// of another summation order. Then, on the wasm backend, on tensors in tfjs's heap.

const PROFILES: readonly Profile[] = ['norm', 'full', 'activation'];

/** `rows` × `units` ReLU outputs, the units where `dead(j)` holds never > 0 (0, −0, or `fill` in one row). */
function relu(rows: number, units: number, dead: (j: number) => boolean, fill = 0): Float32Array {
  return Float32Array.from({ length: rows * units }, (_, i) => {
    const [row, j] = [Math.floor(i / units), i % units];
    if (dead(j)) return row === 1 ? fill : row % 2 ? -0 : 0;
    return Math.max(0, Math.sin(i * 1.7 + j));
  });
}
const SHAPES = [[0], [1], [3], [4], [5, 7], [33, 4], [4099]];

describe.skipIf(currentBackend() !== 'wasm')('stats.wat on memories of its own', () => {
  for (const variant of ['simd', 'scalar', 'simdShared', 'scalarShared'] as const) {
    it(`${variant}: every profile as stats-loop.ts computes it, shapes ${SHAPES.map((s) => `[${s}]`).join(' ')}`, () => {
      const memory = variant.endsWith('Shared') ? new WebAssembly.Memory({ initial: 1, maximum: 16, shared: true }) : new WebAssembly.Memory({ initial: 1 });
      const m = instantiateStats(memory, variant);
      for (const [seed, shape] of SHAPES.entries()) {
        const n = shape.reduce((a, b) => a * b, 1);
        const x = values(n, seed + 1);
        const offset = 16 + 4 * (seed % 2); // odd offsets: unaligned SIMD loads
        const view = new Float32Array(memory.buffer, offset, n);
        view.set(x);
        for (const profile of PROFILES) {
          expectSameRow(
            statsOf(m, offset, n, profile, shape, 0.01, () => view),
            statsLoop(x, profile, shape, 0.01),
            `${variant} ${profile} [${shape}]`,
          );
        }
      }
    });
  }

  // Finite tensors take full's one pass (max and min by pmax/pmin over every element); a NaN or ±∞
  // anywhere sends the run to the exact pass. Each alone, in the SIMD body and in the tail, and
  // tensors passed as several runs (the totals add up, as the cpu backend's chunks need).
  const finite = (n: number, seed: number, sign = 0) =>
    values(n, seed).map((v, i) => {
      const f = Number.isFinite(v) ? v : i % 2 ? 0 : -0;
      return sign === 0 ? f : sign * Math.abs(f) + sign * 0.25;
    });
  const cases: [string, Float32Array, number[]][] = [];
  for (const n of [4, 7, 132, 4099]) {
    const shape = n === 132 ? [33, 4] : [n];
    cases.push([`finite [${shape}]`, finite(n, n), shape]);
    for (const special of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY])
      for (const at of n > 4 ? [1, n - 1] : [1]) {
        const x = finite(n, n);
        x[at] = special;
        cases.push([`${special} at ${at} of [${shape}]`, x, shape]);
      }
  }
  cases.push(['all negative', finite(4099, 2, -1), [4099]], ['all positive', finite(4099, 3, 1), [4099]]);
  /** Cut points: a run of one, an empty run, runs that start and end off the SIMD width. */
  const splits = (n: number) => [0, 1, 1, Math.floor(n / 3) + 1, Math.floor(n / 3) + 6, n].filter((k) => k <= n).sort((a, b) => a - b);

  for (const variant of ['simd', 'scalar'] as const) {
    it(`${variant}: one pass for finite tensors, the exact pass for NaN and ±∞, in one run or several`, () => {
      const memory = new WebAssembly.Memory({ initial: 1 });
      const m = instantiateStats(memory, variant);
      for (const [what, x, shape] of cases) {
        const view = new Float32Array(memory.buffer, 16, x.length);
        view.set(x);
        const cuts = splits(x.length);
        const runs = (pass: (offset: number, count: number) => void) => {
          for (let k = 1; k < cuts.length; k++) pass(16 + 4 * (cuts[k - 1] as number), (cuts[k] as number) - (cuts[k - 1] as number));
        };
        for (const profile of PROFILES) {
          const expected = statsLoop(x, profile, shape, 0.01);
          expectSameRow(
            statsOf(m, 16, x.length, profile, shape, 0.01, () => view),
            expected,
            `${variant} ${profile} ${what}`,
          );
          expectSameRow(
            statsOfRuns(m, runs, x.length, profile, shape, 0.01, () => view),
            expected,
            `${variant} ${profile} ${what}, runs ${cuts}`,
          );
        }
      }
    });
  }

  // Active units flagged by the module in scratch after the data (as wasmStats and the cpu chunks do):
  // dead units (never > 0, NaN included), unit counts off the SIMD width, and runs of whole rows.
  const activations: [string, Float32Array, number[]][] = [
    ...SHAPES.map((shape, seed): [string, Float32Array, number[]] => [
      `[${shape}]`,
      values(
        shape.reduce((a, b) => a * b, 1),
        seed + 1,
      ),
      shape,
    ]),
    ['dead units [64, 256]', relu(64, 256, (j) => j % 3 === 0), [64, 256]],
    ['dead units, NaN in one row [9, 7]', relu(9, 7, (j) => j === 2 || j === 6, Number.NaN), [9, 7]],
    ['one unit [5, 1]', relu(5, 1, () => false), [5, 1]],
    ['a dead scalar', Float32Array.of(-1), []],
  ];
  for (const variant of ['simd', 'scalar', 'simdShared', 'scalarShared'] as const) {
    it(`${variant}: active units counted in the module, in one run or in runs of whole rows`, () => {
      const memory = variant.endsWith('Shared') ? new WebAssembly.Memory({ initial: 4, maximum: 16, shared: true }) : new WebAssembly.Memory({ initial: 4 });
      const m = instantiateStats(memory, variant);
      for (const [what, x, shape] of activations) {
        const view = new Float32Array(memory.buffer, 16, x.length);
        view.set(x);
        const flags = 16 + 4 * x.length + 4; // unaligned too
        const expected = statsLoop(x, 'activation', shape, 0.01);
        expectSameRow(
          statsOf(m, 16, x.length, 'activation', shape, 0.01, () => view, flags),
          expected,
          `${variant} ${what}`,
        );
        const units = shape.length === 0 ? 1 : (shape[shape.length - 1] as number);
        const rows = units === 0 ? 0 : x.length / units;
        const cuts = [0, Math.min(1, rows), Math.min(1, rows), Math.floor(rows / 2), rows].sort((a, b) => a - b).map((r) => r * units);
        const runs = (pass: (offset: number, count: number) => void) => {
          for (let k = 1; k < cuts.length; k++) pass(16 + 4 * (cuts[k - 1] as number), (cuts[k] as number) - (cuts[k - 1] as number));
        };
        expectSameRow(
          statsOfRuns(m, runs, x.length, 'activation', shape, 0.01, () => view, flags),
          expected,
          `${variant} ${what}, rows ${cuts}`,
        );
      }
    });
  }

  it('all-zero, all-NaN and −0-only tensors: max and min 0 (not −0 or ±∞), counts exact', () => {
    const memory = new WebAssembly.Memory({ initial: 1 });
    const m = instantiateStats(memory, 'simd');
    for (const x of [new Float32Array(9), new Float32Array(9).fill(Number.NaN), new Float32Array(6).fill(-0), Float32Array.of(-0, 2, -0, 0, 0)]) {
      new Float32Array(memory.buffer, 0, x.length).set(x);
      const view = new Float32Array(memory.buffer, 0, x.length);
      for (const profile of ['full', 'activation'] as const)
        expectSameRow(
          statsOf(m, 0, x.length, profile, [x.length], 0.01, () => view),
          statsLoop(x, profile, [x.length], 0.01),
          `${x} ${profile}`,
        );
    }
  });
});

describe.skipIf(currentBackend() !== 'wasm')('stats on the wasm backend', () => {
  it("reads tensors where they lie in tfjs's heap, and leaves non-float32 tensors to the JavaScript loop", () => {
    const x = tf.tensor2d(values(4 * 33, 3), [33, 4]);
    const b = tf.backend() as unknown as { typedArrayFromHeap(t: tf.TensorInfo): Float32Array };
    for (const profile of PROFILES) {
      const row = wasmStats(tf.backend(), x, profile, 0.01);
      expect(row).toBeDefined();
      expectSameRow(row as number[], statsLoop(b.typedArrayFromHeap(x), profile, x.shape, 0.01), profile);
    }
    const ints = tf.tensor1d([1, 2, 3], 'int32');
    expect(wasmStats(tf.backend(), ints, 'full', 0.01)).toBeUndefined();
    tf.dispose([x, ints]);
  });
});
