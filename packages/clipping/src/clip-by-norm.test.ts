import { chain } from '@gradkit/core';
import { sgd } from '@gradkit/optimizers';
import { expectClose } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { clipByNorm } from './clip-by-norm.js';
import { clipThenSgd, conformance, expectHyperError, expectTreeMismatch, stateAfterOne, updateOnce } from './test-support.js';

/**
 * Independent reference: TensorFlow's `tf.clip_by_norm(t, clip_norm)`
 * (tensorflow/python/ops/clip_ops.py: `t * clip_norm / maximum(l2norm(t), clip_norm)`), applied to
 * each tensor separately as Keras's `clipnorm`, in float64. JS's Math.max keeps NaN like tf.maximum.
 */
const tfClipByNorm = (grads: number[][], c: number) =>
  grads.map((g) => {
    const norm = Math.sqrt(g.reduce((s, x) => s + x * x, 0));
    return g.map((x) => (x * c) / Math.max(norm, c));
  });

describe('clipByNorm (per-tensor L2 clipping, tf.clip_by_norm)', () => {
  it('exposes its name, options and hyperParams', () => {
    const tx = clipByNorm(2);
    expect(tx.name).toBe('clipByNorm');
    expect(tx.options).toEqual({ maxNorm: 2 });
    expect(tx.hyperParams?.(0)).toEqual({ maxNorm: 2 });
  });

  it('hand-worked: each tensor on its own — [3, 4] with c = 1 → [0.6, 0.8], [0.3] and 0-d 0.5 pass unchanged', async () => {
    const grads = { a: tf.tensor1d([3, 4]), b: tf.tensor1d([0.3]), c: tf.scalar(-0.5) };
    const [a, b, c] = await updateOnce(clipByNorm(1), grads);
    await expectClose(a as number[], [0.6, 0.8]);
    await expectClose(b as number[], [0.3]);
    await expectClose(c as number[], [-0.5]);
    tf.dispose([grads.a, grads.b, grads.c]);
  });

  it('edge cases against the reference: norm exactly at the threshold, zeros, odd length, 0-d over the bound', async () => {
    const values = [[3, 4], [0, 0, 0], [1, -2, 3, -4, 5], [-9]];
    const grads = values.map((v, i) => (i === 3 ? tf.scalar(v[0] as number) : tf.tensor1d(v)));
    const got = await updateOnce(clipByNorm(5), grads);
    const expected = tfClipByNorm(values, 5);
    for (const [i, leaf] of expected.entries()) await expectClose(got[i] as number[], leaf, { what: `leaf ${i}` });
    expect(got[0]).toEqual([3, 4]); // at the threshold: 3·5/5 exactly
    expect(got[1]).toEqual([0, 0, 0]); // no 0/0
    tf.dispose(grads);
  });

  it('a NaN spoils only its own tensor; an infinite element gives NaN there and zeros beside it (as tf.clip_by_norm)', async () => {
    const grads = { a: tf.tensor1d([1, Number.NaN, 2]), b: tf.tensor1d([1, Number.POSITIVE_INFINITY, -3]), c: tf.tensor1d([3, 4]) };
    const [a, b, c] = await updateOnce(clipByNorm(1), grads);
    expect(a?.every(Number.isNaN)).toBe(true);
    const expected = tfClipByNorm([[1, Number.POSITIVE_INFINITY, -3]], 1)[0] as number[];
    expect(b?.[0]).toBe(0);
    expect(b?.[1]).toBeNaN();
    expect(expected[1]).toBeNaN();
    expect(Math.abs(b?.[2] as number)).toBe(0);
    await expectClose(c as number[], [0.6, 0.8]);
    tf.dispose([grads.a, grads.b, grads.c]);
  });

  describe("what it did, per parameter: state.norm and state.clipped (metrics: ['norm', 'clipped'])", () => {
    it('declares its metrics; before any step every norm and flag is 0, keyed like the parameters', async () => {
      const tx = clipByNorm(1);
      expect(tx.metrics).toEqual(['norm', 'clipped']);
      const params = { w: tf.zeros([2]), nested: { b: tf.scalar(0) } };
      const s = tx.init(params);
      expect(Object.keys(s)).toEqual(['count', 'norm', 'clipped']);
      expect(Array.from(await ((s.norm as { nested: { b: tf.Tensor } }).nested.b as tf.Tensor).data())).toEqual([0]);
      tf.dispose([params.w, params.nested.b, s as never]);
    });

    it('hand-worked, c = 1: [3, 4] → norm 5, clipped; [0.3] → 0.3, not; 0-d −0.5 → 0.5, not; c = 5 at [3, 4] → not clipped (unchanged: ‖g‖ ≤ c)', async () => {
      const grads = { a: tf.tensor1d([3, 4]), b: tf.tensor1d([0.3]), c: tf.scalar(-0.5) };
      const got = await stateAfterOne(clipByNorm(1), grads);
      await expectClose([got['norm.a'], got['norm.b'], got['norm.c']].flat() as number[], [5, 0.3, 0.5]);
      expect([got['clipped.a'], got['clipped.b'], got['clipped.c']].flat()).toEqual([1, 0, 0]);
      const at = await stateAfterOne(clipByNorm(5), { a: grads.a });
      expect([at['norm.a'], at['clipped.a']].flat()).toEqual([5, 0]);
      tf.dispose([grads.a, grads.b, grads.c]);
    });

    it('a NaN gradient: its norm is NaN and it counts as clipped; the others are measured as usual', async () => {
      const grads = { a: tf.tensor1d([1, Number.NaN]), b: tf.tensor1d([0, 0.5]) };
      const got = await stateAfterOne(clipByNorm(1), grads);
      expect(got['norm.a']?.[0]).toBeNaN();
      expect([got['clipped.a'], got['norm.b'], got['clipped.b']].flat()).toEqual([1, 0.5, 0]);
      tf.dispose([grads.a, grads.b]);
    });
  });

  conformance(
    'chain(clipByNorm(4), sgd)',
    () => chain(clipByNorm(4), sgd({ learningRate: 0.1 })),
    clipThenSgd(0.1, (g) => tfClipByNorm(g, 4)),
  );

  describe('bad input', () => {
    it('maxNorm ≤ 0, NaN or infinite → HyperParameterError naming maxNorm', () => {
      expectHyperError(() => clipByNorm(0), 'maxNorm', /maxNorm must be in \(0, ∞\), got 0/);
      expectHyperError(() => clipByNorm(-1), 'maxNorm', /got -1/);
      expectHyperError(() => clipByNorm(Number.NaN), 'maxNorm', /finite number/);
      expectHyperError(() => clipByNorm(Number.POSITIVE_INFINITY), 'maxNorm', /finite number/);
    });

    it('gradients that do not match the parameters → TreeMismatchError naming the path', () => {
      const params = { layers: [tf.zeros([2]), tf.zeros([2])] };
      const tx = clipByNorm(1);
      expectTreeMismatch(() => tx.update({ layers: [params.layers[0] as tf.Tensor] }, tx.init(params), params), 'layers');
      tf.dispose(params.layers);
    });
  });
});
