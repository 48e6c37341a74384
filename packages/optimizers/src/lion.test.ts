import { applyUpdates, type GradientTransformation, HyperParameterError, Optimizer, type Schedule, type StateTree, valueAndGrad } from '@gradkit/core';
import { expectClose, expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { type LionOptions, lion } from './lion.js';

// The problem: f(θ) = Σ A⊙θ² + B⊙θ over a rank-2 tensor w [3, 4] and a rank-1 tensor b [4], so
// ∇ = 2A⊙θ + B depends on the trajectory.
const SHAPES = { w: [3, 4], b: [4] };
const THETA0 = { w: [0.5, -1.2, 0.3, 2, -0.7, 1.1, -0.05, 0.9, -1.6, 0.25, 0.8, -0.4], b: [0.1, -0.3, 1.5, -2.2] };
const A = { w: [0.5, 1.5, 0.25, 2, 1, 0.75, 1.25, 0.3, 0.6, 1.8, 0.9, 0.4], b: [1, 0.2, 0.7, 1.4] };
const B = { w: [0.1, -0.3, 0.2, 0, -1, 0.5, 0.05, -0.2, 0.3, -0.6, 0.15, 0.4], b: [-0.5, 0.25, 0, 0.8] };
const KEYS = ['w', 'b'] as const;
type Key = (typeof KEYS)[number];
type P = { w: tf.Tensor; b: tf.Tensor };
type Flat = Record<Key, number[]>;

const leafLoss = (x: tf.Tensor, k: Key) => tf.sum(tf.add(tf.mul(tf.tensor(A[k], SHAPES[k]), tf.square(x)), tf.mul(tf.tensor(B[k], SHAPES[k]), x)));
const lossOf = (p: P) => tf.add(leafLoss(p.w, 'w'), leafLoss(p.b, 'b'));
const gradOf = (k: Key, i: number, p: number) => 2 * (A[k][i] as number) * p + (B[k][i] as number);
const tensors = (): P => ({ w: tf.tensor(THETA0.w, SHAPES.w), b: tf.tensor(THETA0.b, SHAPES.b) });
const variable = (t: tf.Tensor) => {
  const v = tf.variable(t);
  t.dispose();
  return v;
};
const makeParams = () => ({ w: variable(tf.tensor(THETA0.w, SHAPES.w)), b: variable(tf.tensor(THETA0.b, SHAPES.b)) });
const read = async (p: P): Promise<Flat> => ({ w: [...(await p.w.data())], b: [...(await p.b.data())] });
const at = (h: number | Schedule | undefined, t: number, d: number) => (h === undefined ? d : typeof h === 'function' ? h(t) : h);

/**
 * Independent reference: optax's `lion` (optax/_src/alias.py: chain(scale_by_lion(b1, b2),
 * add_decayed_weights(weight_decay), scale_by_learning_rate(lr))), with `scale_by_lion`
 * (optax/_src/transform.py, mode 'hard'): u = sign((1 − b1)·g + b1·mu); mu = (1 − b2)·g + b2·mu;
 * then u = u + wd·param; u = −lr·u (Chen et al. 2023, Algorithm 2). Transcribed per element in
 * float64; schedules are evaluated at the step index t (0-based), as optax's schedules at `count`.
 * Also returns the smallest |interpolation| seen, so the test can check that float32 rounding
 * cannot flip a sign.
 */
function optaxLion(o: LionOptions, steps: number): { theta: Flat; minAbs: number } {
  const out = {} as Flat;
  let minAbs = Number.POSITIVE_INFINITY;
  for (const k of KEYS) {
    const theta = [...THETA0[k]];
    const mu = theta.map(() => 0);
    for (let t = 0; t < steps; t++) {
      const [lr, b1, b2, wd] = [at(o.learningRate, t, 1e-4), at(o.beta1, t, 0.9), at(o.beta2, t, 0.99), at(o.weightDecay, t, 0)];
      for (let i = 0; i < theta.length; i++) {
        const param = theta[i] as number;
        const g = gradOf(k, i, param);
        const c = (1 - b1) * g + b1 * (mu[i] as number);
        minAbs = Math.min(minAbs, Math.abs(c));
        let u = Math.sign(c);
        mu[i] = (1 - b2) * g + b2 * (mu[i] as number);
        u = u + wd * param;
        theta[i] = param + -lr * u;
      }
    }
    out[k] = theta;
  }
  return { theta: out, minAbs };
}

async function runFunctional<S extends StateTree>(tx: GradientTransformation<S>, steps: number): Promise<P> {
  let params = tensors();
  let state = tx.init(params);
  for (let t = 0; t < steps; t++) {
    const next = tf.tidy(() => {
      const { grads } = valueAndGrad(lossOf)(params);
      const r = tx.update(grads, state, params);
      return { params: applyUpdates(params, r.updates), state: r.state } as unknown as tf.TensorContainerObject;
    }) as unknown as { params: P; state: S };
    tf.dispose([params.w, params.b, state as unknown as tf.TensorContainer]);
    params = next.params;
    state = next.state;
  }
  tf.dispose(state as unknown as tf.TensorContainer);
  return params;
}

async function expectTrajectory(p: P, expected: Flat) {
  await expectClose(await p.w.data(), expected.w, { what: 'w' });
  await expectClose(await p.b.data(), expected.b, { what: 'b' });
}

const CONFIGS: [string, LionOptions][] = [
  ['defaults', {}],
  ['learning rate 0.01', { learningRate: 0.01 }],
  ['β₁ = 0.5, β₂ = 0.9', { learningRate: 0.01, beta1: 0.5, beta2: 0.9 }],
  ['decoupled weight decay', { learningRate: 0.01, weightDecay: 0.5 }],
  ['scheduled learning rate, β₁ and weight decay', { learningRate: (t) => 0.02 / (1 + t), beta1: (t) => 0.9 - 0.05 * t, weightDecay: (t) => 0.1 * t }],
];
const STEPS = 6;

describe('lion (optax.lion, Chen et al. 2023)', () => {
  it('matches hand-worked numbers: θ₀ = 1, g = 0.5, η = 0.1, λ = 0.5', async () => {
    // c₁ = 0.1·0.5 > 0 → θ₁ = 1 − 0.1·(1 + 0.5·1) = 0.85, m₁ = 0.005;
    // c₂ = 0.05 + 0.9·0.005 > 0 → θ₂ = 0.85 − 0.1·(1 + 0.5·0.85) = 0.7075; a negative gradient moves up by η
    const params = { w: variable(tf.scalar(1)), v: variable(tf.scalar(2)) };
    const opt = new Optimizer(params, lion({ learningRate: 0.1, weightDecay: 0.5 }));
    const g = { w: tf.scalar(0.5), v: tf.scalar(-3) };
    const seen: number[] = [];
    for (let i = 0; i < 2; i++) {
      opt.step(g);
      seen.push((await params.w.data())[0] as number, (await params.v.data())[0] as number);
    }
    // v: 2 − 0.1·(−1 + 0.5·2) = 2; then 2 − 0.1·(−1 + 1) = 2
    await expectClose(seen, [0.85, 2, 0.7075, 2]);
    opt.dispose();
    tf.dispose([params.w, params.v, g.w, g.v]);
  });

  it('has its name, resolved options and hyperParams at a step', () => {
    const tx = lion({ learningRate: (t) => 1e-3 / (1 + t) });
    expect(tx.name).toBe('lion');
    expect(tx.options).toMatchObject({ beta1: 0.9, beta2: 0.99, weightDecay: 0 });
    expect(tx.hyperParams?.(1)).toEqual({ learningRate: 5e-4, beta1: 0.9, beta2: 0.99, weightDecay: 0 });
  });

  for (const [what, options] of CONFIGS) {
    const { theta: expected, minAbs } = optaxLion(options, STEPS);

    it(`${what}: the reference's interpolation stays clear of 0 (float32 cannot flip a sign)`, () => {
      // |g| < 10 here, so float32 rounding moves the interpolation by well under 1e-5.
      expect(minAbs).toBeGreaterThan(1e-4);
    });

    it(`${what}: the functional path follows optax's trajectory`, async () => {
      const params = await runFunctional(lion(options), STEPS);
      await expectTrajectory(params, expected);
      tf.dispose([params.w, params.b]);
    });

    for (const fused of [true, false]) {
      it(`${what}: the Optimizer runner (${fused ? 'default' : 'fused: false'}) follows optax's trajectory`, async () => {
        const params = makeParams();
        const opt = new Optimizer(params, lion(options), { fused });
        for (let t = 0; t < STEPS; t++) await opt.minimize(lossOf);
        await expectTrajectory(params, expected);
        opt.dispose();
        tf.dispose([params.w, params.b]);
      });
    }
  }

  it('saveState → JSON → loadState continues exactly (momentum included)', async () => {
    const options: LionOptions = { learningRate: 0.01, weightDecay: 0.1 };
    const straight = makeParams();
    const a = new Optimizer(straight, lion(options));
    for (let t = 0; t < 6; t++) await a.minimize(lossOf);
    const half = makeParams();
    const b = new Optimizer(half, lion(options));
    for (let t = 0; t < 3; t++) await b.minimize(lossOf);
    const saved = JSON.parse(JSON.stringify(await b.saveState()));
    const c = new Optimizer(half, lion(options));
    c.loadState(saved);
    for (let t = 0; t < 3; t++) await c.minimize(lossOf);
    expect(await read(half)).toEqual(await read(straight));
    for (const o of [a, b, c]) o.dispose();
    tf.dispose([straight.w, straight.b, half.w, half.b]);
  });

  it('leaks no tensors over 200 steps', async () => {
    const params = makeParams();
    const grads = { w: tf.fill(SHAPES.w, 0.1), b: tf.fill(SHAPES.b, -0.2) };
    await expectNoLeaks(() => {
      const opt = new Optimizer(params, lion({ weightDecay: 0.1 }));
      for (let t = 0; t < 200; t++) opt.step(grads);
      opt.dispose();
    });
    tf.dispose([params.w, params.b, grads.w, grads.b]);
  });

  describe('bad hyper-parameters get a HyperParameterError naming the field', () => {
    const bad: [LionOptions, string, RegExp][] = [
      [{ learningRate: 0 }, 'learningRate', /learningRate must be in \(0, ∞\), got 0/],
      [{ learningRate: -1e-4 }, 'learningRate', /got -0\.0001/],
      [{ learningRate: Number.NaN }, 'learningRate', /finite number/],
      [{ beta1: 1 }, 'beta1', /beta1 must be in \[0, 1\), got 1/],
      [{ beta1: -0.1 }, 'beta1', /beta1/],
      [{ beta2: 1 }, 'beta2', /beta2 must be in \[0, 1\)/],
      [{ beta2: Number.NaN }, 'beta2', /finite number/],
      [{ weightDecay: -1 }, 'weightDecay', /weightDecay must be in \[0, ∞\)/],
      [{ beta2: () => 1.5 }, 'beta2', /schedule value at step 0/],
    ];
    for (const [options, field, message] of bad) {
      it(`${JSON.stringify(options, (_, v) => (typeof v === 'function' ? 'schedule' : Number.isNaN(v) ? 'NaN' : v))} → ${field}`, () => {
        const make = () => lion(options);
        expect(make).toThrow(HyperParameterError);
        expect(make).toThrow(message);
        try {
          make();
        } catch (e) {
          expect((e as HyperParameterError).field).toBe(field);
        }
      });
    }
    it('weight decay without the parameters', () => {
      const tx = lion({ weightDecay: 0.1 });
      const params = tensors();
      const state = tx.init(params);
      expect(() => tf.tidy(() => void tx.update(params, state))).toThrow(/lion with weightDecay needs the parameters/);
      tf.dispose([params.w, params.b, state as unknown as tf.TensorContainer]);
    });
  });
});
