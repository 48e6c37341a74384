import { Optimizer } from '@gradkit/core';
import { expectClose } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it, vi } from 'vitest';
import { type ProdigyOptions, prodigy } from './index.js';
import { at, badHyperTests, gradOf, leakTest, MAIN, needsParamsTest, roundTripTest, standardBadInputs, trajectoryTests } from './test-kit.js';

const BENCH = { problem: MAIN, tolerance: { rtol: 1e-4, atol: 1e-6 }, reference: "optax's" };

/**
 * Independent reference: optax's `optax.contrib.prodigy` (google-deepmind/optax,
 * optax/contrib/_prodigy.py at commit 2edbcbe2390da13983b92cbef94ac0460ecde1c5) transcribed in float64
 * over the whole tree (⟨g, θ₀ − θ⟩ and ‖s‖₁ sum every leaf), with a finite `growthRate` as
 * konstmish/prodigy's prodigyopt/prodigy.py (`d_max`, `d = min(d_max, d·growth_rate)`, the first move
 * from d₀ unbounded; commit 009a7156779ae213c0bc13b4c2fe5a93fca00c15). Also returns D after each step.
 * The parameters are rounded to float32 after each step, as they are stored: with d₀ = 1e-6 they move
 * by about 1e-6 a step, so θ₀ − θ in the numerator carries their rounding (as in optax on float32).
 */
function optaxProdigy(o: ProdigyOptions, steps: number): { theta: number[]; ds: number[] } {
  // The whole tree as one vector, leaves concatenated (vdot and ‖s‖₁ sum over every leaf).
  const leaves = Object.entries(MAIN).flatMap(([, l]) => l.theta0.map((_, i) => ({ l, i })));
  const theta = leaves.map(({ l, i }) => l.theta0[i] as number);
  const params0 = [...theta];
  const [expAvg, expAvgSq, gradSum] = [theta.map(() => 0), theta.map(() => 0), theta.map(() => 0)];
  const d0 = o.d0 ?? 1e-6;
  let [d, dMax, numeratorWeighted] = [d0, d0, 0];
  const ds: number[] = [];
  for (let count = 0; count < steps; count++) {
    const [lr, b1, b2, eps, wd, coef] = [
      at(o.learningRate, count, 1),
      at(o.beta1, count, 0.9),
      at(o.beta2, count, 0.999),
      at(o.epsilon, count, 1e-8),
      at(o.weightDecay, count, 0),
      at(o.dCoef, count, 1),
    ];
    const b3 = at(o.beta3, count, Math.sqrt(b2)); // beta3 = beta2 ** 0.5
    const growth = at(o.growthRate, count, Number.POSITIVE_INFINITY);
    const countInc = count + 1;
    const bc = Math.sqrt(1 - b2 ** countInc) / (1 - b1 ** countInc);
    const dlr = d * lr * bc;
    const grads = leaves.map(({ l, i }, j) => gradOf(l, i, theta[j] as number));
    let numeratorAcum = 0; // optax.tree.vdot(updates, params0 - params)
    let denominator = 0; // optax.tree.sum(|grad_sum|), after the update of grad_sum
    for (const [j, g] of grads.entries()) {
      numeratorAcum += g * ((params0[j] as number) - (theta[j] as number));
      const dg = d * g;
      expAvg[j] = b1 * (expAvg[j] as number) + (1 - b1) * dg;
      expAvgSq[j] = b2 * (expAvgSq[j] as number) + (1 - b2) * dg * dg;
      gradSum[j] = b3 * (gradSum[j] as number) + ((o.safeguardWarmup ? d : dlr) * dg) / d0;
      denominator += Math.abs(gradSum[j] as number);
    }
    numeratorWeighted = b3 * numeratorWeighted + (d / d0) * dlr * numeratorAcum;
    const lrEstimate = (coef * numeratorWeighted) / denominator;
    // optax: estim_lr = max(estim_lr, lr_estimate). prodigyopt: if d == d0: d = max(d, d_hat); d_max = max(d_max, d_hat); d = min(d_max, d·growth).
    dMax = Math.max(dMax, lrEstimate);
    const dNext = Number.isFinite(growth) ? Math.min(dMax, (d === d0 ? Math.max(d, lrEstimate) : d) * growth) : Math.max(d, lrEstimate);
    for (const [j, p] of theta.entries()) {
      const u = (-dlr * (expAvg[j] as number)) / (Math.sqrt(expAvgSq[j] as number) + dNext * eps);
      theta[j] = Math.fround(p + (u - wd * dlr * p)); // the parameters are float32 (θ₀ − θ cancels: keep its rounding)
    }
    d = dNext;
    ds.push(d);
  }
  return { theta, ds };
}

