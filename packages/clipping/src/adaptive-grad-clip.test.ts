import { chain, ValueError } from '@gradkit/core';
import { sgd } from '@gradkit/optimizers';
import { expectClose } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { adaptiveGradClip } from './adaptive-grad-clip.js';
import {
  clipThenSgd,
  conformance,
  expectHyperError,
  expectTreeMismatch,
  grad64,
  leavesOf,
  PATHS,
  SHAPES,
  stateAfterOne,
  tensors,
  theta0,
  updateOnce,
} from './test-support.js';

/**
 * The unit of element i of a tensor of `shape`, after optax's `unitwise_norm`
 * (optax/_src/clipping.py): a tensor that is a scalar or a vector once squeezed is one unit; a
 * dense kernel (ndim 2, IO) is reduced over axis 0 and a conv kernel (ndim 4, HWIO) over axes 0, 1, 2:
 * both are "every axis but the last", so in row-major order the unit is i mod (last dimension).
 * For ndim 3 optax reduces axis 0 only (multi-head dense); gradkit documents that it reduces every
 * axis but the last (tfjs conv1d [w, in, out]), which is what this reference does for ndim 3.
 */
const unitOf = (shape: number[]) => {
  const squeezed = shape.filter((d) => d !== 1).length;
  const last = shape[shape.length - 1] as number;
  return (i: number) => (squeezed <= 1 ? 0 : i % last);
};

/** Per element, the norm of its unit (`unitwise_norm` broadcast back to the tensor's shape). */
function unitwiseNorm(x: number[], shape: number[]): number[] {
  const unit = unitOf(shape);
  const sq = new Map<number, number>();
  for (const [i, v] of x.entries()) sq.set(unit(i), (sq.get(unit(i)) ?? 0) + v * v);
  return x.map((_, i) => Math.sqrt(sq.get(unit(i)) as number));
}

/**
 * Independent reference: optax `adaptive_grad_clip(clipping, eps)` in float64:
 * max_norm = clipping · max(p_norm, eps); unitwise_clip: clipped = g · (max_norm / max(g_norm, 1e-6));
 * where(g_norm < max_norm, g, clipped).
 */
function optaxAgc(grads: number[][], params: number[][], shapes: number[][], clipping: number, eps: number): number[][] {
  return grads.map((g, k) => {
    const shape = shapes[k] as number[];
    const gNorm = unitwiseNorm(g, shape);
    const pNorm = unitwiseNorm(params[k] as number[], shape);
    return g.map((x, i) => {
      const maxNorm = clipping * Math.max(pNorm[i] as number, eps);
      const clipped = x * (maxNorm / Math.max(gNorm[i] as number, 1e-6));
      return (gNorm[i] as number) < maxNorm ? x : clipped;
    });
  });
}

/** A dense kernel [in 2, out 2] with column norms 5 and 1, and a gradient with column norms 1 and √2. */
const dense = () => ({
  w: tf.tensor2d([
    [3, 0],
    [4, 1],
  ]),
  g: tf.tensor2d([
    [1, 1],
    [0, 1],
  ]),
});

