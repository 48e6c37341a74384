import { chain, HyperParameterError, Optimizer } from '@gradkit/core';
import { expectClose } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { adam, adamw, cautious, lion, scale, scaleByAdam, sgd } from './index.js';
import { type Flat, leakTest, MAIN, perLeaf, roundTripTest, trajectoryTests } from './test-kit.js';
import { adam64, type Inner64, leafGrad, tidied } from './wrappers-test-kit.js';

const BENCH = { problem: MAIN, tolerance: {}, reference: "C-Optim's" };
const STEPS = 8;

/** The cautious mask of kyleliang919/C-Optim `c_adamw.py` (at 2c0517c4db2e50b56d389ba4803eab1f4b3b8ae3; timm's `caution` is the same) on one tensor, in float64: `mask = (exp_avg * grad > 0); mask.div_(mask.mean().clamp_(min=1e-3))`, with `exp_avg` the direction (−u/lr, hence u·g < 0 here). */
function mask64(u: readonly number[], g: readonly number[]): { masked: number[]; dropped: number; minAbs: number } {
  const keep: number[] = u.map((x, i) => (x * (g[i] as number) < 0 ? 1 : 0));
  const kept = keep.reduce((a, b) => a + b, 0);
  const factor = 1 / Math.max(kept / u.length, 1e-3); // C-AdamW: mask / mask.mean().clamp(min=1e-3)
  const minAbs = Math.min(...u.map((x, i) => Math.abs(x * (g[i] as number))));
  return { masked: u.map((x, i) => x * (keep[i] as number) * factor), dropped: u.length - kept, minAbs };
}

/**
 * Independent reference: C-Optim's cautious Lion, `c_lion.py` `update_fn` (weight decay 0), with the
 * C-AdamW mask above (c_lion.py itself scales by numel/(Σmask + 1)):
 * `update = sign(exp_avg·β₁ + grad·(1−β₁))`; the mask; `p += −lr·update·mask`;
 * `exp_avg = β₂·exp_avg + (1−β₂)·grad`. Transcribed per tensor in float64.
 */
function cLion(lr: number, beta1: number, beta2: number, steps: number): { theta: Flat; dropped: number; minAbs: number } {
  let dropped = 0;
  let minAbs = Number.POSITIVE_INFINITY;
  const theta = perLeaf(MAIN, (leaf) => {
    const k = Object.keys(MAIN).find((key) => MAIN[key] === leaf) as string;
    const th = [...leaf.theta0];
    let m = th.map(() => 0);
    for (let t = 0; t < steps; t++) {
      const g = leafGrad(MAIN, k, th);
      const c = m.map((x, i) => x * beta1 + (g[i] as number) * (1 - beta1));
      minAbs = Math.min(minAbs, ...c.map(Math.abs));
      const r = mask64(
        c.map((x) => -lr * Math.sign(x)),
        g,
      );
      dropped += r.dropped;
      minAbs = Math.min(minAbs, r.minAbs);
      for (let i = 0; i < th.length; i++) th[i] = (th[i] as number) + (r.masked[i] as number);
      m = m.map((x, i) => beta2 * x + (1 - beta2) * (g[i] as number));
    }
    return th;
  });
  return { theta, dropped, minAbs };
}

/** The cautious mask around any float64 inner optimizer (the C-Optim mask applied to its update), per tensor. */
function cautious64(inner: Inner64, steps: number): { theta: Flat; dropped: number; minAbs: number } {
  let dropped = 0;
  let minAbs = Number.POSITIVE_INFINITY;
  const theta = perLeaf(MAIN, (leaf) => {
    const k = Object.keys(MAIN).find((key) => MAIN[key] === leaf) as string;
    const th = [...leaf.theta0];
    const opt = inner();
    for (let t = 1; t <= steps; t++) {
      const g = leafGrad(MAIN, k, th);
      const r = mask64(opt.step(g, t), g);
      dropped += r.dropped;
      minAbs = Math.min(minAbs, r.minAbs);
      for (let i = 0; i < th.length; i++) th[i] = (th[i] as number) + (r.masked[i] as number);
    }
    return th;
  });
  return { theta, dropped, minAbs };
}

