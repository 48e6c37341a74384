import { GradkitError, TreeMismatchError } from '@gradkit/core';
import { expectClose, expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { clipGradNorm, NonFiniteGradientError } from './clip-grad-norm.js';
import { expectHyperError, grad64, leavesOf, PATHS, tensors, theta0 } from './test-support.js';

/**
 * Independent reference: `torch.nn.utils.clip_grad_norm_` (torch/nn/utils/clip_grad.py:
 * `_get_total_norm`, then `_clip_grads_with_norm_`), transcribed in float64:
 * total = norm of the per-tensor norms (max for inf); clip_coef = max_norm / (total + 1e-6);
 * clip_coef_clamped = clamp(clip_coef, max=1.0); g.mul_(clip_coef_clamped).
 */
function torchClipGradNorm(grads: number[][], maxNorm: number, normType: number): { grads: number[][]; norm: number } {
  const norms = grads.map((g) => (normType === Number.POSITIVE_INFINITY ? Math.max(...g.map(Math.abs)) : Math.sqrt(g.reduce((s, x) => s + x * x, 0))));
  const total = grads.length === 0 ? 0 : normType === Number.POSITIVE_INFINITY ? Math.max(...norms) : Math.sqrt(norms.reduce((s, n) => s + n * n, 0));
  const clipCoef = maxNorm / (total + 1e-6);
  const clamped = Math.min(clipCoef, 1.0); // torch.clamp keeps NaN, as Math.min does
  return { grads: grads.map((g) => g.map((x) => x * clamped)), norm: total };
}

const read = async (t: tf.Tensor) => Array.from(await t.data());

describe('clipGradNorm (PyTorch clip_grad_norm_, functional)', () => {
  it('hand-worked: [3, 4] with maxNorm 1 → [3, 4] / (5 + 1e-6), norm 5', async () => {
    const g = { w: tf.tensor1d([3, 4]) };
    const { grads, norm } = clipGradNorm(g, 1);
    await expectClose(grads.w, [3 / 5.000001, 4 / 5.000001]);
    expect((await read(norm))[0]).toBe(5);
    tf.dispose([g.w, grads.w, norm]);
  });

  it('a norm exactly at the threshold is still scaled by maxNorm / (norm + 1e-6), as PyTorch (optax would not)', async () => {
    const g = { w: tf.tensor1d([3, 4]) };
    const { grads, norm } = clipGradNorm(g, 5);
    const expected = torchClipGradNorm([[3, 4]], 5, 2).grads[0] as number[];
    expect(expected[0]).toBeLessThan(3);
    await expectClose(grads.w, expected, { rtol: 1e-7, atol: 0 });
    expect((await read(grads.w))[0]).toBeLessThan(3);
    tf.dispose([g.w, grads.w, norm]);
  });

  for (const normType of [2, Number.POSITIVE_INFINITY] as const) {
    for (const maxNorm of [0.5, 3, 1e4]) {
      it(`normType ${normType}, maxNorm ${maxNorm}: matches the reference over a nested tree (0-d, odd lengths, 4-d)`, async () => {
        const values = grad64(theta0());
        const g = tensors(values);
        const ref = torchClipGradNorm(values, maxNorm, normType);
        const { grads, norm } = clipGradNorm(g, maxNorm, { normType });
        await expectClose(norm, ref.norm, { rtol: 1e-6 });
        for (const [i, leaf] of leavesOf(grads).entries()) {
          expect(leaf.shape).toEqual(leavesOf(g)[i]?.shape);
          await expectClose(await read(leaf), ref.grads[i] as number[], { rtol: 1e-5, atol: 1e-7, what: PATHS[i] });
        }
        tf.dispose([...leavesOf(g), ...leavesOf(grads), norm]);
      });
    }
  }

  it('is functional: returns new tensors, leaves the input untouched and alive, leaks nothing', async () => {
    const values = grad64(theta0());
    const g = tensors(values);
    const result = await expectNoLeaks(() => clipGradNorm(g, 0.1));
    for (const [i, leaf] of leavesOf(g).entries()) {
      expect(leaf.isDisposed).toBe(false);
      expect(leavesOf(result.grads)[i]).not.toBe(leaf);
      await expectClose(await read(leaf), values[i] as number[]);
    }
    tf.dispose([...leavesOf(g), ...leavesOf(result.grads), result.norm]);
  });

  it('zero gradients stay zero (no division by zero), norm 0', async () => {
    const g = { w: tf.zeros([2, 3]), b: tf.scalar(0) };
    const { grads, norm } = clipGradNorm(g, 1);
    expect(await read(grads.w)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(await read(grads.b)).toEqual([0]);
    expect(await read(norm)).toEqual([0]);
    tf.dispose([g.w, g.b, grads.w, grads.b, norm]);
  });

  it('a NaN makes every gradient NaN and ±Infinity zeroes the finite ones (as PyTorch without the check)', async () => {
    const nan = { a: tf.tensor1d([1, Number.NaN, 3]), b: tf.scalar(2) };
    const r1 = clipGradNorm(nan, 1);
    expect((await read(r1.grads.a)).every(Number.isNaN)).toBe(true);
    expect((await read(r1.grads.b)).every(Number.isNaN)).toBe(true);
    const inf = { a: tf.tensor1d([1, Number.POSITIVE_INFINITY, -3]) };
    const r2 = clipGradNorm(inf, 1);
    const ref = torchClipGradNorm([[1, Number.POSITIVE_INFINITY, -3]], 1, 2);
    const got = await read(r2.grads.a);
    expect(got[0]).toBe(0);
    expect(got[1]).toBeNaN(); // ∞ · 0
    expect(Object.is(got[2], -0) || got[2] === 0).toBe(true);
    expect(ref.grads[0]?.[1]).toBeNaN();
    expect((await read(r2.norm))[0]).toBe(Number.POSITIVE_INFINITY);
    tf.dispose([nan.a, nan.b, inf.a, r1.grads.a, r1.grads.b, r1.norm, r2.grads.a, r2.norm]);
  });

  describe('errorIfNonfinite: true', () => {
    it('rejects with NonFiniteGradientError before computing anything, for NaN and for ±Infinity, leaking nothing', async () => {
      for (const [bad, normType] of [
        [Number.NaN, 2],
        [Number.POSITIVE_INFINITY, 2],
        [Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY],
      ] as const) {
        const g = { a: tf.tensor1d([1, bad, 3]), b: tf.scalar(2) };
        let error: unknown;
        await expectNoLeaks(async () => {
          try {
            await clipGradNorm(g, 1, { normType, errorIfNonfinite: true });
          } catch (e) {
            error = e;
          }
        });
        expect(error).toBeInstanceOf(NonFiniteGradientError);
        expect(error).toBeInstanceOf(GradkitError);
        expect((error as NonFiniteGradientError).code).toBe('NONFINITE_GRADIENT');
        expect((error as NonFiniteGradientError).normType).toBe(normType);
        if (Number.isNaN(bad)) expect((error as NonFiniteGradientError).norm).toBeNaN();
        else expect((error as NonFiniteGradientError).norm).toBe(Number.POSITIVE_INFINITY);
        expect((error as Error).message).toMatch(/cannot be clipped/);
        expect(g.a.isDisposed).toBe(false);
        expect((await read(g.a))[0]).toBe(1);
        tf.dispose([g.a, g.b]);
      }
    });

    it('resolves to the same numbers as the synchronous call when the norm is finite', async () => {
      const values = grad64(theta0());
      const g = tensors(values);
      const sync = clipGradNorm(g, 0.7);
      const checked = await clipGradNorm(g, 0.7, { errorIfNonfinite: true });
      for (const [i, leaf] of leavesOf(checked.grads).entries()) expect(await read(leaf)).toEqual(await read(leavesOf(sync.grads)[i] as tf.Tensor));
      expect(await read(checked.norm)).toEqual(await read(sync.norm));
      tf.dispose([...leavesOf(g), ...leavesOf(sync.grads), sync.norm, ...leavesOf(checked.grads), checked.norm]);
    });

    it('a boolean known only at run time: a Promise exactly when it is true', async () => {
      const g = { w: tf.tensor1d([3, 4]) };
      const flags: boolean[] = [false, true];
      const results = flags.map((errorIfNonfinite) => clipGradNorm(g, 1, { errorIfNonfinite }));
      expect(results[0]).not.toBeInstanceOf(Promise);
      expect(results[1]).toBeInstanceOf(Promise);
      const resolved = await Promise.all(results);
      expect(await read(resolved[0]?.grads.w as tf.Tensor)).toEqual(await read(resolved[1]?.grads.w as tf.Tensor));
      tf.dispose([g.w, ...resolved.flatMap((r) => [r.grads.w, r.norm])]);
    });
  });

  describe('bad input', () => {
    const g = () => ({ w: tf.tensor1d([1, 2]) });
    const cases: [string, (x: { w: tf.Tensor }) => unknown, string, RegExp][] = [
      ['maxNorm 0', (x) => clipGradNorm(x, 0), 'maxNorm', /maxNorm must be in \(0, ∞\), got 0/],
      ['maxNorm −1', (x) => clipGradNorm(x, -1), 'maxNorm', /got -1/],
      ['maxNorm NaN', (x) => clipGradNorm(x, Number.NaN), 'maxNorm', /finite number/],
      ['maxNorm a schedule', (x) => clipGradNorm(x, (() => 1) as unknown as number), 'maxNorm', /use clipByGlobalNorm/],
      ['normType 1', (x) => clipGradNorm(x, 1, { normType: 1 as 2 }), 'normType', /2 \(Euclidean norm\) or Infinity/],
      ["normType 'inf'", (x) => clipGradNorm(x, 1, { normType: 'inf' as unknown as 2 }), 'normType', /got inf/],
      ['errorIfNonfinite "yes"', (x) => clipGradNorm(x, 1, { errorIfNonfinite: 'yes' as unknown as false }), 'errorIfNonfinite', /true or false/],
    ];
    for (const [what, call, field, message] of cases) {
      it(`${what} → HyperParameterError naming ${field}`, () => {
        const x = g();
        expectHyperError(() => call(x), field, message);
        x.w.dispose();
      });
    }

    it('a leaf that is not a tensor → TreeMismatchError naming its path', () => {
      const w = tf.scalar(1);
      let error: unknown;
      try {
        clipGradNorm({ a: { w, b: null as unknown as tf.Tensor } }, 1);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(TreeMismatchError);
      expect((error as TreeMismatchError).path).toBe('a.b');
      w.dispose();
    });
  });
});
