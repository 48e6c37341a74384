import { TreeMismatchError } from '@gradkit/core';
import { expectClose, expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { globalNorm } from './global-norm.js';
import { expectHyperError, grad64, leavesOf, tensors, theta0 } from './test-support.js';

/**
 * Independent reference: PyTorch's total norm (torch/nn/utils/clip_grad.py, `_get_total_norm`),
 * transcribed in float64: per-tensor norms, then the norm of the norms;
 * `norm_type=inf` → max of the per-tensor max |g|. JS's Math.max propagates NaN like torch.max.
 */
function torchTotalNorm(grads: number[][], normType: number): number {
  if (grads.length === 0) return 0;
  if (normType === Number.POSITIVE_INFINITY) return Math.max(...grads.map((g) => Math.max(...g.map(Math.abs))));
  const norms = grads.map((g) => Math.sqrt(g.reduce((s, x) => s + x * x, 0)));
  return Math.sqrt(norms.reduce((s, n) => s + n * n, 0));
}

const read = async (t: tf.Tensor) => (await t.data())[0] as number;

describe('globalNorm (optax.tree.norm / PyTorch total norm)', () => {
  it('hand-worked: ‖{ w: [3, 0], b: 4 }‖₂ = 5, ‖·‖∞ = 4; negatives count by magnitude', async () => {
    const g = { w: tf.tensor1d([3, 0]), b: tf.scalar(-4) };
    const two = globalNorm(g);
    const inf = globalNorm(g, Number.POSITIVE_INFINITY);
    expect(two.shape).toEqual([]);
    expect(two.dtype).toBe('float32');
    expect(await read(two)).toBe(5);
    expect(await read(inf)).toBe(4);
    tf.dispose([two, inf, g.w, g.b]);
  });

  it('many leaves (60; WebGPU binds at most 8 buffers per kernel): ‖(1, 2, …, 60)‖₂ = √73810, ‖·‖∞ = 60', async () => {
    const g = Array.from({ length: 60 }, (_, i) => (i % 2 ? tf.scalar(i + 1) : tf.tensor1d([i + 1])));
    const two = globalNorm(g);
    const inf = globalNorm(g, Number.POSITIVE_INFINITY);
    // Σ k² for k = 1..60 = 60·61·121/6 = 73810
    expect(await read(two)).toBeCloseTo(Math.sqrt(73810), 3);
    expect(await read(inf)).toBe(60);
    tf.dispose([two, inf, ...g]);
  });

  for (const ord of [2, Number.POSITIVE_INFINITY] as const) {
    it(`ord ${ord}: matches PyTorch's total norm over a nested tree (0-d, odd lengths, matrices, 4-d)`, async () => {
      const values = grad64(theta0());
      const g = tensors(values);
      const norm = globalNorm(g, ord);
      await expectClose(norm, torchTotalNorm(values, ord), { rtol: 1e-6 });
      tf.dispose([norm, ...leavesOf(g)]);
    });

    it(`ord ${ord}: a NaN anywhere gives NaN; ±Infinity gives Infinity; an empty tree gives 0`, async () => {
      const nan = { a: tf.tensor1d([1, 2, 3, 4, 5, 6, 7]), b: [tf.tensor1d([0.5, Number.NaN, 2])] };
      const inf = { a: tf.tensor1d([1, Number.NEGATIVE_INFINITY, 3]), b: tf.scalar(Number.POSITIVE_INFINITY) };
      const both = { a: tf.tensor1d([Number.NaN, Number.POSITIVE_INFINITY]) };
      const norms = [globalNorm(nan, ord), globalNorm(inf, ord), globalNorm(both, ord), globalNorm({}, ord)];
      expect(await read(norms[0] as tf.Tensor)).toBeNaN();
      expect(await read(norms[1] as tf.Tensor)).toBe(Number.POSITIVE_INFINITY);
      expect(await read(norms[2] as tf.Tensor)).toBeNaN();
      expect(await read(norms[3] as tf.Tensor)).toBe(0);
      expect(torchTotalNorm([[0.5, Number.NaN]], ord)).toBeNaN(); // the reference agrees
      tf.dispose([...norms, nan.a, ...nan.b, inf.a, inf.b, both.a]);
    });

    it(`ord ${ord}: all-zero gradients have norm 0`, async () => {
      const g = { w: tf.zeros([3, 5]), b: tf.scalar(0) };
      const norm = globalNorm(g, ord);
      expect(await read(norm)).toBe(0);
      tf.dispose([norm, g.w, g.b]);
    });
  }

  it('leaves nothing allocated but the norm it returns, and leaves its input alone', async () => {
    const g = tensors(grad64(theta0()));
    const before = await Promise.all(leavesOf(g).map((t) => t.data()));
    const norm = await expectNoLeaks(() => globalNorm(g, 2));
    const inf = await expectNoLeaks(() => globalNorm(g, Number.POSITIVE_INFINITY));
    expect(await Promise.all(leavesOf(g).map((t) => t.data()))).toEqual(before);
    tf.dispose([norm, inf, ...leavesOf(g)]);
  });

  it('bad ord gets a HyperParameterError naming ord', () => {
    const g = { w: tf.scalar(1) };
    for (const ord of [1, 0, 3, Number.NaN, Number.NEGATIVE_INFINITY, 'inf'])
      expectHyperError(() => globalNorm(g, ord as 2), 'ord', /2 \(Euclidean norm\) or Infinity/);
    g.w.dispose();
  });

  it('a leaf that is not a tensor gets a TreeMismatchError naming its path', () => {
    const w = tf.scalar(1);
    expect(() => globalNorm({ layers: [{ w }, { w: 3 as unknown as tf.Tensor }] })).toThrow(TreeMismatchError);
    try {
      globalNorm({ layers: [{ w }, { w: 3 as unknown as tf.Tensor }] });
    } catch (e) {
      expect((e as TreeMismatchError).path).toBe('layers.1.w');
    }
    w.dispose();
  });
});
