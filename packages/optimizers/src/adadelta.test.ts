import { applyUpdates, type GradientTransformation, HyperParameterError, Optimizer, type Schedule, type StateTree, valueAndGrad } from '@gradkit/core';
import { expectClose, expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { type AdadeltaOptions, adadelta } from './adadelta.js';

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
 * Independent reference: torch/optim/adadelta.py, `_single_tensor_adadelta`, transcribed literally
 * per element in float64: grad += weight_decay·param; square_avg = square_avg·rho + (1 − rho)·grad²;
 * std = sqrt(square_avg + eps); delta = sqrt(acc_delta + eps) / std · grad;
 * acc_delta = acc_delta·rho + (1 − rho)·delta²; param −= lr·delta. Schedules are evaluated at the
 * step index t (0-based), as gradkit does.
 */
function torchAdadelta(o: AdadeltaOptions, steps: number): Flat {
  const out = {} as Flat;
  for (const k of KEYS) {
    const theta = [...THETA0[k]];
    const squareAvg = theta.map(() => 0);
    const accDelta = theta.map(() => 0);
    for (let t = 0; t < steps; t++) {
      const [lr, rho, eps, wd] = [at(o.learningRate, t, 1), at(o.rho, t, 0.9), at(o.epsilon, t, 1e-6), at(o.weightDecay, t, 0)];
      for (let i = 0; i < theta.length; i++) {
        const param = theta[i] as number;
        let grad = gradOf(k, i, param);
        if (wd !== 0) grad = grad + wd * param;
        squareAvg[i] = (squareAvg[i] as number) * rho + (1 - rho) * grad * grad;
        const std = Math.sqrt((squareAvg[i] as number) + eps);
        const delta = (Math.sqrt((accDelta[i] as number) + eps) / std) * grad;
        accDelta[i] = (accDelta[i] as number) * rho + (1 - rho) * delta * delta;
        theta[i] = param - lr * delta;
      }
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

const CONFIGS: [string, AdadeltaOptions][] = [
  ['defaults', {}],
  ['weight decay', { weightDecay: 0.1, epsilon: 1e-3 }],
  ['ρ = 0.5 and a large ε (large steps)', { rho: 0.5, epsilon: 1e-2 }],
  ['learning rate 0.5', { learningRate: 0.5, epsilon: 1e-3 }],
  ['ρ = 1 (PyTorch allows it: plain SGD with step η)', { rho: 1, learningRate: 0.1 }],
  ['scheduled learning rate, ρ and ε', { learningRate: (t) => 1 / (1 + t), rho: (t) => 0.5 + 0.05 * t, epsilon: (t) => 1e-3 * (t + 1) }],
];
const STEPS = 6;

describe('adadelta (torch.optim.Adadelta)', () => {
  it('matches hand-worked numbers: θ₀ = 1, g = 0.5, defaults', async () => {
    // v₁ = 0.025, Δ₁ = √1e-6/√0.025001·0.5 = 0.00316221 → θ₁ = 0.99683779; u₁ = 0.1·Δ₁² = 1e-6;
    // v₂ = 0.0475, Δ₂ = √2e-6/√0.047501·0.5 = 0.00324436 → θ₂ = 0.99359342
    const params = { w: variable(tf.scalar(1)) };
    const opt = new Optimizer(params, adadelta());
    const g = { w: tf.scalar(0.5) };
    const seen: number[] = [];
    for (let i = 0; i < 2; i++) {
      opt.step(g);
      seen.push((await params.w.data())[0] as number);
    }
    await expectClose(seen, [0.99683779, 0.99359342], { rtol: 1e-6, atol: 1e-7 });
    opt.dispose();
    tf.dispose([params.w, g.w]);
  });

  it('has its name, resolved options and hyperParams at a step', () => {
    const tx = adadelta({ rho: (t) => 0.5 + 0.1 * t });
    expect(tx.name).toBe('adadelta');
    expect(tx.options).toMatchObject({ learningRate: 1, epsilon: 1e-6, weightDecay: 0 });
    expect(tx.hyperParams?.(2)).toEqual({ learningRate: 1, rho: 0.7, epsilon: 1e-6, weightDecay: 0 });
  });

  for (const [what, options] of CONFIGS) {
    const expected = torchAdadelta(options, STEPS);

    it(`${what}: the functional path follows PyTorch's trajectory`, async () => {
      const params = await runFunctional(adadelta(options), STEPS);
      await expectTrajectory(params, expected);
      tf.dispose([params.w, params.b]);
    });

    for (const fused of [true, false]) {
      it(`${what}: the Optimizer runner (${fused ? 'default' : 'fused: false'}) follows PyTorch's trajectory`, async () => {
        const params = makeParams();
        const opt = new Optimizer(params, adadelta(options), { fused });
        for (let t = 0; t < STEPS; t++) await opt.minimize(lossOf);
        await expectTrajectory(params, expected);
        opt.dispose();
        tf.dispose([params.w, params.b]);
      });
    }
  }

  it('saveState → JSON → loadState continues exactly (both averages included)', async () => {
    const options: AdadeltaOptions = { rho: 0.8, epsilon: 1e-3, weightDecay: 0.01 };
    const straight = makeParams();
    const a = new Optimizer(straight, adadelta(options));
    for (let t = 0; t < 6; t++) await a.minimize(lossOf);
    const half = makeParams();
    const b = new Optimizer(half, adadelta(options));
    for (let t = 0; t < 3; t++) await b.minimize(lossOf);
    const saved = JSON.parse(JSON.stringify(await b.saveState()));
    const c = new Optimizer(half, adadelta(options));
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
      const opt = new Optimizer(params, adadelta({ weightDecay: 1e-4 }));
      for (let t = 0; t < 200; t++) opt.step(grads);
      opt.dispose();
    });
    tf.dispose([params.w, params.b, grads.w, grads.b]);
  });

  describe('bad hyper-parameters get a HyperParameterError naming the field', () => {
    const bad: [AdadeltaOptions, string, RegExp][] = [
      [{ learningRate: 0 }, 'learningRate', /learningRate must be in \(0, ∞\), got 0/],
      [{ learningRate: -1 }, 'learningRate', /got -1/],
      [{ learningRate: Number.NaN }, 'learningRate', /finite number/],
      [{ rho: 1.01 }, 'rho', /rho must be in \[0, 1\], got 1\.01/],
      [{ rho: -0.1 }, 'rho', /rho/],
      [{ epsilon: 0 }, 'epsilon', /epsilon must be in \(0, ∞\)/],
      [{ epsilon: -1e-6 }, 'epsilon', /epsilon/],
      [{ weightDecay: -1 }, 'weightDecay', /weightDecay/],
      [{ rho: () => 2 }, 'rho', /schedule value at step 0/],
    ];
    for (const [options, field, message] of bad) {
      it(`${JSON.stringify(options, (_, v) => (typeof v === 'function' ? 'schedule' : Number.isNaN(v) ? 'NaN' : v))} → ${field}`, () => {
        const make = () => adadelta(options);
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
      const tx = adadelta({ weightDecay: 0.1 });
      const params = tensors();
      const state = tx.init(params);
      expect(() => tf.tidy(() => void tx.update(params, state))).toThrow(/adadelta with weightDecay needs the parameters/);
      tf.dispose([params.w, params.b, state as unknown as tf.TensorContainer]);
    });
  });
});