const CONFIGS: [string, ProdigyOptions][] = [
  ['defaults', {}],
  ['d₀ = 1e-3, β₁ = 0.5, β₂ = 0.9, ε = 1e-6', { d0: 1e-3, beta1: 0.5, beta2: 0.9, epsilon: 1e-6 }],
  ['β₃ = 0.8, dCoef = 2, decoupled weight decay', { d0: 1e-3, beta3: 0.8, dCoef: 2, weightDecay: 0.3 }],
  ['growth rate 1.5', { d0: 1e-3, growthRate: 1.5 }],
  ['safeguard warmup with a warmup schedule', { d0: 1e-3, safeguardWarmup: true, learningRate: (t) => Math.min(1, (t + 1) / 4) }],
  [
    'scheduled learning rate, β₂ (and so β₃) and weight decay',
    { d0: 1e-3, learningRate: (t) => 1 / (1 + t), beta2: (t) => 0.99 - 0.01 * t, weightDecay: (t) => 0.05 * t },
  ],
];
const STEPS = 8;
/** Steps of the D tests: long enough for D to grow severalfold in every configuration. */
const D_STEPS = 20;

/** D after each step on the runner, read from `metrics()`. */
async function runnerDs(options: ProdigyOptions, steps: number): Promise<number[]> {
  const params = tf.tidy(() =>
    Object.fromEntries(Object.entries(MAIN).map(([k, l]) => [k, tf.variable(tf.tensor(l.theta0 as number[], l.shape as number[]))])),
  );
  const opt = new Optimizer(params, prodigy(options));
  const loss = (p: Record<string, tf.Tensor>) =>
    tf.addN(
      Object.entries(MAIN).map(([k, l]) =>
        tf.sum(
          tf.add(
            tf.mul(tf.tensor(l.a as number[], l.shape as number[]), tf.square(p[k] as tf.Tensor)),
            tf.mul(tf.tensor(l.b as number[], l.shape as number[]), p[k] as tf.Tensor),
          ),
        ),
      ),
    ) as tf.Scalar;
  const ds: number[] = [];
  for (let t = 0; t < steps; t++) {
    await opt.minimize(loss);
    ds.push((await opt.metrics())['prodigy.d'] as number);
  }
  opt.dispose();
  tf.dispose(params as unknown as tf.TensorContainer);
  return ds;
}

/** The float32 values of the state leaf at `path` (`'d'`, `'gradSum.w'` …) of an Optimizer, from `saveState()`. */
async function stateAt(opt: Optimizer, path: string): Promise<number[]> {
  const leaf = (await opt.saveState()).state[path];
  if (typeof leaf !== 'object') throw new Error(`no tensor at '${path}'`);
  const bytes = Buffer.from(leaf.data, 'base64');
  return [...new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4)];
}

