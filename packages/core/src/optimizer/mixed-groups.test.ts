// A routing transformation whose groups are partly fused (issue 16: `muon`'s AdamW group has a
// kernel, its matrix group has none): the groups with a kernel run it, the others their reference
// `update`, in the same step, with the numbers, the all-or-nothing steps and the checkpoints of the
// reference path.
import { currentBackend, expectClose, expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GradkitError } from '../errors.js';
import { heavyBall } from '../fixtures/heavy-ball.js';
import { partition } from '../partition.js';
import { chain, type GradientTransformation, type UpdateExtras } from '../transform.js';
import { type GradTree, map } from '../tree.js';
import { type FusedKernelArgs, registerFusedKernel, unregisterFusedKernel } from './fused.js';
import { Optimizer } from './optimizer.js';

const KERNEL = 'GradkitTestMixedHeavyBall';

/** How the test kernel misbehaves: not at all, by throwing before writing, or after writing the parameters. */
let failure: 'none' | 'before' | 'after' = 'none';
let kernelCalls = 0;

/**
 * heavyBall as a kernel, with the fixture's tf ops in the fixture's order (v ← v·μ + g; p ← p + v·(−η)),
 * assigned into the variables: the same float32 numbers as the reference path on every backend.
 */
function heavyBallKernel({ params, grads, slots, hyper }: FusedKernelArgs): void {
  kernelCalls++;
  if (failure === 'before') throw new GradkitError('TEST', 'the kernel refuses its inputs');
  const { learningRate, momentum } = hyper[0] as { learningRate: number; momentum: number };
  for (const [i, p] of (params as tf.Variable[]).entries()) {
    const v = slots[0]?.[i] as tf.Variable;
    const [nextV, nextP] = tf.tidy(() => {
      const n = tf.add(tf.mul(v, momentum), grads[i] as tf.Tensor);
      return [n, tf.add(p, tf.mul(n, -learningRate))];
    });
    v.assign(nextV);
    p.assign(nextP);
    tf.dispose([nextV, nextP]);
  }
  if (failure === 'after') throw new GradkitError('TEST', 'the kernel failed after writing');
}

/** prev ← cur; cur ← cur + g; update −prev: its new state holds one of its own variables (no kernel). */
const lag: GradientTransformation = {
  name: 'lag',
  options: {},
  init: (p) => ({ cur: map(p, (x) => tf.zerosLike(x)), prev: map(p, (x) => tf.zerosLike(x)) }),
  update: (grads, state) => {
    const s = state as { prev: Record<string, tf.Tensor>; cur: Record<string, tf.Tensor> };
    const g = grads as Record<string, tf.Tensor>;
    const cur = map(g, (x, path) => tf.add(s.cur[path] as tf.Tensor, x));
    return { updates: map(s.prev, (x) => tf.neg(x)), state: { cur, prev: s.cur } };
  },
};

/** An observer at the head of the chain (as monitorGradients): records the raw gradients' paths at each step. */
const seen: string[] = [];
const record = (grads: GradTree, { count }: { count: number }) => {
  seen.push(Object.keys(grads as object).join());
  return { updates: grads, state: { count: count + 1 } };
};
const watch: GradientTransformation<{ count: number }> = { name: 'watch', options: {}, observer: true, init: () => ({ count: 0 }), update: record };

// a, c: the fused group (heavyBall, momentum 0.9); b: heavyBall with momentum 0.5, which the kernel
// declines (reference); d: lag (reference).
const label = (path: string) => ({ a: 'fused', b: 'declined', c: 'fused', d: 'lagging' })[path] as string;
const mixed = (lagging = lag): GradientTransformation =>
  chain(watch, partition({ fused: heavyBall((t) => 0.1 / (t + 1), 0.9), declined: heavyBall(0.2, 0.5), lagging }, label));

