import { applyUpdates, type GradientTransformation, HyperParameterError, Optimizer, type Schedule, type StateTree, valueAndGrad } from '@gradkit/core';
import { expectClose, expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { type LambOptions, lamb } from './lamb.js';

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
 * Independent reference: optax's `lamb` (optax/_src/alias.py: chain(scale_by_adam(b1, b2, eps,
 * eps_root=0), add_decayed_weights(weight_decay), scale_by_trust_ratio(), scale_by_learning_rate(lr))),
 * transcribed per tensor in float64 from optax/_src/transform.py: mu = (1 − b1)·g + b1·mu;
 * nu = (1 − b2)·g² + b2·nu; count += 1; u = (mu/(1 − b1^count)) / (sqrt(nu/(1 − b2^count) + 0) + eps);
 * u += wd·param; param_norm = ‖param‖, update_norm = ‖u‖ (whole tensor); ratio = 1·param_norm /
 * (update_norm + 0), or 1 when either norm is 0; u = −lr·ratio·u. Schedules are evaluated at the
 * step index (count before the increment), as optax's schedules at `count`.
 */
function optaxLamb(o: LambOptions, steps: number): Flat {
  const out = {} as Flat;
  for (const k of KEYS) {
    const theta = [...THETA0[k]];
    const mu = theta.map(() => 0);
    const nu = theta.map(() => 0);
    for (let t = 0; t < steps; t++) {
      const [lr, b1, b2, eps, wd] = [at(o.learningRate, t, 1e-3), at(o.beta1, t, 0.9), at(o.beta2, t, 0.999), at(o.epsilon, t, 1e-6), at(o.weightDecay, t, 0)];
      const count = t + 1;
      const u = theta.map((param, i) => {
        const g = gradOf(k, i, param);
        mu[i] = (1 - b1) * g + b1 * (mu[i] as number);
        nu[i] = (1 - b2) * g * g + b2 * (nu[i] as number);
        const muHat = (mu[i] as number) / (1 - b1 ** count);
        const nuHat = (nu[i] as number) / (1 - b2 ** count);
        return muHat / (Math.sqrt(nuHat + 0) + eps) + wd * param;
      });
      const paramNorm = Math.sqrt(theta.reduce((s, x) => s + x * x, 0));
      const updateNorm = Math.sqrt(u.reduce((s, x) => s + x * x, 0));
      const ratio = paramNorm === 0 || updateNorm === 0 ? 1 : (1 * paramNorm) / (updateNorm + 0);
      for (let i = 0; i < theta.length; i++) theta[i] = (theta[i] as number) + -lr * ratio * (u[i] as number);
    }
    out[k] = theta;
  }
  return out;
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

const CONFIGS: [string, LambOptions][] = [
  ['defaults', {}],
  ['learning rate 0.05', { learningRate: 0.05 }],
  ['weight decay', { learningRate: 0.05, weightDecay: 0.1 }],
  ['β₁ = 0.5, β₂ = 0.9, large ε', { learningRate: 0.05, beta1: 0.5, beta2: 0.9, epsilon: 1e-2 }],
  ['scheduled learning rate, β₁ and weight decay', { learningRate: (t) => 0.05 / (1 + t), beta1: (t) => 0.8 + 0.01 * t, weightDecay: (t) => 0.01 * t }],
];
const STEPS = 6;

describe('lamb (optax.lamb, You et al. 2020)', () => {
  it('matches hand-worked numbers: θ₀ = [3, 4], g = [0.5, −1], η = 0.1; a zero tensor gets trust ratio 1', async () => {
    // Step 1: the bias-corrected Adam direction is g/(|g| + ε) ≈ [1, −1], ‖u‖ ≈ √2, ‖θ‖ = 5, r ≈ 3.5355392
    // → θ₁ = θ₀ − 0.1·r·u ≈ [2.6464468, 4.3535536]; step 2 (r ≈ 3.6025815) → [2.2861894, 4.7138114].
    // z = 0: ‖θ‖ = 0 so r = 1 → z₁ = −0.1·0.5/(0.5 + 1e-6) ≈ −0.0999998
    const params = { w: variable(tf.tensor1d([3, 4])), z: variable(tf.scalar(0)) };
    const opt = new Optimizer(params, lamb({ learningRate: 0.1 }));
    const g = { w: tf.tensor1d([0.5, -1]), z: tf.scalar(0.5) };
    opt.step(g);
    await expectClose(await params.w.data(), [2.6464468, 4.3535536]);
    await expectClose(await params.z.data(), [-0.0999998]);
    opt.step(g);
    await expectClose(await params.w.data(), [2.2861894, 4.7138114]);
    opt.dispose();
    tf.dispose([params.w, params.z, g.w, g.z]);
  });

  it('has its name, resolved options and hyperParams at a step', () => {
    const tx = lamb({ weightDecay: (t) => 0.01 * t });
    expect(tx.name).toBe('lamb');
    expect(tx.options).toMatchObject({ learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-6 });
    expect(tx.hyperParams?.(3)).toEqual({ learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-6, weightDecay: 0.03 });
  });

  for (const [what, options] of CONFIGS) {
    const expected = optaxLamb(options, STEPS);

    it(`${what}: the functional path follows optax's trajectory`, async () => {
      const params = await runFunctional(lamb(options), STEPS);
      await expectTrajectory(params, expected);
      tf.dispose([params.w, params.b]);
    });

    for (const fused of [true, false]) {
      it(`${what}: the Optimizer runner (${fused ? 'default' : 'fused: false'}) follows optax's trajectory`, async () => {
        const params = makeParams();
        const opt = new Optimizer(params, lamb(options), { fused });
        for (let t = 0; t < STEPS; t++) await opt.minimize(lossOf);
        await expectTrajectory(params, expected);
        opt.dispose();
        tf.dispose([params.w, params.b]);
      });
    }
  }

  it('saveState → JSON → loadState continues exactly (moments and the bias-correction count included)', async () => {
    const options: LambOptions = { learningRate: 0.05, weightDecay: 0.01 };
    const straight = makeParams();
    const a = new Optimizer(straight, lamb(options));
    for (let t = 0; t < 6; t++) await a.minimize(lossOf);
    const half = makeParams();
    const b = new Optimizer(half, lamb(options));
    for (let t = 0; t < 3; t++) await b.minimize(lossOf);
    const saved = JSON.parse(JSON.stringify(await b.saveState()));
    const c = new Optimizer(half, lamb(options));
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
      const opt = new Optimizer(params, lamb({ weightDecay: 0.01 }));
      for (let t = 0; t < 200; t++) opt.step(grads);
      opt.dispose();
    });
    tf.dispose([params.w, params.b, grads.w, grads.b]);
  });

  describe('bad hyper-parameters get a HyperParameterError naming the field', () => {
    const bad: [LambOptions, string, RegExp][] = [
      [{ learningRate: 0 }, 'learningRate', /learningRate must be in \(0, ∞\), got 0/],
      [{ learningRate: -1e-3 }, 'learningRate', /got -0\.001/],
      [{ learningRate: Number.NaN }, 'learningRate', /finite number/],
      [{ beta1: 1 }, 'beta1', /beta1 must be in \[0, 1\), got 1/],
      [{ beta2: -0.5 }, 'beta2', /beta2 must be in \[0, 1\)/],
      [{ epsilon: 0 }, 'epsilon', /epsilon must be in \(0, ∞\), got 0/],
      [{ weightDecay: -0.01 }, 'weightDecay', /weightDecay must be in \[0, ∞\)/],
      [{ beta1: () => Number.NaN }, 'beta1', /schedule value at step 0/],
    ];
    for (const [options, field, message] of bad) {
      it(`${JSON.stringify(options, (_, v) => (typeof v === 'function' ? 'schedule' : Number.isNaN(v) ? 'NaN' : v))} → ${field}`, () => {
        const make = () => lamb(options);
        expect(make).toThrow(HyperParameterError);
        expect(make).toThrow(message);
        try {
          make();
        } catch (e) {
          expect((e as HyperParameterError).field).toBe(field);
        }
      });
    }
    it('update without the parameters (the trust ratio needs them)', () => {
      const tx = lamb();
      const params = tensors();
      const state = tx.init(params);
      expect(() => tf.tidy(() => void tx.update(params, state))).toThrow(/lamb needs the parameters for its trust ratio/);
      tf.dispose([params.w, params.b, state as unknown as tf.TensorContainer]);
    });
  });
});
