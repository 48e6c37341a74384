import { valueAndGrad } from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, inject, it } from 'vitest';
import { backendInfo, currentBackend, expectClose, harnessState } from './index.js';

// The harness's own smoke test: each vitest project really runs on its backend, and numbers
// computed there come back right.
describe('backend harness', () => {
  it('runs on the backend its project is named after', () => {
    const project = inject('gradkitBackend');
    expect(['cpu', 'wasm', 'webgpu']).toContain(project);
    expect(tf.getBackend()).toBe(project);
    expect(currentBackend()).toBe(project);
    expect(harnessState().backend).toBe(project);
  });

  it('records what useBackend started', () => {
    const info = backendInfo();
    expect(info?.name).toBe(currentBackend());
    expect(info?.fallbacks).toEqual([]);
    if (info?.name === 'wasm') expect(info.simd).toBe(true); // Node ≥ 20 always has wasm SIMD
    if (info?.name === 'webgpu') expect(info.adapter?.description || info.adapter?.device).toBeTruthy();
    if (info?.name === 'cpu') expect(info.adapter).toBeUndefined();
  });

  it('computes known values on the backend (read with await)', async () => {
    const x = tf.tensor1d([1, 2, 3]);
    const s = tf.sum(x);
    expect(Array.from(await s.data())).toEqual([6]);
    const [a, b] = [tf.tensor2d([1, 2, 3, 4], [2, 2]), tf.tensor2d([5, 6, 7, 8], [2, 2])];
    const m = tf.matMul(a, b);
    expect(await m.array()).toEqual([
      [19, 22],
      [43, 50],
    ]);
    const z = tf.tensor1d([0, 1, -1]);
    const e = tf.exp(z);
    await expectClose(e, [1, Math.E, 1 / Math.E], { what: 'exp' });
    tf.dispose([x, s, a, b, m, z, e]);
  });

  it('differentiates on the backend: d/dw sum(w²) = 2w, d/db sum(exp(b)) = exp(b)', async () => {
    const params = { w: tf.tensor1d([1, -2, 3]), b: [tf.tensor2d([0, 1, -1, 2], [2, 2])] };
    const f = (p: typeof params) => tf.add(tf.sum(tf.mul(p.w, p.w)), tf.sum(tf.exp(p.b[0] as tf.Tensor)));
    const { value, grads } = valueAndGrad(f)(params);
    const g = grads as unknown as typeof params;
    await expectClose(value, 14 + 1 + Math.E + Math.exp(-1) + Math.exp(2), { what: 'value' });
    await expectClose(g.w, [2, -4, 6], { what: 'grads.w' });
    await expectClose(
      g.b[0] as tf.Tensor,
      [
        [1, Math.E],
        [Math.exp(-1), Math.exp(2)],
      ],
      { what: 'grads.b.0' },
    );
    tf.dispose([value, g.w, ...g.b, params.w, ...params.b]);
  });
});
