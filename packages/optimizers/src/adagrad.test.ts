import { applyUpdates, type GradientTransformation, HyperParameterError, Optimizer, type Schedule, type StateTree, valueAndGrad } from '@gradkit/core';
import { expectClose, expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { type AdagradOptions, adagrad } from './adagrad.js';

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
 * Independent reference: torch/optim/adagrad.py, `_single_tensor_adagrad` (dense), transcribed
 * literally per element in float64: step += 1; grad += weight_decay·param;
 * clr = lr / (1 + (step − 1)·lr_decay); state_sum += grad²; std = sqrt(state_sum) + eps;
 * param −= clr·grad/std; state_sum starts at initial_accumulator_value. Schedules are evaluated at
 * the step index t = step − 1, as gradkit does.
 */
function torchAdagrad(o: AdagradOptions, steps: number): Flat {
  const out = {} as Flat;
  for (const k of KEYS) {
    const theta = [...THETA0[k]];
    const stateSum = theta.map(() => o.initialAccumulatorValue ?? 0);
    for (let step = 1; step <= steps; step++) {
      const t = step - 1;
      const [lr, lrDecay, wd, eps] = [at(o.learningRate, t, 1e-2), at(o.lrDecay, t, 0), at(o.weightDecay, t, 0), at(o.epsilon, t, 1e-10)];
      for (let i = 0; i < theta.length; i++) {
        const param = theta[i] as number;
        let grad = gradOf(k, i, param);
        if (wd !== 0) grad = grad + wd * param;
        const clr = lr / (1 + (step - 1) * lrDecay);
        stateSum[i] = (stateSum[i] as number) + grad * grad;
        const std = Math.sqrt(stateSum[i] as number) + eps;
        theta[i] = param - (clr * grad) / std;
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

const CONFIGS: [string, AdagradOptions][] = [
  ['defaults', {}],
  ['weight decay', { learningRate: 0.1, weightDecay: 0.1 }],
  ['learning-rate decay', { learningRate: 0.1, lrDecay: 0.5 }],
  ['initial accumulator value + large ε', { learningRate: 0.1, initialAccumulatorValue: 0.5, epsilon: 1e-2 }],
  ['scheduled learning rate, decay and weight decay', { learningRate: (t) => 0.1 * 0.8 ** t, lrDecay: (t) => 0.1 * t, weightDecay: (t) => 0.01 * (t + 1) }],
];
const STEPS = 6;

describe('adagrad (torch.optim.Adagrad)', () => {
  it('matches hand-worked numbers: θ₀ = 1, g = 0.5, η = 0.1, with and without lrDecay = 1', async () => {
    // s₁ = 0.25 → θ₁ = 1 − 0.1·0.5/0.5 = 0.9; s₂ = 0.5 → θ₂ = 0.9 − 0.05/√0.5 = 0.8292893;
    // with lrDecay 1 the second step uses η/2: θ₂ = 0.9 − 0.025/√0.5 = 0.8646447
    for (const [lrDecay, second] of [
      [0, 0.8292893],
      [1, 0.8646447],
    ] as const) {
      const params = { w: variable(tf.scalar(1)) };
      const opt = new Optimizer(params, adagrad({ learningRate: 0.1, lrDecay }));
      const g = { w: tf.scalar(0.5) };
      const seen: number[] = [];
      for (let i = 0; i < 2; i++) {
        opt.step(g);
        seen.push((await params.w.data())[0] as number);
      }
      await expectClose(seen, [0.9, second]);
      opt.dispose();
      tf.dispose([params.w, g.w]);
    }
  });

  it('has its name, resolved options, hyperParams at a step, and starts the sums at initialAccumulatorValue', async () => {
    const tx = adagrad({ learningRate: (t) => 0.1 / (1 + t), initialAccumulatorValue: 0.25 });
    expect(tx.name).toBe('adagrad');
    expect(tx.options).toMatchObject({ lrDecay: 0, weightDecay: 0, initialAccumulatorValue: 0.25, epsilon: 1e-10 });
    expect(tx.hyperParams?.(1)).toEqual({ learningRate: 0.05, lrDecay: 0, weightDecay: 0, initialAccumulatorValue: 0.25, epsilon: 1e-10 });
    const params = tensors();
    const state = tx.init(params);
    expect(Object.keys(state)).toEqual(['count', 'sum']);
    await expectClose(await (state.sum as P).w.data(), new Array(12).fill(0.25));
    tf.dispose([params.w, params.b, state as unknown as tf.TensorContainer]);
  });

  for (const [what, options] of CONFIGS) {
    const expected = torchAdagrad(options, STEPS);

    it(`${what}: the functional path follows PyTorch's trajectory`, async () => {
      const params = await runFunctional(adagrad(options), STEPS);
      await expectTrajectory(params, expected);
      tf.dispose([params.w, params.b]);
    });

    for (const fused of [true, false]) {
      it(`${what}: the Optimizer runner (${fused ? 'default' : 'fused: false'}) follows PyTorch's trajectory`, async () => {
        const params = makeParams();
        const opt = new Optimizer(params, adagrad(options), { fused });
        for (let t = 0; t < STEPS; t++) await opt.minimize(lossOf);
        await expectTrajectory(params, expected);
        opt.dispose();
        tf.dispose([params.w, params.b]);
      });
    }
  }

  it('saveState → JSON → loadState continues exactly (sums and the decayed learning rate included)', async () => {
    const options: AdagradOptions = { learningRate: 0.1, lrDecay: 0.2, weightDecay: 0.01, initialAccumulatorValue: 0.1 };
    const straight = makeParams();
    const a = new Optimizer(straight, adagrad(options));
    for (let t = 0; t < 6; t++) await a.minimize(lossOf);
    const half = makeParams();
    const b = new Optimizer(half, adagrad(options));
    for (let t = 0; t < 3; t++) await b.minimize(lossOf);
    const saved = JSON.parse(JSON.stringify(await b.saveState()));
    const c = new Optimizer(half, adagrad(options));
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
      const opt = new Optimizer(params, adagrad({ lrDecay: 0.01, weightDecay: 1e-4, initialAccumulatorValue: 0.1 }));
      for (let t = 0; t < 200; t++) opt.step(grads);
      opt.dispose();
    });
    tf.dispose([params.w, params.b, grads.w, grads.b]);
  });

  describe('bad hyper-parameters get a HyperParameterError naming the field', () => {
    const bad: [AdagradOptions, string, RegExp][] = [
      [{ learningRate: 0 }, 'learningRate', /learningRate must be in \(0, ∞\), got 0/],
      [{ learningRate: -0.1 }, 'learningRate', /got -0\.1/],
      [{ learningRate: Number.NaN }, 'learningRate', /finite number/],
      [{ lrDecay: -1 }, 'lrDecay', /lrDecay must be in \[0, ∞\)/],
      [{ weightDecay: -1 }, 'weightDecay', /weightDecay/],
      [{ initialAccumulatorValue: -0.1 }, 'initialAccumulatorValue', /initialAccumulatorValue must be in \[0, ∞\)/],
      [{ initialAccumulatorValue: (() => 1) as unknown as number }, 'initialAccumulatorValue', /not a schedule/],
      [{ epsilon: 0 }, 'epsilon', /epsilon must be in \(0, ∞\)/],
      [{ lrDecay: () => Number.POSITIVE_INFINITY }, 'lrDecay', /schedule value at step 0/],
    ];
    for (const [options, field, message] of bad) {
      it(`${JSON.stringify(options, (_, v) => (typeof v === 'function' ? 'schedule' : Number.isNaN(v) ? 'NaN' : v))} → ${field}`, () => {
        const make = () => adagrad(options);
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
      const tx = adagrad({ weightDecay: 0.1 });
      const params = tensors();
      const state = tx.init(params);
      expect(() => tf.tidy(() => void tx.update(params, state))).toThrow(/adagrad with weightDecay needs the parameters/);
      tf.dispose([params.w, params.b, state as unknown as tf.TensorContainer]);
    });
  });
});
