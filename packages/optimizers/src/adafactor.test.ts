import { Optimizer } from '@gradkit/core';
import { expectClose } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { type AdafactorOptions, adafactor, factoredDims } from './adafactor.js';
import {
  at,
  badHyperTests,
  badOptions,
  type Flat,
  gradOf,
  leakTest,
  MAIN,
  needsParamsTest,
  type Params,
  type Problem,
  perLeaf,
  roundTripTest,
  tensorsOf,
  trajectoryTests,
} from './test-kit.js';

const BENCH = { tolerance: {}, reference: "optax's" };
const seq = (n: number, f: (i: number) => number) => Array.from({ length: n }, (_, i) => f(i));

/** A rank-3 tensor [4, 2, 3] (factored over axes 2 and 0, so reduced_d1 ≠ d1) and a square [3, 3] one (a tie); MAIN is the other problem. */
const RANK3: Problem = {
  k: { shape: [4, 2, 3], theta0: seq(24, (i) => 1.5 * Math.sin(i + 1)), a: seq(24, (i) => 0.3 + (i % 5) * 0.2), b: seq(24, (i) => 0.3 * Math.cos(i)) },
  m: { shape: [3, 3], theta0: seq(9, (i) => (i - 4) / 3), a: seq(9, (i) => 0.5 + 0.1 * i), b: seq(9, (i) => (i % 2 ? 0.2 : -0.1)) },
};

// ---- float64 helpers for n-d arrays stored flat, row-major ----
const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
const unravel = (flat: number, shape: readonly number[]) => {
  const idx = new Array<number>(shape.length);
  for (let j = shape.length - 1; j >= 0; j--) {
    idx[j] = flat % (shape[j] as number);
    flat = Math.floor(flat / (shape[j] as number));
  }
  return idx;
};
const ravel = (idx: number[], shape: readonly number[]) => idx.reduce((acc, x, j) => acc * (shape[j] as number) + x, 0);
const del = <T>(xs: readonly T[], axis: number) => xs.filter((_, j) => j !== axis);
/** jnp.mean(x, axis) for a flat array of `shape`. */
const meanOver = (x: number[], shape: readonly number[], axis: number) => {
  const outShape = del(shape, axis);
  const out = new Array<number>(size(outShape)).fill(0);
  x.forEach((value, i) => {
    const o = ravel(del(unravel(i, shape), axis), outShape);
    out[o] = (out[o] as number) + value / (shape[axis] as number);
  });
  return out;
};
const rmsOf = (x: number[]) => Math.sqrt(x.reduce((s, v) => s + v * v, 0) / x.length);
/** optax _factored_dims: np.argsort(shape) (insertion sort for small arrays: stable), the last two, if shape[sorted[-2]] ≥ min. */
function refFactoredDims(shape: readonly number[], factored: boolean, minDim: number): [number, number] | null {
  if (!factored || shape.length < 2) return null;
  const sortedDims = shape.map((_, i) => i);
  for (let i = 1; i < sortedDims.length; i++)
    for (let j = i; j > 0 && (shape[sortedDims[j - 1] as number] as number) > (shape[sortedDims[j] as number] as number); j--)
      [sortedDims[j - 1], sortedDims[j]] = [sortedDims[j] as number, sortedDims[j - 1] as number];
  if ((shape[sortedDims[sortedDims.length - 2] as number] as number) < minDim) return null;
  return [sortedDims[sortedDims.length - 2] as number, sortedDims[sortedDims.length - 1] as number];
}

/**
 * Independent reference: optax's `adafactor` (optax/_src/alias.py) transcribed per tensor in float64:
 * chain(scale_by_factored_rms(factored, decay_rate, decay_offset, min_dim_size_to_factor, eps)
 * [optax/_src/factorized.py], clip_by_block_rms(clipping_threshold) if not None
 * [optax/transforms/_clipping.py], scale_by_learning_rate(lr, flip_sign=False) if lr is not None,
 * scale_by_param_block_rms() if multiply_by_parameter_scale [optax/_src/transform.py],
 * ema(momentum, debias=False) if momentum is not None [optax/transforms/_accumulation.py],
 * add_decayed_weights(weight_decay_rate) if not None, scale(−1)). One deliberate difference, as
 * documented by gradkit: `_decay_rate_pow(step − step_offset)` uses max(step − step_offset, 0)
 * (optax's value is not finite before the offset). Schedules are evaluated at the step index.
 */
