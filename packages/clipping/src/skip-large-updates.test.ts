import { applyUpdates, chain, Optimizer, transformationFromConfig, transformationToConfig } from '@gradkit/core';
import { adam, sgd } from '@gradkit/optimizers';
import { expectClose, expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { clipByGlobalNorm, skipLargeUpdates } from './index.js';
import { conformance, type ReferenceStep } from './test-support.js';

/** `tf.tidy` over a function returning a transformation's result or state (tf.tidy's type only knows tensor containers). */
const tidied = <R>(f: () => R): R => tf.tidy(f as unknown as () => tf.TensorContainer) as unknown as R;

/**
 * Independent reference: optax `MultiSteps(sgd, every_k_schedule=1, should_skip_update_fn=
 * partial(skip_large_updates, max_squared_norm=M))` (google-deepmind/optax `optax/_src/wrappers.py`:
 * `norm_sq = Σ_leaves Σ g²; should_skip = logical_not(norm_sq < M)`; a skipped step gives zero updates
 * and keeps the inner state), with PyTorch SGD (lr, momentum μ: b ← μb + g, b = g on the first applied
 * step) as the inner optimizer, in float64.
 */
function skipping(lr: number, momentum: number, max: number): { step(grads: number[][]): { updates: number[][]; skipped: boolean; normSquared: number } } {
  let b: number[][] | undefined;
  return {
    step(grads) {
      const normSquared = grads.flat().reduce((a, g) => a + g * g, 0);
      const skipped = !(normSquared < max);
      if (skipped) return { updates: grads.map((l) => l.map(() => 0)), skipped, normSquared };
      b = grads.map((leaf, i) => leaf.map((g, j) => (b === undefined ? g : momentum * ((b[i] as number[])[j] as number) + g)));
      return { updates: b.map((l) => l.map((x) => -lr * x)), skipped, normSquared };
    },
  };
}

/** Gradients of { w: [3], b: [2] } at each step: global norms² 2, 30 (skipped), 0.64, 9 (= M: skipped), NaN, ∞, 2, 50, 1.25. */
const GRADS: number[][][] = [
  [
    [1, -0.5, 0.5],
    [0.5, -0.5],
  ],
  [
    [4, -3, 2],
    [1, 0],
  ],
  [
    [0.6, 0.2, -0.4],
    [0.2, -0.2],
  ],
  [
    [2, -2, 0],
    [0, 1],
  ],
  [
    [Number.NaN, 0, 0],
    [0, 0],
  ],
  [
    [Number.POSITIVE_INFINITY, 0, 0],
    [0, 0],
  ],
  [
    [1, 0.5, -0.5],
    [0.5, -0.5],
  ],
  [
    [5, 5, 0],
    [0, 0],
  ],
  [
    [0.5, 0.5, 0.5],
    [0.5, -0.5],
  ],
];
const MAX = 9;
const treeOf = (g: number[][]) => ({ w: tf.tensor1d(g[0] as number[]), b: tf.tensor1d(g[1] as number[]) });
const scalar = async (t: tf.Tensor) => (await t.data())[0] as number;

describe('skipLargeUpdates (optax skip_large_updates)', () => {
  it('has its name, inner, options, hyperParams, metrics and state', () => {
    const inner = adam();
    const tx = skipLargeUpdates(inner, { maxSquaredNorm: (t) => 100 / (1 + t) });
    expect(tx.name).toBe('skipLargeUpdates');
    expect(tx.inner).toBe(inner);
    expect(tx.options.inner).toBe(inner);
    expect(tx.hyperParams?.(1)).toEqual({ maxSquaredNorm: 50 });
    expect(tx.metrics).toEqual(['normSquared', 'skipped', 'totalSkipped']);
    const params = { w: tf.zeros([2]) };
    const state = tx.init(params);
    expect(Object.keys(state)).toEqual(['count', 'normSquared', 'skipped', 'totalSkipped', 'inner']);
    tf.dispose([params.w, state as unknown as tf.TensorContainer]);
  });

  it('round-trips through a JSON config (registered by name, with its inner)', () => {
    const tx = skipLargeUpdates(adam({ learningRate: 0.01 }), { maxSquaredNorm: 100 });
    const config = JSON.parse(JSON.stringify(transformationToConfig(tx)));
    expect(config).toMatchObject({ name: 'skipLargeUpdates', maxSquaredNorm: 100, inner: { name: 'adam', learningRate: 0.01 } });
    const back = transformationFromConfig(config);
    expect(back.name).toBe('skipLargeUpdates');
    expect(back.inner?.options).toEqual(tx.inner?.options);
  });

  it('skips exactly the steps whose Σg² is ≥ maxSquaredNorm or not finite, keeping the inner state (functional)', async () => {
    const ref = skipping(0.1, 0.9, MAX);
    const tx = skipLargeUpdates(sgd({ learningRate: 0.1, momentum: 0.9 }), { maxSquaredNorm: MAX });
    const params = { w: tf.zeros([3]), b: tf.zeros([2]) };
    let state = tx.init(params);
    const skippedAt: number[] = [];
    for (const [t, g] of GRADS.entries()) {
      const want = ref.step(g);
      if (want.skipped) skippedAt.push(t);
      const grads = treeOf(g);
      const r = tidied(() => tx.update(grads, state, params));
      const u = r.updates as { w: tf.Tensor; b: tf.Tensor };
      await expectClose([...(await u.w.data()), ...(await u.b.data())], want.updates.flat(), { what: `step ${t} updates` });
      expect(await scalar(r.state.skipped)).toBe(want.skipped ? 1 : 0);
      const n2 = await scalar(r.state.normSquared);
      if (Number.isFinite(want.normSquared)) await expectClose(n2, want.normSquared, { what: `step ${t} normSquared` });
      else expect(Number.isFinite(n2)).toBe(false);
      tf.dispose([grads, u, state] as unknown as tf.TensorContainer);
      state = r.state;
    }
    expect(skippedAt).toEqual([1, 3, 4, 5, 7]);
    expect(await scalar(state.totalSkipped)).toBe(5);
    expect(state.count).toBe(GRADS.length);
    tf.dispose([params, state] as unknown as tf.TensorContainer);
  });

  it('the Optimizer runner follows the reference, and metrics() reads what the last step measured', async () => {
    const ref = skipping(0.1, 0.9, MAX);
    const theta = [
      [1, 2, 3],
      [4, 5],
    ];
    const params = { w: tf.variable(tf.tensor1d(theta[0] as number[])), b: tf.variable(tf.tensor1d(theta[1] as number[])) };
    const opt = new Optimizer(params, skipLargeUpdates(sgd({ learningRate: 0.1, momentum: 0.9 }), { maxSquaredNorm: MAX }));
    for (const g of GRADS) {
      ref.step(g).updates.forEach((leaf, i) => {
        (theta[i] as number[]).forEach((x, j, a) => {
          a[j] = x + (leaf[j] as number);
        });
      });
      const grads = treeOf(g);
      opt.step(grads);
      tf.dispose(grads as unknown as tf.TensorContainer);
    }
    await expectClose([...(await params.w.data()), ...(await params.b.data())], theta.flat(), { what: 'θ' });
    const m = await opt.metrics();
    expect(m).toMatchObject({ 'skipLargeUpdates.skipped': 0, 'skipLargeUpdates.totalSkipped': 5 });
    await expectClose(m['skipLargeUpdates.normSquared'] as number, 1.25);
    opt.dispose();
    tf.dispose([params.w, params.b]);
  });

  it('a skipped step leaves the inner tensor state bit-identical (adam moments)', async () => {
    const tx = skipLargeUpdates(adam({ learningRate: 0.1 }), { maxSquaredNorm: 1 });
    const params = { w: tf.tensor1d([1, 2]) };
    const s1 = tidied(() => tx.update({ w: tf.tensor1d([0.1, 0.2]) }, tx.init(params), params).state);
    const s2 = tidied(() => tx.update({ w: tf.tensor1d([3, 4]) }, s1, params).state);
    const inner = (s: typeof s1) => s.inner as { mu: { w: tf.Tensor }; nu: { w: tf.Tensor } };
    for (const k of ['mu', 'nu'] as const) expect([...(await inner(s2)[k].w.data())]).toEqual([...(await inner(s1)[k].w.data())]);
    tf.dispose([params, s1, s2] as unknown as tf.TensorContainer);
  });

  it('a functional update leaks nothing in tf.tidy', async () => {
    const tx = skipLargeUpdates(adam(), { maxSquaredNorm: 1 });
    const params = { w: tf.tensor1d([1, 2]) };
    const grads = { w: tf.tensor1d([3, 4]) };
    const state = tx.init(params);
    await expectNoLeaks(() => tf.tidy(() => void applyUpdates(params, tx.update(grads, state, params).updates)), { what: 'skipLargeUpdates.update' });
    tf.dispose([params, grads, state] as unknown as tf.TensorContainer);
  });

  // A quadratic loss with an sgd that diverges (lr 0.6): Σg² is 460, 542, 883, 1576 …: from the 4th step on, every step is skipped.
  const reference = (): ReferenceStep => {
    const s = skipping(0.6, 0, 1000);
    return (theta, grads) => {
      const { updates } = s.step(grads);
      return theta.map((leaf, i) => leaf.map((x, j) => x + ((updates[i] as number[])[j] as number)));
    };
  };
  conformance('skipLargeUpdates(sgd(0.6), { maxSquaredNorm: 1000 })', () => skipLargeUpdates(sgd({ learningRate: 0.6 }), { maxSquaredNorm: 1000 }), reference);
  conformance(
    'chain(clipByGlobalNorm(25), skipLargeUpdates(sgd(0.6), { maxSquaredNorm: 600 })) (inside a chain: the 3rd step is clipped to 625 and skipped)',
    () => chain(clipByGlobalNorm(25), skipLargeUpdates(sgd({ learningRate: 0.6 }), { maxSquaredNorm: 600 })),
    () => {
      const s = skipping(0.6, 0, 600);
      return (theta, grads) => {
        const n = Math.sqrt(grads.flat().reduce((a, g) => a + g * g, 0));
        const clipped = n < 25 ? grads : grads.map((l) => l.map((g) => (g / n) * 25));
        const { updates } = s.step(clipped);
        return theta.map((leaf, i) => leaf.map((x, j) => x + ((updates[i] as number[])[j] as number)));
      };
    },
    { trajectoryOnly: true },
  );
});