describe('cautious (Liang et al. 2024, C-Optim)', () => {
  it('keeps the components whose update opposes the gradient (u·g < 0) and rescales by 1/mean(kept): by hand', async () => {
    // sgd(lr 0.5): u = −0.5·g, which always opposes g: kept 3 of 4 (g = 0 gives u·g = 0, dropped):
    // u·4/3: θ = 1 + [−1, 2, 0, −0.5]·4/3.
    const params = { w: tf.variable(tf.tensor1d([1, 1, 1, 1])) };
    const opt = new Optimizer(params, cautious(sgd({ learningRate: 0.5 })));
    const grads = { w: tf.tensor1d([2, -4, 0, 1]) };
    opt.step(grads);
    await expectClose(params.w, [1 - 4 / 3, 1 + 8 / 3, 1, 1 - 2 / 3], { rtol: 0, atol: 1e-6 });
    opt.dispose();
    tf.dispose([params.w, grads.w]);
  });

  it('drops a component whose update points along the gradient (the sign convention), by hand', async () => {
    // sgd with momentum 0.9, lr 1: step 1, g = [1, 1] → b = [1, 1], u = [−1, −1] (both kept: ·1);
    // step 2, g = [1, −3] → b = [1.9, −2.1], u = [−1.9, 2.1]: u·g = [−1.9, −6.3] both kept;
    // step 3, g = [−5, 1] → b = [−3.29, −0.89], u = [3.29, 0.89]: u·g = [−16.45, 0.89]: the second is dropped,
    // the first scaled by 1/(1/2) = 2.
    const tx = cautious(sgd({ learningRate: 1, momentum: 0.9 }));
    const params = { w: tf.tensor1d([0, 0]) };
    let state = tx.init(params);
    const seen: number[][] = [];
    for (const g of [
      [1, 1],
      [1, -3],
      [-5, 1],
    ]) {
      const r = tidied(() => tx.update({ w: tf.tensor1d(g) }, state, params));
      seen.push([...(await (r.updates as { w: tf.Tensor }).w.data())]);
      tf.dispose([r.updates, state] as unknown as tf.TensorContainer);
      state = r.state;
    }
    await expectClose(seen.flat(), [-1, -1, -1.9, 2.1, 6.58, 0], { rtol: 1e-6 });
    tf.dispose([params.w, state as unknown as tf.TensorContainer]);
  });

  it('a NaN update stays NaN (divergence is not hidden by the mask)', async () => {
    const tx = cautious(sgd({ learningRate: 1 }));
    const params = { w: tf.tensor1d([0, 0]) };
    const r = tidied(() => tx.update({ w: tf.tensor1d([Number.NaN, 1]) }, tx.init(params), params));
    expect(Number.isNaN((await (r.updates as { w: tf.Tensor }).w.data())[0] as number)).toBe(true);
    tf.dispose([params.w, r as unknown as tf.TensorContainer]);
  });

  it('has its name, inner and state { inner }', () => {
    const inner = adamw();
    const tx = cautious(inner);
    expect(tx.name).toBe('cautious');
    expect(tx.inner).toBe(inner);
    expect(tx.options.inner).toBe(inner);
    const params = { w: tf.zeros([2]) };
    const state = tx.init(params);
    expect(Object.keys(state)).toEqual(['inner']);
    tf.dispose([params.w, state as unknown as tf.TensorContainer]);
  });

  const lionRef = cLion(0.13, 0.9, 0.99, STEPS); // a rate whose trajectory stays clear of sign ties (|c|, |u·g| > 1e-4)
  const adamRef = cautious64(adam64(0.3), STEPS);
  it('C-Optim cautious Lion: the reference drops components and stays clear of sign ties', () => {
    expect(lionRef.dropped).toBeGreaterThan(0);
    expect(lionRef.minAbs).toBeGreaterThan(1e-4);
  });
  trajectoryTests('cautious(lion({ learningRate: 0.13 }))', () => cautious(lion({ learningRate: 0.13 })), lionRef.theta, STEPS, BENCH);

  it('cautious Adam: the reference drops components and stays clear of ties', () => {
    expect(adamRef.dropped).toBeGreaterThan(0);
    expect(adamRef.minAbs).toBeGreaterThan(1e-6);
  });
  trajectoryTests('cautious(adam({ learningRate: 0.3 }))', () => cautious(adam({ learningRate: 0.3 })), adamRef.theta, STEPS, {
    ...BENCH,
    reference: 'PyTorch Adam + the C-Optim mask',
  });
  trajectoryTests(
    'cautious(chain(scaleByAdam(), scale(−0.3))) (an optimizer as a chain)',
    () => cautious(chain(scaleByAdam(), scale(-0.3))),
    adamRef.theta,
    STEPS,
    { ...BENCH, reference: 'PyTorch Adam + the C-Optim mask' },
  );

  roundTripTest(() => cautious(adam({ learningRate: 0.3 })), BENCH);
  leakTest([() => cautious(lion()), () => cautious(adamw({ weightDecay: 0.1 }))], BENCH);

  it('rejects a non-optimizer inner with a HyperParameterError naming inner', () => {
    for (const bad of [adamw, 3, null, undefined, {}, scaleByAdam()]) {
      let caught: unknown;
      try {
        cautious(bad as never);
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(HyperParameterError);
      expect((caught as HyperParameterError).field).toBe('inner');
    }
    expect(() => cautious(adamw as never)).toThrow(/is a factory, call it/);
    expect(() => cautious(scaleByAdam())).toThrow(/has no learningRate/);
  });
});