function optaxAdafactor(pr: Problem, o: AdafactorOptions, steps: number): Flat {
  const minDim = o.minDimSizeToFactor ?? 128;
  const offset = o.decayOffset ?? 0;
  return perLeaf(pr, (leaf) => {
    const { shape } = leaf;
    const theta = [...leaf.theta0];
    const dims = refFactoredDims(shape, o.factored ?? true, minDim);
    let vRow = dims ? new Array<number>(size(del(shape, dims[1]))).fill(0) : [0];
    let vCol = dims ? new Array<number>(size(del(shape, dims[0]))).fill(0) : [0];
    let v = dims ? [0] : theta.map(() => 0);
    let ema = theta.map(() => 0);
    for (let step = 0; step < steps; step++) {
      const decayRate = at(o.decayRate, step, 0.8);
      const decayRateT = 1 - (Math.max(step - offset, 0) + 1) ** -decayRate;
      const eps = at(o.epsilon, step, 1e-30);
      const grad = theta.map((p, i) => gradOf(leaf, i, p));
      const gradSqr = grad.map((g) => g * g + eps);
      let u: number[];
      if (dims) {
        const [d1, d0] = dims;
        const vrShape = del(shape, d0);
        const vcShape = del(shape, d1);
        const m0 = meanOver(gradSqr, shape, d0);
        const m1 = meanOver(gradSqr, shape, d1);
        vRow = vRow.map((x, i) => decayRateT * x + (1 - decayRateT) * (m0[i] as number));
        vCol = vCol.map((x, i) => decayRateT * x + (1 - decayRateT) * (m1[i] as number));
        const reducedD1 = d1 > d0 ? d1 - 1 : d1;
        const rowColMean = meanOver(vRow, vrShape, reducedD1);
        const rowFactor = vRow.map((x, r) => (x / (rowColMean[ravel(del(unravel(r, vrShape), reducedD1), del(vrShape, reducedD1))] as number)) ** -0.5);
        const colFactor = vCol.map((x) => x ** -0.5);
        u = grad.map((g, i) => {
          const idx = unravel(i, shape);
          return g * (rowFactor[ravel(del(idx, d0), vrShape)] as number) * (colFactor[ravel(del(idx, d1), vcShape)] as number);
        });
      } else {
        v = v.map((x, i) => decayRateT * x + (1 - decayRateT) * (gradSqr[i] as number));
        u = grad.map((g, i) => g * (v[i] as number) ** -0.5);
      }
      if (o.clippingThreshold !== null) {
        const clipDenom = Math.max(1, rmsOf(u) / at(o.clippingThreshold, step, 1));
        u = u.map((x) => x / clipDenom);
      }
      if (o.learningRate !== undefined) {
        const lr = at(o.learningRate, step, 0);
        u = u.map((x) => x * lr);
      }
      if (o.multiplyByParameterScale ?? true) {
        const rms = rmsOf(theta);
        // biome-ignore lint/complexity/useMathMinMax: literal transcription of optax's safe_root_mean_squares (jnp.where(rms <= min_rms, min_rms, rms))
        const scale = rms <= 1e-3 ? 1e-3 : rms;
        u = u.map((x) => x * scale);
      }
      if (o.momentum !== undefined) {
        const decay = at(o.momentum, step, 0);
        ema = u.map((x, i) => (1 - decay) * x + decay * (ema[i] as number));
        u = ema;
      }
      if (o.weightDecay !== undefined) {
        const s = at(o.weightDecay, step, 0);
        u = u.map((x, i) => x + s * (theta[i] as number));
      }
      for (let i = 0; i < theta.length; i++) theta[i] = (theta[i] as number) + -1 * (u[i] as number);
    }
    return theta;
  });
}

const CONFIGS: [string, Problem, AdafactorOptions][] = [
  ["defaults (no learning rate, as optax's)", MAIN, {}],
  ['learning rate 0.05', MAIN, { learningRate: 0.05 }],
  ['factored [3, 4] (minDimSizeToFactor 3) beside an unfactored [4]', MAIN, { learningRate: 0.05, minDimSizeToFactor: 3 }],
  ['factored, with momentum and weight decay', MAIN, { learningRate: 0.05, momentum: 0.9, weightDecay: 0.01, minDimSizeToFactor: 3 }],
  ['no clipping, no parameter scale', MAIN, { learningRate: 0.05, clippingThreshold: null, multiplyByParameterScale: false }],
  ['clipping threshold 0.5, decay rate 0.5, decay offset 2', MAIN, { learningRate: 0.05, clippingThreshold: 0.5, decayRate: 0.5, decayOffset: 2 }],
  ['factored: false keeps full second moments', MAIN, { learningRate: 0.05, minDimSizeToFactor: 3, factored: false }],
  [
    'scheduled learning rate, decay rate, clipping, momentum and weight decay (factored)',
    MAIN,
    {
      learningRate: (t) => 0.05 / (1 + t),
      decayRate: (t) => 0.8 - 0.05 * t,
      clippingThreshold: (t) => 0.5 + 0.25 * t,
      momentum: (t) => 0.5 + 0.05 * t,
      weightDecay: (t) => 0.01 * t,
      minDimSizeToFactor: 3,
    },
  ],
  ['rank 3 [4, 2, 3] and square [3, 3], factored', RANK3, { learningRate: 0.05, minDimSizeToFactor: 2, momentum: 0.8 }],
];
const STEPS = 6;