const makeParams = () => ({
  a: tf.variable(tf.tensor1d([1, -2, 3])),
  b: tf.variable(tf.tensor2d([0.5, 1.5, -1, 2], [2, 2])),
  c: tf.variable(tf.scalar(4)),
  d: tf.variable(tf.tensor1d([0.25, -0.75])),
});
type Params = ReturnType<typeof makeParams>;
const gradsAt = (t: number) => ({
  a: tf.tensor1d([0.3, -0.1 * t, 1]),
  b: tf.tensor2d([1, -1, 0.5 * t, 2], [2, 2]),
  c: tf.scalar(-0.5 + t),
  d: tf.tensor1d([t, 1 - t]),
});

const values = async (p: Params) => Object.fromEntries(await Promise.all(Object.entries(p).map(async ([k, v]) => [k, Array.from(await v.data())])));
const disposeAll = (...trees: Record<string, tf.Tensor>[]) => tf.dispose(trees.flatMap((t) => Object.values(t)));

describe('a routing transformation with fused and reference groups', () => {
  beforeEach(() => {
    failure = 'none';
    kernelCalls = 0;
    seen.length = 0;
    registerFusedKernel({
      kernelName: KERNEL,
      backendName: currentBackend(),
      pattern: ['heavyBall'],
      slots: () => [['velocity']],
      supports: ([o]) => (o as { momentum: number }).momentum !== 0.5,
      kernelFunc: heavyBallKernel,
    });
  });
  afterEach(() => unregisterFusedKernel(KERNEL, currentBackend()));

  it('runs the kernel for its group and the reference update for the others: the numbers and state of { fused: false }, step after step, without leaks', async () => {
    const [p, q] = [makeParams(), makeParams()];
    const [fused, reference] = [new Optimizer(p, mixed()), new Optimizer(q, mixed(), { fused: false })];
    for (let t = 0; t < 5; t++) {
      const g = gradsAt(t);
      await expectNoLeaks(() => fused.step(g), { what: `mixed step ${t}` });
      reference.step(g);
      disposeAll(g);
      expect(fused.lastStepPath).toBe(`fused:${KERNEL}+reference`);
      expect(reference.lastStepPath).toBe('reference');
      expect(await values(p), `step ${t}`).toEqual(await values(q));
    }
    expect(kernelCalls).toBe(5);
    expect(seen).toEqual(Array(10).fill('a,b,c,d')); // the observer saw every raw gradient, on both paths
    const [s, r] = [await fused.saveState(), await reference.saveState()];
    expect(s).toEqual(r);
    // each group's count: 5 (the kernel's advanced by the runner, the declined one's from its update)
    expect([s.state['0.count'], s.state['1.fused.count'], s.state['1.declined.count']]).toEqual([5, 5, 5]);
    // by hand: lag's update at step k is −Σ_{j<k−1} g_j, so after 5 steps d = d₀ − (3g₀ + 2g₁ + g₂)
    await expectClose(p.d, [0.25 - (0 + 1 + 3), -0.75 - (1 + 1 + 0)], { rtol: 0, atol: 1e-6 });
    for (const o of [fused, reference]) o.dispose();
    disposeAll(p, q);
  });

  it('gives the reference groups the step’s extras (loss, committed, transform, metric), as partition does', async () => {
    const got: UpdateExtras[] = [];
    let metric: tf.Tensor | undefined;
    const inner = heavyBall(0.2, 0.5);
    const spy: GradientTransformation = {
      ...inner,
      update: (g, s, p, extras) => {
        got.push(extras as UpdateExtras);
        metric = extras?.metric && tf.keep(tf.clone(extras.metric)); // the optimizer releases its own after the step
        return inner.update(g, s as never, p);
      },
    };
    const p = makeParams();
    const tx = partition({ fused: heavyBall(0.1, 0.9), declined: spy, lagging: lag }, label);
    const opt = new Optimizer(p, tx);
    const loss = tf.scalar(2);
    opt.reportMetric(0.5);
    const g = gradsAt(1);
    opt.step(g, { loss });
    expect(opt.lastStepPath).toBe(`fused:${KERNEL}+reference`);
    const extras = got[0] as UpdateExtras;
    expect(extras.loss).toBe(loss);
    expect(extras.transform).toBe(tx);
    expect(await metric?.data()).toEqual(new Float32Array([0.5]));
    expect(await extras.committed).toBe(true);
    opt.dispose();
    disposeAll(p, g);
    tf.dispose([loss, metric as tf.Tensor]);
  });

  const failures = [
    ['a reference group throws', 'none'],
    ['the kernel refuses its inputs before writing', 'before'],
    ['the kernel throws after writing', 'after'],
  ] as const;
  for (const [what, how] of failures) {
    it(`is all-or-nothing when ${what}: parameters and state bit-identical, no leaks, committed false`, async () => {
      let boom = false;
      let committed: Promise<boolean> | undefined;
      const fragile: GradientTransformation = {
        ...lag,
        update: (g, s, p, extras) => {
          committed = extras?.committed;
          const r = lag.update(g, s, p, extras);
          if (boom) throw new GradkitError('TEST', 'the reference group failed');
          return r;
        },
      };
      const p = makeParams();
      const opt = new Optimizer(p, mixed(fragile));
      for (let t = 0; t < 2; t++) {
        const g = gradsAt(t);
        opt.step(g);
        disposeAll(g);
      }
      const [before, paramsBefore] = [await opt.saveState(), await values(p)];
      boom = how === 'none';
      failure = how;
      const g = gradsAt(2);
      const calls = kernelCalls;
      await expectNoLeaks(
        () => {
          expect(() => opt.step(g)).toThrow(/failed|refuses/);
        },
        { what },
      );
      expect(kernelCalls).toBe(how === 'none' ? calls : calls + 1);
      expect(await committed).toBe(false);
      expect(await values(p)).toEqual(paramsBefore);
      expect(await opt.saveState()).toEqual(before);
      expect(opt.stepCount).toBe(2);
      // and the next good step is the one it would have been
      boom = false;
      failure = 'none';
      opt.step(g);
      expect(opt.lastStepPath).toBe(`fused:${KERNEL}+reference`);
      const q = makeParams();
      const ref = new Optimizer(q, mixed(), { fused: false });
      for (let t = 0; t < 3; t++) {
        const h = gradsAt(t);
        ref.step(h);
        disposeAll(h);
      }
      expect(await values(p)).toEqual(await values(q));
      for (const o of [opt, ref]) o.dispose();
      disposeAll(p, q, g);
    });
  }

  it('saved mid-run and loaded into a new optimizer, continues bit-identically', async () => {
    const [p, q] = [makeParams(), makeParams()];
    const first = new Optimizer(p, mixed());
    for (let t = 0; t < 3; t++) {
      const g = gradsAt(t);
      first.step(g);
      disposeAll(g);
    }
    const saved = JSON.parse(JSON.stringify(await first.saveState()));
    for (const k of Object.keys(q) as (keyof Params)[]) (q[k] as tf.Variable).assign(p[k]);
    const second = new Optimizer(q, mixed());
    second.loadState(saved);
    for (let t = 3; t < 6; t++) {
      const g = gradsAt(t);
      first.step(g);
      second.step(g);
      disposeAll(g);
      expect(second.lastStepPath).toBe(`fused:${KERNEL}+reference`);
    }
    expect(await values(q)).toEqual(await values(p));
    expect(await second.saveState()).toEqual(await first.saveState());
    for (const o of [first, second]) o.dispose();
    disposeAll(p, q);
  });

  it('takes the reference path when no group has a kernel, and names the kernels alone when every group has one', async () => {
    const p = makeParams();
    const none = new Optimizer(p, partition({ fused: heavyBall(0.1, 0.5), declined: heavyBall(0.2, 0.5), lagging: lag }, label));
    const all = new Optimizer(p, partition({ fused: heavyBall(0.1, 0.9), declined: heavyBall(0.2, 0.9), lagging: heavyBall(0.3, 0.9) }, label));
    const g = gradsAt(1);
    none.step(g);
    all.step(g);
    expect([none.lastStepPath, all.lastStepPath]).toEqual(['reference', `fused:${KERNEL}`]);
    for (const o of [none, all]) o.dispose();
    disposeAll(p, g);
  });
});
