// Parity of the matmul fast paths with tfjs's own kernels and with float64 products worked in
// JavaScript, on every backend, for every transpose combination, batched, fused with bias and
// activation, and through the gradients of a dense layer (where tfjs transposes).
import { currentBackend, expectClose, expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it } from 'vitest';
import { cpuMatMulRuns } from './cpu-matmul.js';
import { product, values } from './matmul-reference.js';
import { fastPaths, fastPathsEnabled, setFastPaths } from './registry.js';

afterEach(() => setFastPaths(true));

describe('matmul fast paths', () => {
  it('are installed on wasm by useBackend and on by default', () => {
    expect(fastPathsEnabled()).toBe(true);
    const wasm = fastPaths().filter((p) => p.backend === 'wasm' && p.kernelName.endsWith('MatMul'));
    expect(wasm.map((p) => [p.kernelName, p.kind]).sort()).toEqual([
      ['BatchMatMul', 'fast'],
      ['_FusedMatMul', 'fast'],
    ]);
    // Installed once the wasm backend started in this process (always so in the wasm project).
    if (currentBackend() === 'wasm') for (const p of wasm) expect(p.installed).toBe(true);
  });

  it('on the single-threaded wasm backend, BatchMatMul runs the SIMD module on the heap, not XNNPACK', async () => {
    const a = tf.tensor2d(values(6, 12), [3, 2]);
    const b = tf.tensor2d(values(8, 13), [4, 2]);
    const before = cpuMatMulRuns();
    const got = tf.matMul(a, b, false, true);
    await expectClose(await got.data(), product(values(6, 12), [3, 2], values(8, 13), [4, 2], false, true));
    expect(cpuMatMulRuns() - before).toBe(currentBackend() === 'wasm' || currentBackend() === 'cpu' ? 1 : 0);
    tf.dispose([a, b, got]);
  });

  const [m, k, n] = [5, 7, 3];
  for (const [ta, tb] of [
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ] as const) {
    it(`matMul(a, b, ${ta}, ${tb}) equals the float64 product, with fast paths on and off`, async () => {
      const av = values(m * k, 1);
      const bv = values(k * n, 2);
      // a is stored [k, m] when transposed, b [n, k].
      const a = tf.tensor2d(av, ta ? [k, m] : [m, k]);
      const b = tf.tensor2d(bv, tb ? [n, k] : [k, n]);
      const want = product(av, ta ? [k, m] : [m, k], bv, tb ? [n, k] : [k, n], ta, tb);
      for (const on of [true, false]) {
        setFastPaths(on);
        const got = await expectNoLeaks(() => tf.matMul(a, b, ta, tb));
        await expectClose(await got.data(), want, { what: `fast paths ${on}` });
        got.dispose();
      }
      tf.dispose([a, b]);
    });
  }

  it('batched (rank 3) transposed matmuls equal tfjs’s own kernel', async () => {
    const a = tf.tensor3d(values(2 * 4 * 6, 3), [2, 6, 4]);
    const b = tf.tensor3d(values(2 * 5 * 6, 4), [2, 5, 6]);
    setFastPaths(false);
    const own = tf.matMul(a, b, true, true);
    setFastPaths(true);
    const fast = tf.matMul(a, b, true, true);
    expect(fast.shape).toEqual([2, 4, 5]);
    await expectClose(await fast.data(), await own.data());
    tf.dispose([a, b, own, fast]);
  });

  // tfjs-backend-wasm 4.22's own _FusedMatMul adds the bias to the wrong elements when an operand is
  // transposed (its non-XNNPACK loop); the fast path, which hands XNNPACK untransposed operands, is right.
  it('fused matMul with bias and relu, transposed, equals the float64 reference (tfjs’s own wasm kernel does not)', async () => {
    const av = values(k * m, 5);
    const bv = values(n * k, 6);
    const a = tf.tensor2d(av, [k, m]);
    const b = tf.tensor2d(bv, [n, k]);
    const bias = tf.tensor1d([0.5, -0.25, 0.125]);
    const want = product(av, [k, m], bv, [n, k], true, true).map((v, idx) => Math.max(0, v + [0.5, -0.25, 0.125][idx % n]!));
    for (const on of [true, false]) {
      setFastPaths(on);
      const got = tf.fused.matMul({ a, b, transposeA: true, transposeB: true, bias, activation: 'relu' });
      if (!on && currentBackend() === 'wasm') await expect(expectClose(await got.data(), want)).rejects.toThrow(/differ/);
      else await expectClose(await got.data(), want, { what: `fast paths ${on}` });
      got.dispose();
    }
    tf.dispose([a, b, bias]);
  });

  it("a dense layer's gradients (transposed matmuls in tfjs's gradient) equal tfjs's own and the hand formulas", async () => {
    // L = Σ (x·W)·c  ⇒  dL/dW = xᵀ·c, dL/dx = c·Wᵀ.
    const [batch, inputs, units] = [4, 6, 3];
    const xv = values(batch * inputs, 7);
    const wv = values(inputs * units, 8);
    const cv = values(batch * units, 9);
    const x = tf.tensor2d(xv, [batch, inputs]);
    const w = tf.tensor2d(wv, [inputs, units]);
    const c = tf.tensor2d(cv, [batch, units]);
    const dW = product(xv, [batch, inputs], cv, [batch, units], true, false);
    const dX = product(cv, [batch, units], wv, [inputs, units], false, true);
    const grads = tf.grads((xx: tf.Tensor, ww: tf.Tensor) => tf.sum(tf.mul(tf.matMul(xx, ww), c)));
    for (const on of [true, false]) {
      setFastPaths(on);
      const [gx, gw] = await expectNoLeaks(() => grads([x, w]));
      await expectClose(await (gw as tf.Tensor).data(), dW, { what: `dW, fast paths ${on}` });
      await expectClose(await (gx as tf.Tensor).data(), dX, { what: `dx, fast paths ${on}` });
      tf.dispose([gx, gw] as tf.Tensor[]);
    }
    tf.dispose([x, w, c]);
  });

  it('switching mid-run does not change a training trajectory beyond float rounding', async () => {
    const run = async (switchAt: number) => {
      const w = tf.variable(tf.tensor2d(values(6 * 3, 10), [6, 3]));
      const x = tf.tensor2d(values(4 * 6, 11), [4, 6]);
      for (let i = 0; i < 6; i++) {
        setFastPaths(i < switchAt);
        const g = tf.grad((ww: tf.Tensor) => tf.sum(tf.square(tf.matMul(x, ww))))(w);
        w.assign(tf.sub(w, tf.mul(0.05, g)));
        g.dispose();
      }
      const out = await w.data();
      tf.dispose([w, x]);
      return out;
    };
    await expectClose(await run(3), await run(6));
    await expectClose(await run(0), await run(6));
  });

  it('setFastPaths takes only a boolean', () => {
    expect(() => setFastPaths('no' as never)).toThrow(/true or false/);
    expect(fastPathsEnabled()).toBe(true);
  });
});
