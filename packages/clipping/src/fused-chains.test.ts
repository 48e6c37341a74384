import { chain, type GradientTransformation, Optimizer } from '@gradkit/core';
import { adam, adamw, adopt, lion, rmsprop, scheduleFreeAdamW, sgd } from '@gradkit/optimizers';
import { currentBackend, expectClose, expectFusedParity, expectNoLeaks, spread } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { applyIfFinite, clipByGlobalNorm } from './index.js';

// @gradkit/optimizers fuses each of its rules behind clipByGlobalNorm and inside applyIfFinite (the
// guard and the clip decided on the device). Each chain against the same chain on the reference path.
const RULES: readonly [string, () => GradientTransformation][] = [
  ['Sgd', () => sgd({ learningRate: 0.05, momentum: 0.9, nesterov: true })],
  ['Adam', () => adam({ learningRate: 0.01, amsgrad: true })],
  ['Adamw', () => adamw({ learningRate: 0.01 })],
  ['Rmsprop', () => rmsprop({ learningRate: 0.01, centered: true })],
  ['Lion', () => lion({ learningRate: 0.01, weightDecay: 0.1 })],
  ['Adopt', () => adopt({ learningRate: 0.01, weightDecay: 0.1 })],
  ['ScheduleFreeAdamW', () => scheduleFreeAdamW({ learningRate: 0.01, warmupSteps: 2, weightDecay: 0.01 })],
];
// ‖g‖ over the default parity shapes is about 64: 5 clips every step, 1e3 never does.
const CHAINS: readonly [string, string, (rule: GradientTransformation) => GradientTransformation][] = [
  ['clipByGlobalNorm(5)', 'Clipped', (r) => chain(clipByGlobalNorm(5), r)],
  ['clipByGlobalNorm(1e3), not triggered', 'Clipped', (r) => chain(clipByGlobalNorm(1e3), r)],
  ['applyIfFinite', 'Guarded', (r) => applyIfFinite(r, { maxConsecutiveErrors: 2 })],
  ['applyIfFinite(clipByGlobalNorm(5))', 'GuardedClipped', (r) => applyIfFinite(chain(clipByGlobalNorm(5), r), { maxConsecutiveErrors: 2 })],
];

/** Gradients with a NaN in parameter 4 at steps 1, 2 and 3 and an Infinity in parameter 0 at step 5. */
const poisoned = (step: number, k: number, n: number) => {
  const g = spread(n, 100 * step + k);
  if (k === 4 && step >= 1 && step <= 3) g[4000] = Number.NaN;
  if (k === 0 && step === 5) g[0] = Number.POSITIVE_INFINITY;
  return g;
};

describe(`fused clipped and guarded chains on ${currentBackend()}`, () => {
  for (const [rule, make] of RULES) {
    for (const [what, prefix, wrap] of CHAINS) {
      it(`${what} → ${rule.toLowerCase()}: parameters and state match the reference path`, async () => {
        expect(await expectFusedParity(() => wrap(make()))).toBe(`fused:Gradkit${prefix}${rule}`);
      });
    }
    it(`applyIfFinite(clip → ${rule.toLowerCase()}) with NaN and ∞ gradients: skips on the device exactly like the reference`, async () => {
      // maxConsecutiveErrors 2: steps 1 and 2 are skipped, step 3 (third NaN in a row) applies, step 5 is skipped.
      const make2 = () => applyIfFinite(chain(clipByGlobalNorm(5), make()), { maxConsecutiveErrors: 2 });
      expect(await expectFusedParity(make2, { grad: poisoned, steps: 7 })).toBe(`fused:GradkitGuardedClipped${rule}`);
    });
  }

  it("a gradient longer than the cpu step's 32768-element chunks, clipped and guarded, with a NaN in its second chunk", async () => {
    const grad = (step: number, k: number, n: number) => {
      const g = spread(n, 100 * step + k);
      if (k === 0 && step === 1) g[40000] = Number.NaN;
      return g;
    };
    const make = () => applyIfFinite(chain(clipByGlobalNorm(5), adam({ learningRate: 0.01 })), { maxConsecutiveErrors: 2 });
    expect(await expectFusedParity(make, { shapes: [[70001], [3]], steps: 3, grad })).toBe('fused:GradkitGuardedClippedAdam');
  });

  it('a skipped step leaves parameters and slots untouched, and the guard counts it', async () => {
    const params = { w: tf.variable(tf.tensor1d([1, 2, 3])), b: tf.variable(tf.scalar(4)) };
    const opt = new Optimizer(params, applyIfFinite(chain(clipByGlobalNorm(1), adam({ learningRate: 0.1 })), { maxConsecutiveErrors: 5 }));
    const good = { w: tf.tensor1d([3, 0, 0]), b: tf.scalar(4) };
    const bad = { w: tf.tensor1d([1, 1, 1]), b: tf.scalar(Number.NaN) };
    opt.step(good);
    // ‖g‖ = 5 → clipped g = (0.6, 0, 0, 0.8); Adam's first step moves each by −lr·sign(g) (≈, ε = 1e-8)
    await expectClose(params.w, [0.9, 2, 3], { rtol: 1e-5 });
    await expectClose(params.b, 3.9, { rtol: 1e-5 });
    const before = await opt.saveState();
    opt.step(bad);
    expect(opt.lastStepPath).toBe('fused:GradkitGuardedClippedAdam');
    await expectClose(params.w, [0.9, 2, 3], { rtol: 1e-5 });
    await expectClose(params.b, 3.9, { rtol: 1e-5 });
    const after = (await opt.saveState()).state;
    for (const key of ['inner.1.mu.w', 'inner.1.nu.w', 'inner.1.mu.b', 'inner.1.nu.b']) {
      expect(after[key]).toBeDefined();
      expect(after[key]).toEqual(before.state[key]);
    }
    expect(after.notfiniteCount).toMatchObject({ dtype: 'int32', data: btoa(String.fromCharCode(1, 0, 0, 0)) });
    expect(after.lastFinite).toMatchObject({ dtype: 'bool', data: btoa(String.fromCharCode(0)) });
    opt.dispose();
    tf.dispose([params.w, params.b, good.w, good.b, bad.w, bad.b]);
  });

  it('leaks no tensors over 500 guarded, clipped fused steps', async () => {
    const params = { a: tf.variable(tf.ones([33])), b: tf.variable(tf.scalar(1)) };
    const g = { a: tf.fill([33], 0.1), b: tf.scalar(-0.2) };
    await expectNoLeaks(async () => {
      const opt = new Optimizer(params, applyIfFinite(chain(clipByGlobalNorm(0.5), adamw()), { maxConsecutiveErrors: 1 }));
      for (let t = 0; t < 500; t++) opt.step(g);
      expect(opt.lastStepPath).toBe('fused:GradkitGuardedClippedAdamw');
      await params.a.data();
      opt.dispose();
    });
    tf.dispose([params.a, params.b, g.a, g.b]);
  });
});