describe('adaptiveGradClip (optax.adaptive_grad_clip, NFNets AGC)', () => {
  it('exposes its name, options with defaults, and hyperParams', () => {
    const tx = adaptiveGradClip({ clipping: 0.01 });
    expect(tx.name).toBe('adaptiveGradClip');
    expect(tx.options).toEqual({ clipping: 0.01, eps: 1e-3 });
    expect(tx.hyperParams?.(0)).toEqual({ clipping: 0.01, eps: 1e-3 });
  });

  it('hand-worked dense kernel [in 2, out 2]: units are output columns (features last)', async () => {
    // w columns: ‖(3, 4)‖ = 5, ‖(0, 1)‖ = 1; g columns: ‖(1, 0)‖ = 1 < 0.5·5 kept, ‖(1, 1)‖ = √2 > 0.5·1 → scaled to norm 0.5.
    const { w, g } = dense();
    const [got] = await updateOnce(adaptiveGradClip({ clipping: 0.5 }), { w: g }, { w });
    const s = 0.5 / Math.SQRT2;
    await expectClose(got as number[], [1, s, 0, s]);
    tf.dispose([w, g]);
  });

  it('hand-worked rank 3 [w 2, in 1, out 2] (tfjs conv1d): one unit per output feature, over axes 0 and 1', async () => {
    const p = tf.tensor3d([[[1, 2]], [[0, 2]]]); // unit norms 1 and √8
    const g = tf.tensor3d([[[3, 1]], [[4, 1]]]); // unit norms 5 and √2
    const [got] = await updateOnce(adaptiveGradClip({ clipping: 0.5 }), { k: g }, { k: p });
    // unit 0: 5 ≥ 0.5 → scaled by 0.5/5; unit 1: √2 = 0.5·√8 is not < it → scaled by 1 (unchanged up to rounding).
    await expectClose(got as number[], [0.3, 1, 0.4, 1]);
    tf.dispose([p, g]);
  });

  it('zero-initialised parameters use eps: a zero bias lets its gradient through with norm clipping · eps', async () => {
    const b = tf.zeros([2]);
    const g = tf.tensor1d([0.3, -0.4]);
    const [got] = await updateOnce(adaptiveGradClip({ clipping: 0.01, eps: 1e-3 }), { b: g }, { b });
    await expectClose(got as number[], [(0.3 * 1e-5) / 0.5, (-0.4 * 1e-5) / 0.5], { rtol: 1e-5, atol: 0 });
    tf.dispose([b, g]);
  });

  it('zero gradients pass unchanged, even with zero parameters', async () => {
    const p = { w: tf.zeros([2, 3]), b: tf.zeros([3]), s: tf.scalar(0) };
    const g = { w: tf.zeros([2, 3]), b: tf.zeros([3]), s: tf.scalar(0) };
    expect((await updateOnce(adaptiveGradClip({ clipping: 0.1 }), g, p)).flat().every((x) => x === 0)).toBe(true);
    tf.dispose([...Object.values(p), ...Object.values(g)]);
  });

  for (const [clipping, eps] of [
    [0.5, 1e-3],
    [0.05, 1e-3],
    [0.3, 2],
  ] as const) {
    it(`clipping ${clipping}, eps ${eps}: matches optax on every layout (dense, bias, HWIO conv, rank 3, 0-d, [1, n])`, async () => {
      const theta = theta0();
      const grads = grad64(theta);
      const g = tensors(grads);
      const p = tensors(theta);
      const got = await updateOnce(adaptiveGradClip({ clipping, eps }), g, p);
      const expected = optaxAgc(grads, theta, SHAPES, clipping, eps);
      for (const [i, leaf] of expected.entries()) await expectClose(got[i] as number[], leaf, { what: PATHS[i] });
      tf.dispose([...leavesOf(g), ...leavesOf(p)]);
    });
  }

  describe("what it did, per parameter: state.clipped (fraction of units) and state.maxRatio (metrics: ['clipped', 'maxRatio'])", () => {
    it('declares its metrics; before any step both are 0 for every parameter', async () => {
      const tx = adaptiveGradClip({ clipping: 0.1 });
      expect(tx.metrics).toEqual(['clipped', 'maxRatio']);
      const params = { w: tf.zeros([2, 2]) };
      const s = tx.init(params);
      expect(Array.from(await ((s.clipped as { w: tf.Tensor }).w as tf.Tensor).data())).toEqual([0]);
      expect(Array.from(await ((s.maxRatio as { w: tf.Tensor }).w as tf.Tensor).data())).toEqual([0]);
      tf.dispose([params.w, s as never]);
    });

    it('hand-worked: dense [2, 2] with column ratios 1/5 and √2/1, λ = 0.5 → half its units clipped, maxRatio √2; a zero bias (eps 1e-3) → 1, 500', async () => {
      const { w, g } = dense();
      const b = tf.zeros([2]);
      const gb = tf.tensor1d([0.3, -0.4]); // norm 0.5 over max(0, 1e-3)
      const got = await stateAfterOne(adaptiveGradClip({ clipping: 0.5 }), { w: g, b: gb }, { w, b });
      expect(got['clipped.w']).toEqual([0.5]);
      await expectClose(got['maxRatio.w'] as number[], [Math.SQRT2]);
      expect(got['clipped.b']).toEqual([1]);
      await expectClose(got['maxRatio.b'] as number[], [500], { rtol: 1e-5 });
      tf.dispose([w, g, b, gb]);
    });

    it('over the test tree, clipped is the fraction of units the optax reference rescales', async () => {
      const theta = theta0();
      const grads = grad64(theta);
      const expected = optaxAgc(grads, theta, SHAPES, 3, 1e-3);
      const [g, p] = [tensors(grads), tensors(theta)];
      const got = await stateAfterOne(adaptiveGradClip({ clipping: 3 }), g, p);
      tf.dispose([...leavesOf(g), ...leavesOf(p)]);
      const fractions: number[] = [];
      for (const [i, path] of PATHS.entries()) {
        const shape = SHAPES[i] as number[];
        const units = shape.filter((d) => d !== 1).length <= 1 ? 1 : (shape[shape.length - 1] as number);
        const g = grads[i] as number[];
        const rescaled = new Set(
          g.flatMap((x, j) => (Math.abs((expected[i] as number[])[j] as number) < Math.abs(x) - 1e-9 ? [units === 1 ? 0 : j % units] : [])),
        );
        await expectClose(got[`clipped.${path}`] as number[], [rescaled.size / units], { what: path });
        fractions.push(rescaled.size / units);
      }
      expect(
        fractions.some((f) => f > 0 && f < 1),
        `a tensor partly clipped: ${fractions}`,
      ).toBe(true);
    });
  });

  conformance(
    'chain(adaptiveGradClip({ clipping: 0.5 }), sgd)',
    () => chain(adaptiveGradClip({ clipping: 0.5 }), sgd({ learningRate: 0.1 })),
    clipThenSgd(0.1, (g, _t, theta) => optaxAgc(g, theta, SHAPES, 0.5, 1e-3)),
  );
  conformance(
    'chain(adaptiveGradClip({ clipping: schedule, eps: 2 }), sgd)',
    () => chain(adaptiveGradClip({ clipping: (t) => 0.2 + 0.1 * t, eps: 2 }), sgd({ learningRate: 0.1 })),
    clipThenSgd(0.1, (g, t, theta) => optaxAgc(g, theta, SHAPES, 0.2 + 0.1 * t, 2)),
    { trajectoryOnly: true },
  );

  describe('bad input', () => {
    it('clipping or eps ≤ 0 or NaN, or no options → HyperParameterError naming the field', () => {
      expectHyperError(() => adaptiveGradClip({ clipping: 0 }), 'clipping', /clipping must be in \(0, ∞\), got 0/);
      expectHyperError(() => adaptiveGradClip({ clipping: -0.1 }), 'clipping', /got -0\.1/);
      expectHyperError(() => adaptiveGradClip({ clipping: Number.NaN }), 'clipping', /finite number/);
      expectHyperError(
        () => adaptiveGradClip({} as never),
        'clipping',
        /clipping must be a number or a Schedule \(step\) => number, got nothing: write adaptiveGradClip\(\{ clipping: 0\.01 \}\)/,
      );
      expectHyperError(() => adaptiveGradClip({ clipping: 0.01, eps: 0 }), 'eps', /eps must be in \(0, ∞\), got 0/);
      expectHyperError(() => adaptiveGradClip({ clipping: 0.01, eps: -1e-3 }), 'eps', /got -0\.001/);
      expectHyperError(() => adaptiveGradClip({ clipping: 0.01, eps: Number.NaN }), 'eps', /finite number/);
      expectHyperError(() => adaptiveGradClip(0.01 as never), 'options', /adaptiveGradClip needs an options object/);
      expectHyperError(() => adaptiveGradClip({ clipping: () => 0 }), 'clipping', /schedule value at step 0\), got 0/);
      expectHyperError(() => adaptiveGradClip({ clipping: 0.1, eps: () => 0 }), 'eps', /schedule value at step 0\), got 0/);
    });

    it('an update without the parameters → ValueError naming params', () => {
      const tx = adaptiveGradClip({ clipping: 0.01 });
      const g = { w: tf.zeros([2, 2]) };
      expect(() => tx.update(g, tx.init(g))).toThrow(ValueError);
      expect(() => tx.update(g, tx.init(g))).toThrow(/call update\(grads, state, params\)/);
      g.w.dispose();
    });

    it('gradients that do not match the parameters → TreeMismatchError naming the path', () => {
      const params = { dense: { kernel: tf.zeros([2, 2]), bias: tf.zeros([2]) } };
      const wrong = tf.zeros([2, 3]);
      const tx = adaptiveGradClip({ clipping: 0.01 });
      expectTreeMismatch(() => tx.update({ dense: { kernel: wrong, bias: params.dense.bias } }, tx.init(params), params), 'dense.kernel');
      expectTreeMismatch(() => tx.update({ dense: { bias: params.dense.bias } }, tx.init(params), params), 'dense.kernel');
      tf.dispose([params.dense.kernel, params.dense.bias, wrong]);
    });
  });
});