describe('prodigy (optax.contrib.prodigy, Mishchenko & Defazio 2024)', () => {
  it("is named 'prodigy' with optax's defaults (β₃ = √β₂, no growth limit) and hyper-parameters at a step", () => {
    const tx = prodigy();
    expect(tx.name).toBe('prodigy');
    expect(tx.options).toEqual({
      learningRate: 1,
      beta1: 0.9,
      beta2: 0.999,
      beta3: Math.sqrt(0.999),
      epsilon: 1e-8,
      d0: 1e-6,
      dCoef: 1,
      weightDecay: 0,
      safeguardWarmup: false,
    });
    expect(tx.hyperParams?.(3)).toMatchObject({ learningRate: 1, beta3: Math.sqrt(0.999), d0: 1e-6, growthRate: Number.POSITIVE_INFINITY });
    expect(prodigy({ growthRate: 2 }).options.growthRate).toBe(2);
    expect(prodigy({ beta2: (t) => 0.81 + 0 * t }).hyperParams?.(0).beta3).toBeCloseTo(0.9, 12);
  });

  it('matches hand-worked steps: D stays d₀ while the estimate is below it, the step is D·η', async () => {
    // θ₀ = 0, g = 1, η = 1, β₁ = 0.5, β₂ = 0.75, β₃ = 0.5, d₀ = 0.01 (ε·D negligible).
    // Step 1: bc = √0.25/0.5 = 1, dlr = 0.01, m = 0.005, √v = √(0.25·1e-4) = 0.005 → θ₁ = −0.01;
    //   s = 0.01·0.01/0.01 = 0.01, r = 0 (θ = θ₀) → D = 0.01.
    // Step 2: bc = √0.4375/0.75, dlr = 0.01·bc, m = 0.0075, √v = √4.375e-5 → θ₂ = θ₁ − dlr·m/√v = −0.02;
    //   ⟨g, θ₀ − θ₁⟩ = 0.01 → r = dlr·0.01; s = 0.005 + dlr; D̂ = r/s ≈ 0.0064 < D → D = 0.01.
    const bc2 = Math.sqrt(0.4375) / 0.75;
    const params = { w: tf.variable(tf.scalar(0)) };
    const opt = new Optimizer(params, prodigy({ beta1: 0.5, beta2: 0.75, beta3: 0.5, d0: 0.01 }));
    const grads = { w: tf.scalar(1) };
    const seen: number[] = [];
    for (let i = 0; i < 2; i++) {
      opt.step(grads);
      seen.push((await params.w.data())[0] as number);
    }
    await expectClose(seen, [-0.01, -0.02], { rtol: 1e-5 });
    await expectClose(await stateAt(opt, 'd'), [0.01], { rtol: 1e-6 });
    await expectClose(await stateAt(opt, 'numerator'), [0.01 * bc2 * 0.01], { rtol: 1e-5 });
    await expectClose(await stateAt(opt, 'gradSum.w'), [0.005 + 0.01 * bc2], { rtol: 1e-5 });
    opt.dispose();
    tf.dispose([params.w, grads.w]);
  });

  for (const [what, options] of CONFIGS) {
    trajectoryTests(what, () => prodigy(options), optaxProdigy(options, STEPS).theta, STEPS, BENCH);
    it(`${what}: D follows the reference and grows from d₀ (metrics()['prodigy.d'])`, async () => {
      const long = optaxProdigy(options, D_STEPS).ds;
      expect(long[D_STEPS - 1]).toBeGreaterThan((options.d0 ?? 1e-6) * 1.2);
      // With d₀ = 1e-6 the first steps move θ by a few float32 ulps, so θ₀ − θ (and D) is only good to ~1%.
      await expectClose(await runnerDs(options, D_STEPS), long, { rtol: options.d0 === undefined ? 1e-2 : 1e-4 });
    });
  }

  it('a growth rate bounds how fast D grows (the reference: without it D jumps further)', () => {
    const free = optaxProdigy({ d0: 1e-3 }, STEPS).ds;
    const bounded = optaxProdigy({ d0: 1e-3, growthRate: 1.5 }, STEPS).ds;
    expect(bounded).not.toEqual(free);
    for (let i = 2; i < STEPS; i++) expect(bounded[i] as number).toBeLessThanOrEqual((bounded[i - 1] as number) * 1.5 * (1 + 1e-12));
  });

  it('zero gradients keep D at d₀ instead of dividing 0 by 0 (optax would train on NaN)', async () => {
    const params = { w: tf.variable(tf.tensor1d([1, -2])) };
    const opt = new Optimizer(params, prodigy());
    const zero = { w: tf.zeros([2]) };
    for (let i = 0; i < 3; i++) opt.step(zero);
    await expectClose(await stateAt(opt, 'd'), [1e-6], { rtol: 1e-6 });
    await expectClose(params.w, [1, -2], { rtol: 0, atol: 0 });
    opt.dispose();
    tf.dispose([params.w, zero.w]);
  });

  it('never reads a tensor back on the host during update (D stays on the device)', () => {
    const params = { w: tf.tensor1d([1, -2]), b: tf.scalar(0.5) };
    const grads = { w: tf.tensor1d([0.3, -0.1]), b: tf.scalar(0.2) };
    const tx = prodigy({ growthRate: 2, weightDecay: 0.1 });
    const state = tx.init(params);
    const reads = [vi.spyOn(tf.Tensor.prototype, 'dataSync'), vi.spyOn(tf.Tensor.prototype, 'arraySync'), vi.spyOn(tf.Tensor.prototype, 'data')];
    try {
      tf.tidy(() => void tx.update(grads, tx.update(grads, state, params).state, params));
    } finally {
      for (const r of reads) {
        expect(r).not.toHaveBeenCalled();
        r.mockRestore();
      }
    }
    tf.dispose([params, grads, state] as unknown as tf.TensorContainer);
  });

  it('state holds params0 as a copy: stepping the parameters leaves it at θ₀', async () => {
    const params = { w: tf.variable(tf.tensor1d([1, -2])) };
    const opt = new Optimizer(params, prodigy({ d0: 0.1 }));
    const grads = { w: tf.tensor1d([0.5, -0.5]) };
    for (let i = 0; i < 2; i++) opt.step(grads);
    await expectClose(await stateAt(opt, 'params0.w'), [1, -2], { rtol: 0, atol: 0 });
    expect((await params.w.data())[0]).not.toBe(1);
    opt.dispose();
    tf.dispose([params.w, grads.w]);
  });

  roundTripTest(() => prodigy({ d0: 1e-3, weightDecay: 0.1 }), BENCH);
  describe('growth rate', () => roundTripTest(() => prodigy({ d0: 1e-3, growthRate: 1.5 }), BENCH));
  leakTest([() => prodigy({ weightDecay: 0.1 }), () => prodigy({ growthRate: 1.5, safeguardWarmup: true })], BENCH);
  needsParamsTest(() => prodigy(), /prodigy needs the parameters/, BENCH);

  badHyperTests([
    ...standardBadInputs((o) => prodigy(o as ProdigyOptions), ['learningRate', 'beta1', 'beta2', 'epsilon', 'weightDecay']),
    ['beta3 1', () => prodigy({ beta3: 1 }), 'beta3', /beta3 must be in \[0, 1\)/],
    ['d0 0', () => prodigy({ d0: 0 }), 'd0', /d0 must be in \(0, ∞\)/],
    ['d0 a schedule', () => prodigy({ d0: (() => 1e-6) as never }), 'd0', /d0 must be a finite number/],
    ['dCoef −1', () => prodigy({ dCoef: -1 }), 'dCoef', /dCoef must be in \(0, ∞\)/],
    ['growthRate 0.5', () => prodigy({ growthRate: 0.5 }), 'growthRate', /growthRate must be in \[1, ∞\)/],
    ['growthRate NaN', () => prodigy({ growthRate: Number.NaN }), 'growthRate', /finite number/],
    ['safeguardWarmup "no"', () => prodigy({ safeguardWarmup: 'no' as never }), 'safeguardWarmup', /safeguardWarmup must be true or false/],
  ]);
});
