import { currentBackend, expectClose, expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { launchStats, readStats, type StatsRequest, type StatsRow, setStatsKernelEnabled } from '../stats.js';
import { normals, seeded } from '../test-support.js';

// Parity: the statistics kernel (cpu/wasm: one JavaScript loop per tensor; webgpu: one compute pass) against the tf-ops
// reference path, on the same tensors, including zeros, NaN, ±Infinity, ties at the saturation
// margin's neighbourhood avoided, several shapes and a stacked group.
const rng = seeded(5);
const t = (shape: number[], f: (v: number, i: number) => number = (v) => v) =>
  tf.tensor(
    normals(
      rng,
      shape.reduce((a, b) => a * b, 1),
    ).map(f),
    shape,
  );
const requests: StatsRequest[] = [
  { tensor: t([6, 5], (v, i) => (i % 7 === 0 ? 0 : v)), profile: 'full' },
  { tensor: t([6, 5]), profile: 'full' },
  { tensor: t([5], (v, i) => [Number.NaN, 0, Number.POSITIVE_INFINITY, v, -3][i] as number), profile: 'full' },
  { tensor: t([]), profile: 'full' },
  { tensor: t([6, 5]), profile: 'norm' },
  { tensor: t([3, 4, 4], (v) => 1 / (1 + Math.exp(-4 * v))), profile: 'activation' },
  { tensor: t([12, 4], (v, i) => (i % 4 === 1 ? 0 : Math.max(0, v))), profile: 'activation' },
  { tensor: t([8, 3], (v) => Math.tanh(3 * v)), profile: 'activation' },
];

async function rows(kernel: boolean): Promise<{ rows: StatsRow[]; mode: string }> {
  setStatsKernelEnabled(kernel);
  try {
    const pending = launchStats(requests, 0.01);
    return { rows: await readStats(pending), mode: pending.mode };
  } finally {
    setStatsKernelEnabled(true);
  }
}

describe(`statistics kernel on ${currentBackend()} vs the tf-ops path`, () => {
  it('gives the same statistics, counts exactly equal', async () => {
    const reference = await rows(false);
    const fused = await rows(true);
    expect(reference.mode).toBe('ops');
    expect(fused.mode).toBe('kernel');
    for (const [i, row] of fused.rows.entries()) {
      const ref = reference.rows[i] as StatsRow;
      expect(Object.keys(row)).toEqual(Object.keys(ref));
      for (const [k, v] of Object.entries(row)) {
        const r = ref[k] as number;
        if (['zeros', 'nonFinite', 'active', 'sigmoidSaturated', 'tanhSaturated', 'maxAbs', 'max', 'min'].includes(k)) expect(v, `${i}.${k}`).toBe(r);
        else await expectClose(v, r, { rtol: 1e-5, atol: 1e-5, what: `${i}.${k}` });
      }
    }
    // hand-checked: request 2 is [NaN, 0, Infinity, x, −3]
    expect(fused.rows[2]).toMatchObject({ zeros: 1, nonFinite: 2 });
    expect(fused.rows[2]?.sumSq).toBeNaN();
  });

  it('leaks nothing on either path', async () => {
    await rows(true);
    await expectNoLeaks(async () => {
      await rows(true);
      await rows(false);
    });
  });

  afterAll(() => tf.dispose(requests.map((r) => r.tensor)));
});
