import { currentBackend } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import type { Profile } from '../../stats.js';
import { statsLoop } from '../stats-loop.js';
import { instantiateStats, statsOf, wasmStats } from './stats.js';

// stats.wat on memories of its own (every build: SIMD, scalar, shared) against stats-loop.ts, the
// JavaScript definition of the statistics: counts, max and min exactly, sums within float64 rounding
// of another summation order. Then, on the wasm backend, on tensors in tfjs's heap.

/** Values with zeros, −0, NaN and ±∞ at positions in the SIMD body and in the tail. */
function values(n: number, seed: number): Float32Array {
  const x = Float32Array.from({ length: n }, (_, i) => Math.sin(seed * 12.9898 + i * 78.233) * 3);
  const special = [0, -0, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0.005, 0.995, -0.995];
  for (const [k, v] of special.entries()) {
    const at = (seed * 7 + k * 13) % Math.max(n, 1);
    if (n > 8) x[at] = v;
  }
  if (n > 2) x[n - 1] = seed % 2 ? Number.NaN : 0; // the scalar tail too
  return x;
}

const PROFILES: readonly Profile[] = ['norm', 'full', 'activation'];
const SHAPES = [[0], [1], [3], [4], [5, 7], [33, 4], [4099]];

/** Exact for counts, max and min (Object.is, so −0 ≠ +0); sums within 1e-12 relative (float64, other order). */
function expectSameRow(actual: number[], expected: number[], what: string): void {
  expect(actual.length, what).toBe(expected.length);
  for (const [i, e] of expected.entries()) {
    const a = actual[i] as number;
    const isSum = i < 2; // sumSq and sum lead every profile's row
    if (isSum && Number.isFinite(e)) expect(Math.abs(a - e), `${what}[${i}]: ${a} vs ${e}`).toBeLessThanOrEqual(1e-12 * Math.abs(e) + 1e-12);
    else expect(a, `${what}[${i}]`).toBe(e);
  }
}

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
