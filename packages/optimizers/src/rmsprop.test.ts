import { applyUpdates, HyperParameterError, Optimizer, type Schedule, valueAndGrad } from '@gradkit/core';
import { expectClose, expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { type RmspropOptions, type RmspropState, rmsprop } from './rmsprop.js';

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
 * Independent reference: torch/optim/rmsprop.py, `_single_tensor_rmsprop`, transcribed literally per
 * element in float64 (square_avg.mul_(alpha).addcmul_(grad, grad, 1 − alpha); centered:
 * grad_avg.lerp_(grad, 1 − alpha), avg = sqrt(square_avg − grad_avg²); avg += eps; momentum:
 * buf = buf·momentum + grad/avg, param −= lr·buf; else param −= lr·grad/avg). Hyper-parameters
 * given as schedules are evaluated at the step index t (0-based), as gradkit does.
 */
function torchRmsprop(o: RmspropOptions, steps: number): Flat {
  const out = {} as Flat;
  for (const k of KEYS) {
    const theta = [...THETA0[k]];
    const squareAvg = theta.map(() => 0);
    const gradAvg = theta.map(() => 0);
    const buf = theta.map(() => 0);
    for (let t = 0; t < steps; t++) {
      const [lr, alpha, eps, momentum, wd] = [
        at(o.learningRate, t, 1e-2),
        at(o.alpha, t, 0.99),
        at(o.epsilon, t, 1e-8),
        at(o.momentum, t, 0),
        at(o.weightDecay, t, 0),
      ];
      for (let i = 0; i < theta.length; i++) {
        const param = theta[i] as number;
        let grad = gradOf(k, i, param);
        if (wd !== 0) grad = grad + wd * param;
        squareAvg[i] = (squareAvg[i] as number) * alpha + (1 - alpha) * grad * grad;
        let avg: number;
        if (o.centered) {
          gradAvg[i] = (gradAvg[i] as number) + (1 - alpha) * (grad - (gradAvg[i] as number));
          avg = Math.sqrt((squareAvg[i] as number) - (gradAvg[i] as number) ** 2);
        } else avg = Math.sqrt(squareAvg[i] as number);
        avg = avg + eps;
        if (momentum > 0) {
          buf[i] = (buf[i] as number) * momentum + grad / avg;
          theta[i] = param - lr * (buf[i] as number);
        } else theta[i] = param - (lr * grad) / avg;
      }
    }
    out[k] = theta;
  }
  return out;
}

async function runFunctional(options: RmspropOptions, steps: number): Promise<P> {
  const tx = rmsprop(options);
  let params = tensors();
  let state = tx.init(params);
  for (let t = 0; t < steps; t++) {
    const next = tf.tidy(() => {
      const { grads } = valueAndGrad(lossOf)(params);
      const r = tx.update(grads, state, params);
      return { params: applyUpdates(params, r.updates), state: r.state } as unknown as tf.TensorContainerObject;
    }) as unknown as { params: P; state: RmspropState };
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

const CONFIGS: [string, RmspropOptions][] = [
  ['defaults', {}],
  ['weight decay', { weightDecay: 0.1 }],
  ['momentum', { learningRate: 5e-3, momentum: 0.9 }],
  ['centered', { centered: true }],
  ['centered + momentum + weight decay + large ε', { learningRate: 3e-3, alpha: 0.9, momentum: 0.5, centered: true, weightDecay: 0.05, epsilon: 1e-3 }],
  ['scheduled learning rate, α and momentum', { learningRate: (t) => 0.02 / (1 + t), alpha: (t) => 0.9 + 0.01 * t, momentum: (t) => 0.5 + 0.05 * t }],
];
const STEPS = 6;

describe('rmsprop (torch.optim.RMSprop)', () => {
  it('matches hand-worked numbers: θ₀ = 1, g = 0.5, defaults', async () => {
    // v₁ = 0.01·0.25 = 0.0025, d = 0.05 + 1e-8 → θ₁ = 1 − 0.01·0.5/d ≈ 0.9;
    // v₂ = 0.99·0.0025 + 0.0025 = 0.004975, d = 0.0705337 → θ₂ = 0.9 − 0.005/d ≈ 0.8291119
    const params = { w: variable(tf.scalar(1)) };
    const opt = new Optimizer(params, rmsprop());
    const g = { w: tf.scalar(0.5) };
    const seen: number[] = [];
    for (let i = 0; i < 2; i++) {
      opt.step(g);
      seen.push((await params.w.data())[0] as number);
    }
    await expectClose(seen, [0.9, 0.8291119]);
    opt.dispose();
    tf.dispose([params.w, g.w]);
  });

  it('has its name, resolved options, hyperParams at a step and the state slots it needs', () => {
    const tx = rmsprop({ learningRate: (t) => 0.1 / (1 + t), momentum: 0.9, centered: true });
    expect(tx.name).toBe('rmsprop');
    expect(tx.options).toMatchObject({ alpha: 0.99, epsilon: 1e-8, momentum: 0.9, centered: true, weightDecay: 0 });
    expect(tx.hyperParams?.(4)).toEqual({ learningRate: 0.02, alpha: 0.99, epsilon: 1e-8, momentum: 0.9, weightDecay: 0 });
    const params = tensors();
    const state = tx.init(params);
    expect(Object.keys(state)).toEqual(['count', 'squareAvg', 'gradAvg', 'momentumBuffer']);
    const plain = rmsprop().init(params);
    expect(Object.keys(plain)).toEqual(['count', 'squareAvg']);
    tf.dispose([params.w, params.b, state as unknown as tf.TensorContainer, plain as unknown as tf.TensorContainer]);
  });

  for (const [what, options] of CONFIGS) {
    const expected = torchRmsprop(options, STEPS);

    it(`${what}: the functional path follows PyTorch's trajectory`, async () => {
      const params = await runFunctional(options, STEPS);
      await expectTrajectory(params, expected);
      tf.dispose([params.w, params.b]);
    });

    for (const fused of [true, false]) {
      it(`${what}: the Optimizer runner (${fused ? 'default' : 'fused: false'}) follows PyTorch's trajectory`, async () => {
        const params = makeParams();
        const opt = new Optimizer(params, rmsprop(options), { fused });
        for (let t = 0; t < STEPS; t++) await opt.minimize(lossOf);
        await expectTrajectory(params, expected);
        opt.dispose();
        tf.dispose([params.w, params.b]);
      });
    }
  }

  it('saveState → JSON → loadState continues exactly (all buffers included)', async () => {
    const options: RmspropOptions = { learningRate: 3e-3, momentum: 0.9, centered: true, weightDecay: 0.01 };
    const straight = makeParams();
    const a = new Optimizer(straight, rmsprop(options));
    for (let t = 0; t < 6; t++) await a.minimize(lossOf);
    const half = makeParams();
    const b = new Optimizer(half, rmsprop(options));
    for (let t = 0; t < 3; t++) await b.minimize(lossOf);
    const saved = JSON.parse(JSON.stringify(await b.saveState()));
    const c = new Optimizer(half, rmsprop(options));
    c.loadState(saved);
    for (let t = 0; t < 3; t++) await c.minimize(lossOf);
    expect(await read(half)).toEqual(await read(straight));
    for (const o of [a, b, c]) o.dispose();
    tf.dispose([straight.w, straight.b, half.w, half.b]);
  });

  it('leaks no tensors over 200 steps (plain, and centered with momentum and weight decay)', async () => {
    const params = makeParams();
    const grads = { w: tf.fill(SHAPES.w, 0.1), b: tf.fill(SHAPES.b, -0.2) };
    await expectNoLeaks(() => {
      for (const options of [{}, { momentum: 0.9, centered: true, weightDecay: 1e-4 }]) {
        const opt = new Optimizer(params, rmsprop(options));
        for (let t = 0; t < 200; t++) opt.step(grads);
        opt.dispose();
      }
    });
    tf.dispose([params.w, params.b, grads.w, grads.b]);
  });

  describe('bad hyper-parameters get a HyperParameterError naming the field', () => {
    const bad: [RmspropOptions, string, RegExp][] = [
      [{ learningRate: 0 }, 'learningRate', /learningRate must be in \(0, ∞\), got 0/],
      [{ learningRate: -0.1 }, 'learningRate', /got -0\.1/],
      [{ learningRate: Number.NaN }, 'learningRate', /finite number/],
      [{ alpha: 1 }, 'alpha', /alpha must be in \[0, 1\), got 1/],
      [{ alpha: -0.1 }, 'alpha', /alpha/],
      [{ epsilon: 0 }, 'epsilon', /epsilon must be in \(0, ∞\)/],
      [{ momentum: -0.5 }, 'momentum', /momentum must be in \[0, ∞\)/],
      [{ weightDecay: -1 }, 'weightDecay', /weightDecay/],
      [{ centered: 'yes' as unknown as boolean }, 'centered', /centered must be true or false/],
      [{ learningRate: () => -1 }, 'learningRate', /schedule value at step 0/],
    ];
    for (const [options, field, message] of bad) {
      it(`${JSON.stringify(options, (_, v) => (typeof v === 'function' ? 'schedule' : Number.isNaN(v) ? 'NaN' : v))} → ${field}`, () => {
        const make = () => rmsprop(options);
        expect(make).toThrow(HyperParameterError);
        expect(make).toThrow(message);
        try {
          make();
        } catch (e) {
          expect((e as HyperParameterError).field).toBe(field);
        }
      });
    }
    it('a schedule that leaves the range later is caught at that step', () => {
      const tx = rmsprop({ alpha: (t) => (t < 2 ? 0.9 : 1.5) });
      expect(() => tx.hyperParams?.(2)).toThrow(/alpha must be in \[0, 1\) \(schedule value at step 2\)/);
    });
    it('weight decay without the parameters', () => {
      const tx = rmsprop({ weightDecay: 0.1 });
      const params = tensors();
      const state = tx.init(params);
      expect(() => tf.tidy(() => void tx.update(params, state))).toThrow(/rmsprop with weightDecay needs the parameters/);
      tf.dispose([params.w, params.b, state as unknown as tf.TensorContainer]);
    });
    it('not an options object', () => {
      expect(() => rmsprop(3 as unknown as RmspropOptions)).toThrow(/rmsprop needs an options object/);
    });
  });
});
