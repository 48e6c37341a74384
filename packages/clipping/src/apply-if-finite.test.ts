import { chain, type GradTree, Optimizer, type SavedOptimizerState, type SavedTensor, valueAndGrad } from '@gradkit/core';
import { sgd } from '@gradkit/optimizers';
import { expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { type ApplyIfFiniteState, applyIfFinite } from './apply-if-finite.js';
import { clipByGlobalNorm } from './clip-by-global-norm.js';
import {
  conformance,
  disposeTree,
  expectHyperError,
  expectTheta,
  expectTreeMismatch,
  grad64,
  lossOf,
  type ReferenceStep,
  read,
  theta0,
  variables,
} from './test-support.js';

const LR = 0.1;
const MU = 0.9;

/** torch.optim.SGD with momentum, dampening 0 (torch/optim/sgd.py): b ← g at the first step, then b ← μb + g; θ ← θ − η b. */
function torchSgdMomentum(): ReferenceStep {
  let buf: number[][] | null = null;
  return (theta, g) => {
    const next: number[][] = buf === null ? g : buf.map((b, i) => b.map((x, j) => MU * x + ((g[i] as number[])[j] as number)));
    buf = next;
    return theta.map((leaf, i) => leaf.map((x, j) => x - LR * ((next[i] as number[])[j] as number)));
  };
}

/**
 * Independent reference: optax `apply_if_finite` (optax/_src/transform.py), in float64:
 * isfinite = all(isfinite(g)); notfinite_count = isfinite ? 0 : notfinite_count + 1;
 * cond(isfinite or notfinite_count > max_consecutive_errors, inner.update, reject: zeros and the old inner state);
 * total_notfinite += !isfinite.
 */
function optaxApplyIfFinite(maxConsecutiveErrors: number, inner: ReferenceStep) {
  const s = { notfiniteCount: 0, totalNotfinite: 0, lastFinite: true };
  const step = (theta: number[][], g: number[][], t: number): number[][] => {
    const isfinite = g.flat().every(Number.isFinite);
    s.notfiniteCount = isfinite ? 0 : s.notfiniteCount + 1;
    s.totalNotfinite += isfinite ? 0 : 1;
    s.lastFinite = isfinite;
    return isfinite || s.notfiniteCount > maxConsecutiveErrors ? inner(theta, g, t) : theta;
  };
  return { step, s };
}

const guarded = (maxConsecutiveErrors = 3) => applyIfFinite(chain(clipByGlobalNorm(50), sgd({ learningRate: LR, momentum: MU })), { maxConsecutiveErrors });

/** The gradients at the optimizer's current parameters, with `poison` written into the first element of the dense kernel. */
function gradsAt(params: ReturnType<typeof variables>, poison?: number): GradTree {
  const { value, grads } = valueAndGrad(lossOf)(params);
  value.dispose();
  if (poison === undefined) return grads;
  const g = grads as { dense: { kernel: tf.Tensor } };
  const old = g.dense.kernel;
  g.dense.kernel = tf.tidy(() =>
    tf.where(
      tf.tensor2d([
        [true, false, false],
        [false, false, false],
      ]),
      tf.fill(old.shape, poison),
      old,
    ),
  );
  old.dispose();
  return grads;
}

const int = async (saved: SavedOptimizerState, path: string) => {
  const t = saved.state[path] as SavedTensor;
  const bytes = Uint8Array.from(atob(t.data), (c) => c.charCodeAt(0));
  return t.dtype === 'bool' ? bytes[0] : new Int32Array(bytes.buffer)[0];
};
const innerTensors = (saved: SavedOptimizerState) => Object.entries(saved.state).filter(([k]) => k.startsWith('inner.') && typeof saved.state[k] !== 'number');

describe('applyIfFinite (optax.apply_if_finite)', () => {
  it('exposes its name and options (the limit and the inner transformation)', () => {
    const inner = sgd({ learningRate: 0.1 });
    const tx = applyIfFinite(inner, { maxConsecutiveErrors: 4 });
    expect(tx.name).toBe('applyIfFinite');
    expect(tx.options.maxConsecutiveErrors).toBe(4);
    expect(tx.options.inner).toBe(inner);
    expect(tx.hyperParams?.(0)).toEqual({ maxConsecutiveErrors: 4 });
  });

  it('works without options: maxConsecutiveErrors defaults to 5 (skips 5 non-finite steps in a row, applies the 6th)', async () => {
    const tx = applyIfFinite(sgd({ learningRate: 0.1 }));
    expect(tx.options.maxConsecutiveErrors).toBe(5);
    expect(applyIfFinite(sgd({ learningRate: 0.1 }), {}).options.maxConsecutiveErrors).toBe(5);
    expect(applyIfFinite(sgd({ learningRate: 0.1 }), { maxConsecutiveErrors: undefined }).options.maxConsecutiveErrors).toBe(5);
    const params = { w: tf.tensor1d([1, 2]) };
    const bad = { w: tf.tensor1d([Number.NaN, 1]) };
    let state = tx.init(params);
    const applied: boolean[] = [];
    for (let k = 1; k <= 6; k++) {
      const s = state;
      const r = tf.tidy(() => tx.update(bad, s, params) as never) as { updates: { w: tf.Tensor }; state: ApplyIfFiniteState };
      applied.push(Array.from(await r.updates.w.data()).some((x) => x !== 0));
      tf.dispose([s as never, r.updates.w]);
      state = r.state;
    }
    expect(applied).toEqual([false, false, false, false, false, true]);
    tf.dispose([params.w, bad.w, state as never]);
  });

  it('a skipped step keeps the inner metrics of the last applied step (clipByGlobalNorm’s norm), lastFinite says it was skipped', async () => {
    const tx = applyIfFinite(chain(clipByGlobalNorm(1), sgd({ learningRate: 0.1 })));
    const params = { w: tf.tensor1d([1, 2]) };
    const good = { w: tf.tensor1d([3, 4]) };
    const bad = { w: tf.tensor1d([Number.NaN, 4]) };
    const s0 = tx.init(params);
    const s1 = tf.tidy(() => tx.update(good, s0, params).state as never) as ApplyIfFiniteState;
    const s2 = tf.tidy(() => tx.update(bad, s1, params).state as never) as ApplyIfFiniteState;
    const clip = (s: ApplyIfFiniteState) => (s.inner as [{ norm: tf.Tensor; clipped: tf.Tensor }])[0];
    expect([(await clip(s2).norm.data())[0], (await clip(s2).clipped.data())[0], (await s2.lastFinite.data())[0]]).toEqual([5, 1, 0]);
    tf.dispose([params.w, good.w, bad.w, s0 as never, s1 as never, s2 as never]);
  });

  it('functional: a NaN step gives zero updates, keeps the inner tensor state bit for bit, and counts the skip', async () => {
    const tx = guarded();
    const params = { w: tf.tensor1d([1, 2, 3]) };
    const s0 = tx.init(params);
    const s1 = tf.tidy(() => tx.update({ w: tf.tensor1d([0.5, -1, 2]) }, s0, params).state as never) as ApplyIfFiniteState;
    const r2 = tf.tidy(() => tx.update({ w: tf.tensor1d([0.5, Number.NaN, 2]) }, s1, params) as never) as {
      updates: { w: tf.Tensor };
      state: ApplyIfFiniteState;
    };
    expect(Array.from(await r2.updates.w.data()).map(Math.abs)).toEqual([0, 0, 0]);
    const momentum = (s: ApplyIfFiniteState) => ((s.inner as [unknown, { momentum: { w: tf.Tensor } }])[1].momentum.w as tf.Tensor).data();
    expect(Array.from(await momentum(r2.state))).toEqual(Array.from(await momentum(s1)));
    expect(Array.from(await momentum(s1)).some((x) => x !== 0)).toBe(true); // the first step did change it
    expect((await r2.state.notfiniteCount.data())[0]).toBe(1);
    expect((await r2.state.totalNotfinite.data())[0]).toBe(1);
    expect((await r2.state.lastFinite.data())[0]).toBe(0);
    expect(r2.state.notfiniteCount.dtype).toBe('int32');
    expect(r2.state.lastFinite.dtype).toBe('bool');
    expect(r2.state.count).toBe(2);
    // Documented limitation: host numbers of the inner state (its step counts) advance on a skipped step.
    expect((r2.state.inner as [{ count: number }, { count: number }])[1].count).toBe(2);
    const r3 = tf.tidy(() => tx.update({ w: tf.tensor1d([1, 1, 1]) }, r2.state, params).state as never) as ApplyIfFiniteState;
    expect((await r3.notfiniteCount.data())[0]).toBe(0);
    expect((await r3.totalNotfinite.data())[0]).toBe(1);
    expect((await r3.lastFinite.data())[0]).toBe(1);
    tf.dispose([params.w, s0 as never, s1 as never, r2 as never, r3 as never]);
  });

  it('Optimizer runner: NaN and ±Infinity steps leave the parameters and the inner tensor state untouched, and are counted', async () => {
    const params = variables();
    const opt = new Optimizer(params, guarded());
    for (let t = 0; t < 2; t++) await opt.minimize(lossOf);
    const before = await read(params);
    const savedBefore = await opt.saveState();
    for (const poison of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      const g = gradsAt(params, poison);
      opt.step(g);
      tf.dispose(g as tf.TensorContainer);
    }
    expect(await read(params)).toEqual(before);
    const saved = await opt.saveState();
    expect(innerTensors(saved).length).toBeGreaterThan(0);
    expect(innerTensors(saved)).toEqual(innerTensors(savedBefore));
    expect(await int(saved, 'notfiniteCount')).toBe(3);
    expect(await int(saved, 'totalNotfinite')).toBe(3);
    expect(await int(saved, 'lastFinite')).toBe(0);
    expect(saved.state.count).toBe(5);
    expect(opt.stepCount).toBe(5);
    await opt.minimize(lossOf);
    expect(await read(params)).not.toEqual(before);
    const after = await opt.saveState();
    expect(await int(after, 'notfiniteCount')).toBe(0);
    expect(await int(after, 'totalNotfinite')).toBe(3);
    expect(await int(after, 'lastFinite')).toBe(1);
    opt.dispose();
    disposeTree(params);
  });

  for (const maxConsecutiveErrors of [0, 2]) {
    it(`maxConsecutiveErrors ${maxConsecutiveErrors}: skips ${maxConsecutiveErrors} non-finite steps in a row, then applies the next (NaN reaches θ)`, async () => {
      const params = variables();
      const opt = new Optimizer(params, guarded(maxConsecutiveErrors));
      const before = await read(params);
      for (let k = 1; k <= maxConsecutiveErrors + 1; k++) {
        const g = gradsAt(params, Number.NaN);
        opt.step(g);
        tf.dispose(g as tf.TensorContainer);
        const now = await read(params);
        if (k <= maxConsecutiveErrors) expect(now).toEqual(before);
        else expect(now.flat().every(Number.isNaN)).toBe(true); // the global-norm clip spreads the NaN everywhere
      }
      expect(await int(await opt.saveState(), 'notfiniteCount')).toBe(maxConsecutiveErrors + 1);
      opt.dispose();
      disposeTree(params);
    });
  }

  it('a trajectory with skipped steps follows optax apply_if_finite over torch SGD with momentum', async () => {
    const schedule = [undefined, Number.NaN, undefined, Number.POSITIVE_INFINITY, Number.NaN, undefined, undefined];
    const params = variables();
    const opt = new Optimizer(params, applyIfFinite(sgd({ learningRate: LR, momentum: MU }), { maxConsecutiveErrors: 3 }));
    const ref = optaxApplyIfFinite(3, torchSgdMomentum());
    let theta = theta0();
    for (const [t, poison] of schedule.entries()) {
      const g = gradsAt(params, poison);
      opt.step(g);
      tf.dispose(g as tf.TensorContainer);
      const g64 = grad64(theta);
      if (poison !== undefined) (g64[0] as number[])[0] = poison;
      theta = ref.step(theta, g64, t);
    }
    await expectTheta(await read(params), theta, 'after 7 steps, 3 skipped');
    const saved = await opt.saveState();
    expect(await int(saved, 'totalNotfinite')).toBe(ref.s.totalNotfinite);
    expect(await int(saved, 'notfiniteCount')).toBe(ref.s.notfiniteCount);
    opt.dispose();
    disposeTree(params);
  });

  conformance(
    'applyIfFinite(sgd with momentum) on finite gradients',
    () => applyIfFinite(sgd({ learningRate: LR, momentum: MU }), { maxConsecutiveErrors: 2 }),
    () => optaxApplyIfFinite(2, torchSgdMomentum()).step,
  );

  it('leaks no tensors over 200 steps with every third one non-finite', async () => {
    const params = variables();
    const opt = new Optimizer(params, guarded());
    await opt.minimize(lossOf);
    const finite = gradsAt(params);
    const poisoned = gradsAt(params, Number.NaN);
    await expectNoLeaks(async () => {
      for (let t = 0; t < 200; t++) opt.step(t % 3 === 0 ? poisoned : finite);
      await read(params);
    });
    expect(await int(await opt.saveState(), 'totalNotfinite')).toBe(67);
    opt.dispose();
    tf.dispose([finite, poisoned] as tf.TensorContainer);
    disposeTree(params);
  });

  describe('bad input', () => {
    const inner = () => sgd({ learningRate: 0.1 });
    it('maxConsecutiveErrors that is not an integer in [0, 2³¹ − 1] → HyperParameterError naming it', () => {
      for (const bad of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '3', null, 2 ** 31])
        expectHyperError(() => applyIfFinite(inner(), { maxConsecutiveErrors: bad as number }), 'maxConsecutiveErrors', /integer in \[0, 2147483647\]/);
      expectHyperError(() => applyIfFinite(inner(), null as never), 'options', /needs an options object/);
      expectHyperError(() => applyIfFinite(inner(), 5 as never), 'options', /needs an options object/);
    });

    it('an inner that is not a transformation → HyperParameterError naming inner', () => {
      expectHyperError(() => applyIfFinite({} as never, { maxConsecutiveErrors: 1 }), 'inner', /must be a gradient transformation/);
      expectHyperError(() => applyIfFinite(sgd as never), 'inner', /it is a factory, call it/);
    });

    it('gradients that do not match the parameters → TreeMismatchError naming the path', () => {
      const params = { a: tf.zeros([2]), b: tf.zeros([2]) };
      const tx = applyIfFinite(inner(), { maxConsecutiveErrors: 1 });
      const state = tx.init(params);
      const wrong = tf.zeros([3]);
      expectTreeMismatch(() => tx.update({ a: params.a }, state, params), 'b');
      expectTreeMismatch(() => tx.update({ a: params.a, b: wrong }, state, params), 'b');
      tf.dispose([params.a, params.b, wrong, state as never]);
    });
  });
});
