import { chain, flatten, Optimizer, type StateTree, transformationFromConfig, transformationToConfig } from '@gradkit/core';
import { sgd } from '@gradkit/optimizers';
import { expectClose, expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { type ZclipOptions, zclip } from './index.js';
import { conformance, type ReferenceStep } from './test-support.js';

type Reference = Required<Omit<ZclipOptions, 'maxGradNorm' | 'alpha' | 'zThreshold' | 'clipFactor' | 'epsilon'>> & {
  alpha: number;
  /** A number, or a schedule evaluated at the step index t (0-based), as gradkit evaluates schedules at `count`. */
  zThreshold: number | ((t: number) => number);
  clipFactor: number;
  epsilon: number;
  maxGradNorm: number | null;
};

/** `tf.tidy` over a function returning a transformation's result or state (tf.tidy's type only knows tensor containers). */
const tidied = <R>(f: () => R): R => tf.tidy(f as unknown as () => tf.TensorContainer) as unknown as R;

/**
 * Independent reference: bluorion-com/ZClip `zclip/zclip.py` (`ZClip`, at
 * 584ce4f5a4aabab59e7df1dbaffc26a44df39dc1), transcribed in float64 with Python's semantics: a buffer
 * of warm-up norms (`_initialize_ema`: mean, population variance), `_compute_clip_val`,
 * `_apply_clipping` (`clip_coef = max/(norm + 1e-6) if norm > max`), `_update_ema` with the clip value
 * or the norm, and `torch.nn.utils.clip_grad_norm_` (coef = min(max/(norm + 1e-6), 1)) in warm-up when
 * `max_grad_norm` is set. Also records how close each decision came to its threshold.
 */
class ZClip64 {
  private buffer: number[] = [];
  initialized = false;
  mean = 0;
  var = 0;
  margin = Number.POSITIVE_INFINITY;

  constructor(private readonly o: Reference) {}

  step(grads: number[][], t: number): { out: number[][]; norm: number; clipped: number } {
    const o = { ...this.o, zThreshold: typeof this.o.zThreshold === 'function' ? this.o.zThreshold(t) : this.o.zThreshold };
    const norm = Math.sqrt(grads.flat().reduce((a, g) => a + g * g, 0));
    const scaled = (c: number) => grads.map((leaf) => leaf.map((g) => g * c));
    if (!this.initialized) {
      this.buffer.push(norm);
      if (this.buffer.length >= o.warmupSteps) {
        this.mean = this.buffer.reduce((a, b) => a + b, 0) / this.buffer.length;
        this.var = this.buffer.reduce((a, x) => a + (x - this.mean) ** 2, 0) / this.buffer.length;
        this.initialized = true;
        this.buffer = [];
      }
      if (o.maxGradNorm === null) return { out: grads, norm, clipped: 0 };
      const coef = Math.min(o.maxGradNorm / (norm + 1e-6), 1);
      this.margin = Math.min(this.margin, Math.abs(o.maxGradNorm / (norm + 1e-6) - 1));
      return { out: scaled(coef), norm, clipped: coef < 1 ? 1 : 0 };
    }
    const std = Math.sqrt(this.var);
    let clipVal: number | null = null;
    if (o.mode === 'percentile') {
      const threshold = this.mean + o.zThreshold * std;
      this.margin = Math.min(this.margin, Math.abs(norm - threshold));
      if (norm > threshold) clipVal = threshold;
    } else {
      const z = (norm - this.mean) / (std + o.epsilon);
      this.margin = Math.min(this.margin, Math.abs(z - o.zThreshold));
      if (z > o.zThreshold) {
        const eta = z / o.zThreshold;
        clipVal = o.clipOption === 'mean' ? this.mean : (this.mean + (o.zThreshold * std) / eta) * o.clipFactor;
      }
    }
    const adaptive = clipVal ?? norm;
    const effective = o.maxGradNorm === null ? adaptive : Math.min(adaptive, o.maxGradNorm);
    const clip = norm > effective;
    if (effective !== norm) this.margin = Math.min(this.margin, Math.abs(norm - effective));
    const result = { out: clip ? scaled(effective / (norm + 1e-6)) : grads, norm, clipped: clip ? 1 : 0 };
    if (clipVal !== null && o.skipUpdateOnSpike) return result;
    const x = clipVal ?? norm;
    this.mean = o.alpha * this.mean + (1 - o.alpha) * x;
    this.var = o.alpha * this.var + (1 - o.alpha) * (x - this.mean) ** 2;
    return result;
  }
}

const reference = (o: ZclipOptions): Reference => ({
  alpha: 0.97,
  zThreshold: 2.5,
  warmupSteps: 25,
  mode: 'zscore',
  clipOption: 'adaptiveScaling',
  clipFactor: 1,
  epsilon: 1e-6,
  skipUpdateOnSpike: false,
  ...(o as object),
  maxGradNorm: (o.maxGradNorm as number | undefined) ?? null,
});

/** Gradients of { w: [3], b: [2] } at step t with global norm about `NORMS[t]` (various directions). */
const NORMS = [1, 1.3, 0.8, 1.1, 6, 1.2, 2.5, 0.9, 40, 1];
const gradsAt = (t: number): number[][] => {
  const raw = [0, 1, 2, 3, 4].map((i) => Math.sin(1.7 * t + 0.9 * i + 0.3));
  const n = Math.sqrt(raw.reduce((a, x) => a + x * x, 0));
  const g = raw.map((x) => Math.fround((x / n) * (NORMS[t] as number)));
  return [g.slice(0, 3), g.slice(3)];
};
const treeOf = (g: number[][]) => ({ w: tf.tensor1d(g[0] as number[]), b: tf.tensor1d(g[1] as number[]) });

const CONFIGS: [string, ZclipOptions][] = [
  ['zscore, adaptiveScaling, warmupSteps 3', { warmupSteps: 3, alpha: 0.8 }],
  ['zscore, mean', { warmupSteps: 3, alpha: 0.8, clipOption: 'mean' }],
  ['percentile', { warmupSteps: 3, alpha: 0.9, mode: 'percentile', zThreshold: 1.5 }],
  ['maxGradNorm 3 (in warm-up too), clipFactor 0.8', { warmupSteps: 4, alpha: 0.9, maxGradNorm: 3, clipFactor: 0.8, zThreshold: 2 }],
  ['skipUpdateOnSpike', { warmupSteps: 3, alpha: 0.8, skipUpdateOnSpike: true, zThreshold: 2 }],
  ['scheduled zThreshold', { warmupSteps: 3, alpha: 0.8, zThreshold: (t) => 2 + 0.1 * t }],
];

describe('zclip (Kumar et al. 2025, bluorion-com/ZClip)', () => {
  it('defaults and options', () => {
    const tx = zclip();
    expect(tx.name).toBe('zclip');
    expect(tx.options).toEqual({
      alpha: 0.97,
      zThreshold: 2.5,
      clipFactor: 1,
      epsilon: 1e-6,
      warmupSteps: 25,
      mode: 'zscore',
      clipOption: 'adaptiveScaling',
      skipUpdateOnSpike: false,
    });
    expect(zclip({ maxGradNorm: 1 }).options.maxGradNorm).toBe(1);
    expect(tx.hyperParams?.(0)).toEqual({ alpha: 0.97, zThreshold: 2.5, clipFactor: 1, epsilon: 1e-6, warmupSteps: 25 });
    expect(tx.metrics).toEqual(['norm', 'clipped']);
  });

  it('round-trips through a JSON config (registered by name)', () => {
    const tx = zclip({ warmupSteps: 10, mode: 'percentile', maxGradNorm: 2 });
    const config = JSON.parse(JSON.stringify(transformationToConfig(tx)));
    expect(config).toMatchObject({ name: 'zclip', warmupSteps: 10, mode: 'percentile', maxGradNorm: 2, zThreshold: 2.5 });
    expect(transformationFromConfig(config).options).toEqual(tx.options);
  });

  for (const [what, options] of CONFIGS) {
    it(`${what}: each step's clipped gradients and statistics follow the reference (functional)`, async () => {
      const ref = new ZClip64(reference(options));
      const tx = zclip(options);
      let state = tx.init({});
      let clippedSteps = 0;
      for (let t = 0; t < NORMS.length; t++) {
        const g = gradsAt(t);
        const want = ref.step(g, t);
        clippedSteps += want.clipped;
        const grads = treeOf(g);
        const r = tidied(() => tx.update(grads, state));
        const u = r.updates as { w: tf.Tensor; b: tf.Tensor };
        await expectClose([...(await u.w.data()), ...(await u.b.data())], want.out.flat(), { what: `step ${t} updates` });
        // The reference's statistics exist from the end of warm-up (gradkit's hold the warm-up's running mean and variance before).
        if (ref.initialized)
          await expectClose([(await r.state.mean.data())[0] as number, (await r.state.var.data())[0] as number], [ref.mean, ref.var], {
            what: `step ${t} mean, var`,
          });
        await expectClose([(await r.state.norm.data())[0] as number, (await r.state.clipped.data())[0] as number], [want.norm, want.clipped], {
          what: `step ${t} metrics`,
        });
        tf.dispose([grads, r.updates, state] as unknown as tf.TensorContainer);
        state = r.state;
      }
      tf.dispose(state as unknown as tf.TensorContainer);
      expect(clippedSteps).toBeGreaterThan(0); // the sequence exercises the clipping
      expect(ref.margin).toBeGreaterThan(1e-3); // no decision is near enough a threshold for float32 to flip it
    });

    it(`${what}: the Optimizer runner (chain(zclip, sgd(1))) follows the reference, metrics() reads norm and clipped`, async () => {
      const ref = new ZClip64(reference(options));
      const theta = [
        [1, 2, 3],
        [4, 5],
      ];
      const params = { w: tf.variable(tf.tensor1d(theta[0] as number[])), b: tf.variable(tf.tensor1d(theta[1] as number[])) };
      const opt = new Optimizer(params, chain(zclip(options), sgd({ learningRate: 1 })));
      let last = { norm: 0, clipped: 0 };
      for (let t = 0; t < NORMS.length; t++) {
        const g = gradsAt(t);
        const want = ref.step(g, t);
        last = want;
        want.out.forEach((leaf, i) => {
          (theta[i] as number[]).forEach((x, j, a) => {
            a[j] = x - (leaf[j] as number);
          });
        });
        const grads = treeOf(g);
        opt.step(grads);
        tf.dispose(grads as unknown as tf.TensorContainer);
      }
      await expectClose([...(await params.w.data()), ...(await params.b.data())], theta.flat(), { what: 'θ' });
      const m = await opt.metrics();
      await expectClose([m['zclip.norm'] as number, m['zclip.clipped'] as number], [last.norm, last.clipped]);
      opt.dispose();
      tf.dispose([params.w, params.b]);
    });
  }

  it('a non-finite norm leaves the statistics unchanged (the reference would keep NaN forever)', async () => {
    const tx = zclip({ warmupSteps: 2 });
    let state = tx.init({});
    for (const g of [[1], [2], [Number.NaN], [Number.POSITIVE_INFINITY], [1.5]]) {
      const grads = { w: tf.tensor1d(g) };
      const r = tidied(() => tx.update(grads, state));
      tf.dispose([grads.w, r.updates as tf.TensorContainer, state as unknown as tf.TensorContainer]);
      state = r.state;
    }
    // Warm-up: mean 1.5, var 0.25; then 1.5 (z = 0): mean 1.5, var 0.97·0.25.
    await expectClose([(await state.mean.data())[0] as number, (await state.var.data())[0] as number], [1.5, 0.97 * 0.25], { rtol: 1e-6 });
    tf.dispose(state as unknown as tf.TensorContainer);
  });

  it('a non-finite norm during warm-up is not counted: NaN, 10, 10 give mean 10 and variance 0', async () => {
    // Welford over the finite norms only (a count that included the NaN step gave mean 6.67, variance 22.2).
    const tx = zclip({ warmupSteps: 3 });
    let state = tx.init({});
    for (const g of [[Number.NaN], [10], [10]]) {
      const grads = { w: tf.tensor1d(g) };
      const r = tidied(() => tx.update(grads, state));
      tf.dispose([grads.w, r.updates as tf.TensorContainer, state as unknown as tf.TensorContainer]);
      state = r.state;
    }
    await expectClose([(await state.mean.data())[0] as number, (await state.var.data())[0] as number, (await state.seen.data())[0] as number], [10, 0, 2], {
      atol: 1e-6,
    });
    tf.dispose(state as unknown as tf.TensorContainer);
  });

  it('leaves nothing to read back on the host: its statistics are device scalars', () => {
    const state = zclip().init({}) as StateTree;
    const tensors = flatten(state).filter((e) => e.value instanceof tf.Tensor);
    expect(tensors.map((e) => e.path)).toEqual(['mean', 'var', 'norm', 'clipped', 'seen']);
    tf.dispose(tensors.map((e) => e.value as tf.Tensor));
  });

  it('a functional update leaks nothing in tf.tidy', async () => {
    const tx = zclip({ warmupSteps: 1, maxGradNorm: 1 });
    const grads = { w: tf.tensor1d([3, 4]) };
    const s0 = tx.init({});
    const s1 = tidied(() => tx.update(grads, s0).state);
    await expectNoLeaks(() => tf.tidy(() => void tx.update(grads, s1)), { what: 'zclip.update after warm-up' });
    tf.dispose([grads.w, s0, s1] as unknown as tf.TensorContainer);
  });

  // Through a quadratic loss with an sgd that diverges (lr 0.6), so the norms grow and zclip clips.
  const diverging = (o: ZclipOptions) => (): ReferenceStep => {
    const z = new ZClip64(reference(o));
    return (theta, grads, t) => {
      const { out } = z.step(grads, t);
      return theta.map((leaf, i) => leaf.map((x, j) => x - 0.6 * ((out[i] as number[])[j] as number)));
    };
  };
  conformance(
    'chain(zclip({ warmupSteps: 2 }), sgd(0.6))',
    () => chain(zclip({ warmupSteps: 2, alpha: 0.9 }), sgd({ learningRate: 0.6 })),
    diverging({ warmupSteps: 2, alpha: 0.9 }),
  );
});
