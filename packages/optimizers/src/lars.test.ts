import { applyUpdates, type GradientTransformation, HyperParameterError, Optimizer, type Schedule, type StateTree, valueAndGrad } from '@gradkit/core';
import { expectClose, expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { type LarsOptions, lars } from './lars.js';

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
 * Independent reference: optax's `lars` (optax/_src/alias.py: chain(add_decayed_weights(weight_decay),
 * scale_by_trust_ratio(trust_coefficient, eps), scale_by_learning_rate(lr), trace(momentum, nesterov))),
 * transcribed per tensor in float64: u = g + wd·param; ratio = tc·‖param‖ / (‖u‖ + eps), or 1 when
 * either norm is 0 (optax/_src/transform.py `scale_by_trust_ratio`, min_norm 0); s = −lr·ratio·u;
 * trace = s + momentum·trace; update = s + momentum·trace (nesterov) or trace
 * (optax/transforms/_accumulation.py `trace`). Schedules are evaluated at the step index (0-based).
 */
function optaxLars(o: LarsOptions, steps: number): Flat {
  const out = {} as Flat;
  for (const k of KEYS) {
    const theta = [...THETA0[k]];
    const trace = theta.map(() => 0);
    for (let t = 0; t < steps; t++) {
      const [lr, momentum, wd, tc, eps] = [
        at(o.learningRate, t, 0),
        at(o.momentum, t, 0.9),
        at(o.weightDecay, t, 0),
        at(o.trustCoefficient, t, 0.001),
        at(o.epsilon, t, 0),
      ];
      const u = theta.map((param, i) => gradOf(k, i, param) + wd * param);
      const paramNorm = Math.sqrt(theta.reduce((s, x) => s + x * x, 0));
      const updateNorm = Math.sqrt(u.reduce((s, x) => s + x * x, 0));
      const ratio = paramNorm === 0 || updateNorm === 0 ? 1 : (tc * paramNorm) / (updateNorm + eps);
      for (let i = 0; i < theta.length; i++) {
        const s = -lr * ratio * (u[i] as number);
        trace[i] = s + momentum * (trace[i] as number);
        const update = o.nesterov ? s + momentum * (trace[i] as number) : (trace[i] as number);
        theta[i] = (theta[i] as number) + update;
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

const CONFIGS: [string, LarsOptions][] = [
  ['defaults (learning rate 1)', { learningRate: 1 }],
  ['trust coefficient 0.1 + weight decay', { learningRate: 0.5, trustCoefficient: 0.1, weightDecay: 0.1 }],
  ['nesterov', { learningRate: 0.5, trustCoefficient: 0.1, nesterov: true }],
  ['no momentum, ε = 1', { learningRate: 0.5, trustCoefficient: 0.1, momentum: 0, epsilon: 1 }],
  [
    'scheduled learning rate, momentum and trust coefficient',
    { learningRate: (t) => 0.5 / (1 + t), momentum: (t) => 0.5 + 0.05 * t, trustCoefficient: (t) => 0.05 * (1 + t), nesterov: true },
  ],
];
const STEPS = 6;

describe('lars (optax.lars, You et al. 2017)', () => {
  it('matches hand-worked numbers: θ₀ = [3, 4], g = [0.6, 0.8], η = 1, c = 0.1, μ = 0.9; a zero tensor gets trust ratio 1', async () => {
    // r₁ = 0.1·5/1 = 0.5 → s₁ = [−0.3, −0.4] = t₁ → θ₁ = [2.7, 3.6];
    // r₂ = 0.1·4.5 = 0.45 → s₂ = [−0.27, −0.36], t₂ = s₂ + 0.9·t₁ = [−0.54, −0.72] → θ₂ = [2.16, 2.88].
    // Nesterov: step 1 applies s₁ + 0.9·t₁ = 1.9·s₁ → [2.43, 3.24]. z = 0 (‖θ‖ = 0): r = 1 → z₁ = −0.5
    for (const [nesterov, expected] of [
      [false, [2.7, 3.6, 2.16, 2.88]],
      [true, [2.43, 3.24]],
    ] as const) {
      const params = { w: variable(tf.tensor1d([3, 4])), z: variable(tf.scalar(0)) };
      const opt = new Optimizer(params, lars({ learningRate: 1, trustCoefficient: 0.1, nesterov }));
      const g = { w: tf.tensor1d([0.6, 0.8]), z: tf.scalar(0.5) };
      opt.step(g);
      await expectClose(await params.z.data(), [nesterov ? -0.95 : -0.5]);
      const seen = [...(await params.w.data())];
      if (!nesterov) {
        opt.step(g);
        seen.push(...(await params.w.data()));
      }
      await expectClose(seen, [...expected]);
      opt.dispose();
      tf.dispose([params.w, params.z, g.w, g.z]);
    }
  });

  it('has its name, resolved options, hyperParams at a step, and keeps no trace without momentum', () => {
    const tx = lars({ learningRate: (t) => 1 / (1 + t) });
    expect(tx.name).toBe('lars');
    expect(tx.options).toMatchObject({ momentum: 0.9, weightDecay: 0, trustCoefficient: 0.001, epsilon: 0, nesterov: false });
    expect(tx.hyperParams?.(1)).toEqual({ learningRate: 0.5, momentum: 0.9, weightDecay: 0, trustCoefficient: 0.001, epsilon: 0 });
    const params = tensors();
    const withTrace = tx.init(params);
    const without = lars({ learningRate: 1, momentum: 0 }).init(params);
    expect(Object.keys(withTrace)).toEqual(['count', 'trace']);
    expect(without).toEqual({ count: 0 });
    tf.dispose([params.w, params.b, withTrace as unknown as tf.TensorContainer]);
  });

  for (const [what, options] of CONFIGS) {
    const expected = optaxLars(options, STEPS);

    it(`${what}: the functional path follows optax's trajectory`, async () => {
      const params = await runFunctional(lars(options), STEPS);
      await expectTrajectory(params, expected);
      tf.dispose([params.w, params.b]);
    });

    for (const fused of [true, false]) {
      it(`${what}: the Optimizer runner (${fused ? 'default' : 'fused: false'}) follows optax's trajectory`, async () => {
        const params = makeParams();
        const opt = new Optimizer(params, lars(options), { fused });
        for (let t = 0; t < STEPS; t++) await opt.minimize(lossOf);
        await expectTrajectory(params, expected);
        opt.dispose();
        tf.dispose([params.w, params.b]);
      });
    }
  }

  it('saveState → JSON → loadState continues exactly (trace included)', async () => {
    const options: LarsOptions = { learningRate: 0.5, trustCoefficient: 0.1, weightDecay: 0.01, nesterov: true };
    const straight = makeParams();
    const a = new Optimizer(straight, lars(options));
    for (let t = 0; t < 6; t++) await a.minimize(lossOf);
    const half = makeParams();
    const b = new Optimizer(half, lars(options));
    for (let t = 0; t < 3; t++) await b.minimize(lossOf);
    const saved = JSON.parse(JSON.stringify(await b.saveState()));
    const c = new Optimizer(half, lars(options));
    c.loadState(saved);
    for (let t = 0; t < 3; t++) await c.minimize(lossOf);
    expect(await read(half)).toEqual(await read(straight));
    for (const o of [a, b, c]) o.dispose();
    tf.dispose([straight.w, straight.b, half.w, half.b]);
  });

  it('leaks no tensors over 200 steps (with and without momentum)', async () => {
    const params = makeParams();
    const grads = { w: tf.fill(SHAPES.w, 0.1), b: tf.fill(SHAPES.b, -0.2) };
    await expectNoLeaks(() => {
      for (const options of [
        { learningRate: 0.1, weightDecay: 1e-4 },
        { learningRate: 0.1, momentum: 0 },
      ]) {
        const opt = new Optimizer(params, lars(options));
        for (let t = 0; t < 200; t++) opt.step(grads);
        opt.dispose();
      }
    });
    tf.dispose([params.w, params.b, grads.w, grads.b]);
  });

  describe('bad hyper-parameters get a HyperParameterError naming the field', () => {
    const bad: [LarsOptions, string, RegExp][] = [
      [{ learningRate: 0 }, 'learningRate', /learningRate must be in \(0, ∞\), got 0/],
      [{ learningRate: -0.1 }, 'learningRate', /got -0\.1/],
      [{ learningRate: Number.NaN }, 'learningRate', /finite number/],
      [{} as LarsOptions, 'learningRate', /learningRate must be a finite number, got undefined/],
      [{ learningRate: 1, momentum: -0.9 }, 'momentum', /momentum must be in \[0, ∞\)/],
      [{ learningRate: 1, weightDecay: -1 }, 'weightDecay', /weightDecay must be in \[0, ∞\)/],
      [{ learningRate: 1, trustCoefficient: 0 }, 'trustCoefficient', /trustCoefficient must be in \(0, ∞\), got 0/],
      [{ learningRate: 1, epsilon: -1e-9 }, 'epsilon', /epsilon must be in \[0, ∞\)/],
      [{ learningRate: 1, nesterov: 1 as unknown as boolean }, 'nesterov', /nesterov must be true or false/],
      [{ learningRate: 1, trustCoefficient: () => -1 }, 'trustCoefficient', /schedule value at step 0/],
    ];
    for (const [options, field, message] of bad) {
      it(`${JSON.stringify(options, (_, v) => (typeof v === 'function' ? 'schedule' : Number.isNaN(v) ? 'NaN' : v))} → ${field}`, () => {
        const make = () => lars(options);
        expect(make).toThrow(HyperParameterError);
        expect(make).toThrow(message);
        try {
          make();
        } catch (e) {
          expect((e as HyperParameterError).field).toBe(field);
        }
      });
    }
    it('a missing options object', () => {
      expect(() => lars(undefined as unknown as LarsOptions)).toThrow(/lars needs an options object/);
    });
    it('update without the parameters (the trust ratio needs them)', () => {
      const tx = lars({ learningRate: 1 });
      const params = tensors();
      const state = tx.init(params);
      expect(() => tf.tidy(() => void tx.update(params, state))).toThrow(/lars needs the parameters for its trust ratio/);
      tf.dispose([params.w, params.b, state as unknown as tf.TensorContainer]);
    });
  });
});
