import { chain, Optimizer, type SavedTensor } from '@gradkit/core';
import { sgd } from '@gradkit/optimizers';
import { expectClose } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { type ClipByGlobalNormState, clipByGlobalNorm } from './clip-by-global-norm.js';
import { clipThenSgd, conformance, expectHyperError, expectTreeMismatch, grad64, leavesOf, PATHS, tensors, theta0, updateOnce } from './test-support.js';

/**
 * Independent reference: optax `clip_by_global_norm` (optax/_src/clipping.py), in float64:
 * g_norm = optax.tree.norm(updates) = √(Σ Σ g²); trigger = g_norm < max_norm;
 * clip_fn(t) = select(trigger, t, (t / g_norm) * max_norm).
 */
function optaxClipByGlobalNorm(grads: number[][], maxNorm: number): number[][] {
  const gNorm = Math.sqrt(grads.reduce((s, g) => s + g.reduce((a, x) => a + x * x, 0), 0));
  const trigger = gNorm < maxNorm;
  return grads.map((g) => g.map((t) => (trigger ? t : (t / gNorm) * maxNorm)));
}

describe('clipByGlobalNorm (optax.clip_by_global_norm)', () => {
  it("is named 'clipByGlobalNorm' with options.maxNorm (what fused kernels match)", () => {
    const tx = clipByGlobalNorm(1);
    expect(tx.name).toBe('clipByGlobalNorm');
    expect(tx.options).toEqual({ maxNorm: 1 });
    expect(tx.hyperParams?.(5)).toEqual({ maxNorm: 1 });
    const scheduled = (t: number) => 1 + t;
    expect(clipByGlobalNorm(scheduled).options.maxNorm).toBe(scheduled);
    expect(clipByGlobalNorm(scheduled).hyperParams?.(2)).toEqual({ maxNorm: 3 });
  });

  it('hand-worked: { a: [3], b: 4 } with c = 1 → [0.6], 0.8; with c = 6 unchanged', async () => {
    const grads = { a: tf.tensor1d([3]), b: tf.scalar(4) };
    const clipped = await updateOnce(clipByGlobalNorm(1), grads);
    await expectClose(clipped.flat(), [0.6, 0.8]);
    expect((await updateOnce(clipByGlobalNorm(6), grads)).flat()).toEqual([3, 4]);
    tf.dispose([grads.a, grads.b]);
  });

  for (const maxNorm of [0.5, 10, 100]) {
    it(`maxNorm ${maxNorm}: matches optax over a nested tree (0-d, odd lengths, 4-d)`, async () => {
      const values = grad64(theta0());
      const grads = tensors(values);
      const got = await updateOnce(clipByGlobalNorm(maxNorm), grads);
      const expected = optaxClipByGlobalNorm(values, maxNorm);
      for (const [i, leaf] of expected.entries()) await expectClose(got[i] as number[], leaf, { what: PATHS[i] });
      tf.dispose(leavesOf(grads));
    });
  }

  it('a norm exactly at the threshold is rescaled by c / c (optax: trigger is norm < c), which leaves it as it was', async () => {
    const grads = { a: tf.tensor1d([3, 4]) };
    const got = await updateOnce(clipByGlobalNorm(5), grads);
    await expectClose(got[0] as number[], optaxClipByGlobalNorm([[3, 4]], 5)[0] as number[], { rtol: 1e-7, atol: 0 });
    grads.a.dispose();
  });

  it('all-zero gradients pass unchanged (the unselected 0/0 branch never leaks a NaN)', async () => {
    const grads = { w: tf.zeros([2, 3]), b: tf.scalar(0) };
    expect(await updateOnce(clipByGlobalNorm(1), grads)).toEqual([[0, 0, 0, 0, 0, 0], [0]]);
    tf.dispose([grads.w, grads.b]);
  });

  it('one NaN makes every update NaN; an infinity gives NaN there and zeros elsewhere (as optax)', async () => {
    const nan = { a: tf.tensor1d([1, 2, 3]), b: tf.tensor1d([Number.NaN]) };
    expect((await updateOnce(clipByGlobalNorm(1), nan)).flat().every(Number.isNaN)).toBe(true);
    const inf = { a: tf.tensor1d([1, -2, 3]), b: tf.tensor1d([Number.NEGATIVE_INFINITY]) };
    const got = await updateOnce(clipByGlobalNorm(1), inf);
    expect(got[0]?.map(Math.abs)).toEqual([0, 0, 0]);
    expect(got[1]?.[0]).toBeNaN();
    expect(optaxClipByGlobalNorm([[1], [Number.NEGATIVE_INFINITY]], 1)[1]?.[0]).toBeNaN();
    tf.dispose([nan.a, nan.b, inf.a, inf.b]);
  });

  describe("what it did: state.norm and state.clipped (metrics: ['norm', 'clipped'])", () => {
    /** One update from a fresh state; returns the state's norm and clipped as numbers. */
    async function measured(maxNorm: number, grads: Record<string, tf.Tensor>): Promise<[number, number]> {
      const tx = clipByGlobalNorm(maxNorm);
      const s0 = tx.init(grads);
      const s = tf.tidy(() => tx.update(grads, s0, grads).state as never) as ClipByGlobalNormState;
      const out: [number, number] = [(await s.norm.data())[0] as number, (await s.clipped.data())[0] as number];
      expect([s.norm.dtype, s.clipped.dtype, s.norm.rank, s.clipped.rank]).toEqual(['float32', 'float32', 0, 0]);
      tf.dispose([s0.norm, s0.clipped, s.norm, s.clipped]);
      return out;
    }

    it('declares its metrics; before any step norm and clipped are float32 zeros', async () => {
      const tx = clipByGlobalNorm(1);
      expect(tx.metrics).toEqual(['norm', 'clipped']);
      const s = tx.init({ w: tf.scalar(0) });
      expect(s.count).toBe(0);
      expect([s.norm.dtype, s.clipped.dtype]).toEqual(['float32', 'float32']);
      expect([(await s.norm.data())[0], (await s.clipped.data())[0]]).toEqual([0, 0]);
      tf.dispose([s.norm, s.clipped]);
    });

    it('hand-worked: { a: [3], b: 4 } has norm 5; c = 1 clips (1), c = 6 does not (0), c = 5 exactly counts as clipped (NOT 5 < 5)', async () => {
      const grads = { a: tf.tensor1d([3]), b: tf.scalar(4) };
      expect(await measured(1, grads)).toEqual([5, 1]);
      expect(await measured(6, grads)).toEqual([5, 0]);
      expect(await measured(5, grads)).toEqual([5, 1]);
      tf.dispose([grads.a, grads.b]);
    });

    it('a NaN gradient: norm NaN, clipped 1; an infinite one: norm ∞, clipped 1; all zeros: norm 0, clipped 0', async () => {
      const nan = { a: tf.tensor1d([1, Number.NaN]) };
      const [n, c] = await measured(1, nan);
      expect(n).toBeNaN();
      expect(c).toBe(1);
      const inf = { a: tf.tensor1d([1, Number.NEGATIVE_INFINITY]) };
      expect(await measured(1, inf)).toEqual([Number.POSITIVE_INFINITY, 1]);
      const zeros = { a: tf.zeros([3]) };
      expect(await measured(1, zeros)).toEqual([0, 0]);
      tf.dispose([nan.a, inf.a, zeros.a]);
    });

    it('checkpoints: one whose norm is ∞ loads (a metric describes a step, it is not checked), and one saved before these metrics existed loads too', async () => {
      const make = () => chain(clipByGlobalNorm(1), sgd({ learningRate: 0.1 }));
      const params = { w: tf.tidy(() => tf.variable(tf.tensor1d([1, 2]))) };
      const opt = new Optimizer(params, make());
      const inf = { w: tf.tensor1d([Number.POSITIVE_INFINITY, 1]) };
      opt.step(inf);
      const saved = JSON.parse(JSON.stringify(await opt.saveState()));
      const other = { w: tf.tidy(() => tf.variable(tf.tensor1d([1, 2]))) };
      const again = new Optimizer(other, make());
      again.loadState(saved);
      const old = JSON.parse(JSON.stringify(saved));
      delete old.state['0.norm'];
      delete old.state['0.clipped'];
      const third = new Optimizer(other, make());
      third.loadState(old);
      const g = { w: tf.tensor1d([3, 4]) };
      third.step(g);
      const after = (await third.saveState()).state['0.norm'] as SavedTensor;
      expect(new Float32Array(Uint8Array.from(atob(after.data), (ch) => ch.charCodeAt(0)).buffer)[0]).toBe(5);
      for (const o of [opt, again, third]) o.dispose();
      tf.dispose([params.w, other.w, inf.w, g.w]);
    });

    for (const fused of [true, false]) {
      it(`in the Optimizer runner (fused: ${fused}): the state holds the last step's norm before clipping, and whether it clipped`, async () => {
        const params = { a: tf.tidy(() => tf.variable(tf.tensor1d([1, 1]))), b: tf.tidy(() => tf.variable(tf.scalar(1))) };
        const opt = new Optimizer(params, chain(clipByGlobalNorm(10), sgd({ learningRate: 0.5 })), { fused });
        const f32 = async (path: string) => {
          const t = (await opt.saveState()).state[path] as SavedTensor;
          return new Float32Array(Uint8Array.from(atob(t.data), (ch) => ch.charCodeAt(0)).buffer)[0];
        };
        const big = { a: tf.tensor1d([30, 0]), b: tf.scalar(-40) }; // norm 50
        const small = { a: tf.tensor1d([0, 3]), b: tf.scalar(4) }; // norm 5
        opt.step(big);
        expect([await f32('0.norm'), await f32('0.clipped')]).toEqual([50, 1]);
        opt.step(small);
        expect([await f32('0.norm'), await f32('0.clipped')]).toEqual([5, 0]);
        expect(opt.lastStepPath).toBe(fused ? 'fused:GradkitClippedSgd' : 'reference');
        opt.dispose();
        tf.dispose([params.a, params.b, big.a, big.b, small.a, small.b]);
      });
    }
  });

  conformance(
    'chain(clipByGlobalNorm(20), sgd) — clipped, then not',
    () => chain(clipByGlobalNorm(20), sgd({ learningRate: 0.1 })),
    clipThenSgd(0.1, (g) => optaxClipByGlobalNorm(g, 20)),
  );
  conformance(
    'chain(clipByGlobalNorm(1), sgd with momentum)',
    () => chain(clipByGlobalNorm(1), sgd({ learningRate: 0.1, momentum: 0.9 })),
    () => {
      // torch.optim.SGD with momentum (torch/optim/sgd.py): b ← g at the first step, then b ← μb + g; θ ← θ − η b.
      let buf: number[][] | null = null;
      return (theta, grads) => {
        const g = optaxClipByGlobalNorm(grads, 1);
        const next: number[][] = buf === null ? g : (buf as number[][]).map((b, i) => b.map((x, j) => 0.9 * x + ((g[i] as number[])[j] as number)));
        buf = next;
        return theta.map((leaf, i) => leaf.map((x, j) => x - 0.1 * ((next[i] as number[])[j] as number)));
      };
    },
    { trajectoryOnly: true },
  );
  conformance(
    'chain(clipByGlobalNorm(schedule), sgd)',
    () =>
      chain(
        clipByGlobalNorm((t) => 5 + 5 * t),
        sgd({ learningRate: 0.1 }),
      ),
    clipThenSgd(0.1, (g, t) => optaxClipByGlobalNorm(g, 5 + 5 * t)),
    { trajectoryOnly: true },
  );

  it('in the Optimizer runner: a single step of chain(clipByGlobalNorm(1), sgd) moves θ by at most η', async () => {
    const params = { a: tf.tidy(() => tf.variable(tf.tensor1d([1, 1]))), b: tf.tidy(() => tf.variable(tf.scalar(1))) };
    const opt = new Optimizer(params, chain(clipByGlobalNorm(1), sgd({ learningRate: 0.5 })));
    const g = { a: tf.tensor1d([30, 0]), b: tf.scalar(-40) };
    opt.step(g);
    await expectClose(params.a, [1 - 0.5 * 0.6, 1]);
    await expectClose(params.b, 1 + 0.5 * 0.8);
    expect(opt.lastStepPath).toBe('fused:GradkitClippedSgd');
    opt.dispose();
    tf.dispose([params.a, params.b, g.a, g.b]);
  });

  describe('bad input', () => {
    it('maxNorm ≤ 0 or NaN, constant or scheduled → HyperParameterError naming maxNorm', () => {
      expectHyperError(() => clipByGlobalNorm(0), 'maxNorm', /maxNorm must be in \(0, ∞\), got 0/);
      expectHyperError(() => clipByGlobalNorm(-2), 'maxNorm', /got -2/);
      expectHyperError(() => clipByGlobalNorm(Number.NaN), 'maxNorm', /finite number/);
      expectHyperError(() => clipByGlobalNorm(() => 0), 'maxNorm', /schedule value at step 0/);
      // A schedule may not reach 0 either (a learning rate may): a zero threshold would divide 0 by 0.
      const tx = clipByGlobalNorm((t) => 1 - t);
      const g = { w: tf.scalar(1) };
      expectHyperError(
        () => tf.tidy(() => tx.update(g, { ...tx.init(g), count: 1 }).updates as tf.Tensor),
        'maxNorm',
        /\(0, ∞\) \(schedule value at step 1\), got 0/,
      );
      g.w.dispose();
    });

    it('gradients that do not match the parameters → TreeMismatchError naming the path', () => {
      const params = { dense: { kernel: tf.zeros([2, 2]) } };
      const tx = clipByGlobalNorm(1);
      expectTreeMismatch(() => tx.update({ dense: { kernel: params.dense.kernel, extra: params.dense.kernel } }, tx.init(params), params), 'dense.extra');
      params.dense.kernel.dispose();
    });
  });
});