describe('adafactor (optax.adafactor, Shazeer & Stern 2018)', () => {
  it('matches hand-worked numbers: unfactored θ₀ = [3, 4], g = [0.6, 0.8], η = 0.1; a zero tensor gets the 1e-3 scale floor', async () => {
    // β₂(1) = 0 → v = g² → u = g/|g| = [1, 1]; RMS(u) = 1 → no clipping; ·η = 0.1; ·RMS(θ) = √12.5
    // → θ₁ = θ₀ − 0.1·√12.5 = [2.6464466, 3.6464466]. A zero tensor z (a bias at init) has RMS 0, so its
    // scale is the floor 1e-3 → z₁ = −0.1·1e-3 = [−1e-4, −1e-4]
    const params = tf.tidy(() => ({ w: tf.variable(tf.tensor1d([3, 4])), z: tf.variable(tf.zeros([2])) }));
    const opt = new Optimizer(params, adafactor({ learningRate: 0.1 }));
    const g = { w: tf.tensor1d([0.6, 0.8]), z: tf.tensor1d([0.6, 0.8]) };
    opt.step(g);
    await expectClose(await params.w.data(), [2.6464466, 3.6464466]);
    await expectClose(await params.z.data(), [-1e-4, -1e-4], { rtol: 1e-5, atol: 1e-10 });
    opt.dispose();
    tf.dispose([params.w, params.z, g.w, g.z]);
  });

  it('matches hand-worked numbers: factored 2×2, θ₀ = 1, g = [[1, 2], [3, 4]], no learning rate, no parameter scale', async () => {
    // g² = [[1, 4], [9, 16]]; d₀ = 1, d₁ = 0; R = row means [2.5, 12.5], C = column means [5, 10];
    // mean(R) = 7.5 → row factors (R/7.5)^−½ = [√3, √0.6], column factors C^−½ = [1/√5, 1/√10];
    // u = [[0.7745967, 1.0954451], [1.0392305, 0.9797959]], RMS(u) = 0.98 < 1 → θ₁ = 1 − u
    const params = tf.tidy(() => ({ w: tf.variable(tf.ones([2, 2])) }));
    const opt = new Optimizer(params, adafactor({ minDimSizeToFactor: 2, multiplyByParameterScale: false }));
    const g = {
      w: tf.tensor2d([
        [1, 2],
        [3, 4],
      ]),
    };
    opt.step(g);
    await expectClose(await params.w.data(), [0.2254033, -0.0954451, -0.0392305, 0.0202041]);
    opt.dispose();
    tf.dispose([params.w, g.w]);
  });

  it("picks the factored axes as optax's _factored_dims: the two largest, ties in index order, by size not position", () => {
    expect(factoredDims([3, 4], true, 3)).toEqual([0, 1]);
    expect(factoredDims([4, 3], true, 3)).toEqual([1, 0]);
    expect(factoredDims([3, 3], true, 3)).toEqual([0, 1]);
    expect(factoredDims([4, 2, 3], true, 2)).toEqual([2, 0]);
    expect(factoredDims([3, 3, 512, 256], true, 128)).toEqual([3, 2]); // a conv kernel [h, w, in, out]
    expect(factoredDims([784, 100], true, 128)).toBeNull(); // second-largest dimension < 128
    expect(factoredDims([4], true, 0)).toBeNull();
    expect(factoredDims([300, 200], false, 128)).toBeNull();
    for (const [shape, min] of [
      [[5, 7, 5], 2],
      [[2, 9, 9, 1], 1],
      [[6, 1, 6], 6],
    ] as const)
      expect(factoredDims([...shape], true, min)).toEqual(refFactoredDims([...shape], true, min));
  });

  it('has its name, resolved options, hyperParams at a step, and state shaped as optax FactoredState', () => {
    const tx = adafactor({ learningRate: (t) => 0.1 / (1 + t), minDimSizeToFactor: 3, momentum: 0.9 });
    expect(tx.name).toBe('adafactor');
    expect(tx.options).toMatchObject({
      minDimSizeToFactor: 3,
      decayRate: 0.8,
      decayOffset: 0,
      multiplyByParameterScale: true,
      clippingThreshold: 1,
      momentum: 0.9,
    });
    expect(tx.options).toMatchObject({ weightDecay: 0, epsilon: 1e-30, factored: true });
    expect(tx.hyperParams?.(1)).toEqual({
      learningRate: 0.05,
      minDimSizeToFactor: 3,
      decayRate: 0.8,
      decayOffset: 0,
      clippingThreshold: 1,
      momentum: 0.9,
      weightDecay: 0,
      epsilon: 1e-30,
    });
    expect(adafactor({ clippingThreshold: null }).hyperParams?.(0)).not.toHaveProperty('clippingThreshold');
    expect(adafactor().options.learningRate).toBeNull();
    const params = { ...tensorsOf(MAIN), ...tensorsOf(RANK3) };
    const state = tx.init(params);
    expect(Object.keys(state)).toEqual(['count', 'vRow', 'vCol', 'v', 'ema']);
    const shapes = (slot: unknown) => Object.fromEntries(Object.entries(slot as Params).map(([k, t]) => [k, t.shape]));
    expect(shapes(state.vRow)).toEqual({ w: [3], b: [1], k: [2, 3], m: [3] });
    expect(shapes(state.vCol)).toEqual({ w: [4], b: [1], k: [4, 2], m: [3] });
    expect(shapes(state.v)).toEqual({ w: [1], b: [4], k: [1], m: [1] });
    const plain = adafactor().init(params);
    expect(Object.keys(plain)).toEqual(['count', 'vRow', 'vCol', 'v']);
    tf.dispose([params, state, plain] as unknown as tf.TensorContainer);
  });

  for (const [what, problem, options] of CONFIGS) {
    trajectoryTests(what, () => adafactor(options), optaxAdafactor(problem, options, STEPS), STEPS, { ...BENCH, problem });
  }

  const both = { ...BENCH, problem: { ...MAIN, ...RANK3 } };
  roundTripTest(() => adafactor({ learningRate: 0.05, minDimSizeToFactor: 2, momentum: 0.9, weightDecay: 0.01 }), both);
  leakTest([() => adafactor({ learningRate: 1e-3, minDimSizeToFactor: 3, momentum: 0.9, weightDecay: 1e-4 })], {
    ...both,
    grads: (params) => Object.fromEntries(Object.entries(params).map(([k, p]) => [k, tf.fill(p.shape, 0.1)])),
  });
  needsParamsTest(() => adafactor(), /adafactor needs the parameters/, { problem: MAIN });

  badHyperTests(
    badOptions(adafactor, [
      [{ learningRate: 0 }, 'learningRate', /learningRate must be in \(0, ∞\), got 0/],
      [{ learningRate: -0.1 }, 'learningRate', /got -0\.1/],
      [{ learningRate: Number.NaN }, 'learningRate', /finite number/],
      [{ minDimSizeToFactor: 1.5 }, 'minDimSizeToFactor', /minDimSizeToFactor must be an integer ≥ 0/],
      [{ minDimSizeToFactor: -1 }, 'minDimSizeToFactor', /integer ≥ 0/],
      [{ decayRate: -0.8 }, 'decayRate', /decayRate must be in \[0, ∞\)/],
      [{ decayOffset: 0.5 }, 'decayOffset', /decayOffset must be an integer ≥ 0/],
      [{ multiplyByParameterScale: 0 as unknown as boolean }, 'multiplyByParameterScale', /must be true or false/],
      [{ clippingThreshold: 0 }, 'clippingThreshold', /clippingThreshold must be in \(0, ∞\)/],
      [{ momentum: 1 }, 'momentum', /momentum must be in \[0, 1\), got 1/],
      [{ weightDecay: -1e-3 }, 'weightDecay', /weightDecay must be in \[0, ∞\)/],
      [{ epsilon: 0 }, 'epsilon', /epsilon must be in \(0, ∞\), got 0/],
      [{ factored: 'no' as unknown as boolean }, 'factored', /factored must be true or false/],
      [{ momentum: () => 1.5 }, 'momentum', /schedule value at step 0/],
    ]),
  );
});
