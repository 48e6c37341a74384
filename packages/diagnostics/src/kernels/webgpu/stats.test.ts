import type { WebGpuBackend } from '@gradkit/core';
import { currentBackend, expectClose, expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { COLUMNS, launchStats, type Profile, readStats, type StatsRequest } from '../../stats.js';
import { normals, seeded } from '../../test-support.js';
import { statsLoop } from '../stats-loop.js';

// The webgpu statistics kernel on tensors large enough for many workgroups per tensor, against the
// cpu/wasm loop (stats-loop.ts, float64 sums) run on the same values read back to the host.
const onWebGpu = currentBackend() === 'webgpu';
const rng = seeded(11);
const t = (shape: number[], f: (v: number, i: number) => number = (v) => v, dtype: 'float32' | 'int32' = 'float32') =>
  tf.tensor(Array.from(normals(rng, tf.util.sizeFromShape(shape))).map(f), shape, dtype);

describe.runIf(onWebGpu)('statistics kernel on webgpu, large tensors', () => {
  const requests: (StatsRequest & { profile: Profile })[] = onWebGpu
    ? [
        { tensor: t([1000, 101], (v, i) => (i === 77_777 ? Number.NaN : i % 13 === 0 ? 0 : v)), profile: 'full' },
        { tensor: t([257, 48], (v, i) => (i % 48 === 5 ? -Math.abs(v) : Math.max(0, v))), profile: 'activation' },
        { tensor: t([200, 10], (v) => 1 / (1 + Math.exp(-5 * v))), profile: 'activation' },
        { tensor: t([333, 7], (v) => Math.tanh(4 * v)), profile: 'activation' },
        { tensor: t([70_001]), profile: 'norm' },
        { tensor: t([9, 5], (v) => Math.round(3 * v), 'int32'), profile: 'full' },
        { tensor: t([2048], (_v, i) => (i % 2 ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY)), profile: 'full' },
      ]
    : [];
  afterAll(() => tf.dispose(requests.map((r) => r.tensor)));

  it('matches the float64 loop: counts and extremes exactly, sums within float32 accumulation error', async () => {
    const device = (tf.backend() as unknown as WebGpuBackend).device as unknown as {
      pushErrorScope(f: string): void;
      popErrorScope(): Promise<{ message: string } | null>;
    };
    device.pushErrorScope('validation');
    const pending = launchStats(requests, 0.02);
    expect(await device.popErrorScope()).toBeNull();
    expect(pending.mode).toBe('kernel');
    const rows = await readStats(pending);
    for (const [i, { tensor, profile }] of requests.entries()) {
      const expected = statsLoop(await tensor.data(), profile, tensor.shape, 0.02);
      const row = rows[i] as Record<string, number>;
      for (const [j, column] of COLUMNS[profile].entries()) {
        const [a, e] = [row[column] as number, expected[j] as number];
        if (column === 'sumSq' || column === 'sum') await expectClose(a, Math.fround(e), { rtol: 1e-4, atol: 1e-2, what: `${i}.${column}` });
        else expect(a, `${i}.${column}`).toBe(Math.fround(e));
      }
    }
    expect(rows[0]).toMatchObject({ nonFinite: 1 });
    expect(rows[0]?.sumSq).toBeNaN();
    expect(rows[1]?.active).toBe(47);
    expect(rows[6]).toMatchObject({ nonFinite: 2048, maxAbs: 0, zeros: 0 });
  });

  it('takes one queue submit and no readback until readStats', async () => {
    const b = tf.backend() as unknown as WebGpuBackend & { queue: { submit(x: unknown[]): void } };
    if (b.commandEncoder) {
      b.endComputePassEncoder();
      b.submitQueue();
    }
    const queue = b.device.queue as { submit(x: unknown[]): void };
    const submit = queue.submit;
    let submits = 0;
    queue.submit = function (this: unknown, x: unknown[]) {
      submits++;
      return submit.call(this, x);
    };
    let pending: ReturnType<typeof launchStats>;
    try {
      pending = launchStats(requests, 0.01);
    } finally {
      queue.submit = submit;
    }
    expect(submits).toBe(1);
    expect((await readStats(pending)).length).toBe(requests.length);
  });

  it('leaks no tensors over 20 launches', async () => {
    await readStats(launchStats(requests, 0.01));
    await expectNoLeaks(async () => {
      for (let k = 0; k < 20; k++) await readStats(launchStats(requests, 0.01));
    });
  });
});
