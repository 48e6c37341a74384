import { applyUpdates, HyperParameterError, Optimizer, type Schedule } from '@gradkit/core';
import { expectClose, expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { type SgdOptions, sgd } from './sgd.js';

/**
 * Independent reference: torch.optim.SGD's update rule (torch/optim/sgd.py, `_single_tensor_sgd`)
 * transcribed literally for scalars in float64. Gradients come from f(θ) = Σ aᵢθᵢ² + bᵢθᵢ, so
 * gᵢ = 2aᵢθᵢ + bᵢ depends on the trajectory.
 */
function torchSgd(theta0: number[], a: number[], b: number[], o: SgdOptions, steps: number): number[] {
  const theta = [...theta0];
  const buf: (number | null)[] = theta.map(() => null);
  const at = (h: number | Schedule | undefined, t: number, d: number) => (h === undefined ? d : typeof h === 'function' ? h(t) : h);
  for (let t = 0; t < steps; t++) {
    const [lr, momentum, dampening, wd] = [at(o.learningRate, t, 0), at(o.momentum, t, 0), at(o.dampening, t, 0), at(o.weightDecay, t, 0)];
    for (let i = 0; i < theta.length; i++) {
      const p = theta[i] as number;
      let dp = 2 * (a[i] as number) * p + (b[i] as number);
      if (wd !== 0) dp = dp + wd * p;
      if (momentum !== 0) {
        const prev = buf[i];
        const next = prev == null ? dp : momentum * prev + (1 - dampening) * dp;
        buf[i] = next;
        dp = o.nesterov ? dp + momentum * next : next;
      }
      theta[i] = p - lr * dp;
    }
  }
  return theta;
}

const A = [0.5, 1.5, 0.25, 2, 1];
const B = [0.1, -0.3, 0.2, 0, -1];
const THETA0 = [1, -2, 0.5, 3, -0.75];
const lossOf = (p: { w: tf.Tensor; v: tf.Tensor }) => {
  const theta = tf.concat([p.w, tf.reshape(p.v, [-1])]);
  return tf.sum(tf.add(tf.mul(tf.tensor1d(A), tf.square(theta)), tf.mul(tf.tensor1d(B), theta)));
};
const makeParams = () => ({ w: tf.variable(tf.tensor1d(THETA0.slice(0, 3))), v: tf.variable(tf.tensor2d([THETA0.slice(3)])) });
const readTheta = async (p: { w: tf.Tensor; v: tf.Tensor }) => [...(await p.w.data()), ...(await p.v.data())];

const CONFIGS: [string, SgdOptions][] = [
  ['plain', { learningRate: 0.1 }],
  ['weight decay', { learningRate: 0.1, weightDecay: 0.05 }],
  ['momentum', { learningRate: 0.05, momentum: 0.9 }],
  ['momentum + dampening', { learningRate: 0.05, momentum: 0.9, dampening: 0.3 }],
  ['nesterov + weight decay', { learningRate: 0.05, momentum: 0.8, nesterov: true, weightDecay: 0.01 }],
  ['scheduled learning rate and momentum', { learningRate: (t) => 0.1 / (1 + t), momentum: (t) => Math.min(0.9, 0.5 + 0.1 * t) }],
];
const STEPS = 6;

describe('sgd (torch.optim.SGD)', () => {
  it('matches hand-worked numbers: θ₀ = 1, g = 0.5, η = 0.1, μ = 0.9, τ = 0.1', async () => {
    // b₁ = g = 0.5 → θ = 0.95; b₂ = 0.9·0.5 + 0.9·0.5 = 0.9 → θ = 0.86; b₃ = 0.81 + 0.45 = 1.26 → θ = 0.734
    const params = { w: tf.variable(tf.scalar(1)) };
    const opt = new Optimizer(params, sgd({ learningRate: 0.1, momentum: 0.9, dampening: 0.1 }));
    const g = { w: tf.scalar(0.5) };
    const seen: number[] = [];
    for (let i = 0; i < 3; i++) {
      opt.step(g);
      seen.push((await params.w.data())[0] as number);
    }
    await expectClose(seen, [0.95, 0.86, 0.734]);
    opt.dispose();
    tf.dispose([params.w, g.w]);
  });

  for (const [what, options] of CONFIGS) {
    const expected = torchSgd(THETA0, A, B, options, STEPS);

    it(`${what}: the functional path follows PyTorch's trajectory`, async () => {
      const tx = sgd(options);
      let params: { w: tf.Tensor; v: tf.Tensor } = { w: tf.tensor1d(THETA0.slice(0, 3)), v: tf.tensor2d([THETA0.slice(3)]) };
      let state = tx.init(params);
      for (let t = 0; t < STEPS; t++) {
        const next = tf.tidy(() => {
          const grads = tf.grads((w: tf.Tensor, v: tf.Tensor) => lossOf({ w, v }))([params.w, params.v]);
          const r = tx.update({ w: grads[0] as tf.Tensor, v: grads[1] as tf.Tensor }, state, params);
          return { params: applyUpdates(params, r.updates) as { w: tf.Tensor; v: tf.Tensor }, state: r.state } as unknown as tf.TensorContainerObject;
        }) as unknown as { params: { w: tf.Tensor; v: tf.Tensor }; state: typeof state };
        tf.dispose([params.w, params.v, state as unknown as tf.TensorContainer]);
        params = next.params;
        state = next.state;
      }
      await expectClose(await readTheta(params), expected, { rtol: 1e-5 });
      tf.dispose([params.w, params.v, state as unknown as tf.TensorContainer]);
    });

    for (const fused of [true, false]) {
      it(`${what}: the Optimizer runner (${fused ? 'fused where a kernel applies' : 'reference path'}) follows PyTorch's trajectory`, async () => {
        const params = makeParams();
        const opt = new Optimizer(params, sgd(options), { fused });
        for (let t = 0; t < STEPS; t++) await opt.minimize(lossOf);
        await expectClose(await readTheta(params), expected, { rtol: 1e-5 });
        opt.dispose();
        tf.dispose([params.w, params.v]);
      });
    }
  }

  it('saveState → JSON → loadState continues exactly (momentum buffers included)', async () => {
    const options = { learningRate: 0.05, momentum: 0.9, nesterov: true };
    const straight = makeParams();
    const a = new Optimizer(straight, sgd(options));
    for (let t = 0; t < 6; t++) await a.minimize(lossOf);
    const half = makeParams();
    const b = new Optimizer(half, sgd(options));
    for (let t = 0; t < 3; t++) await b.minimize(lossOf);
    const saved = JSON.parse(JSON.stringify(await b.saveState()));
    const c = new Optimizer(half, sgd(options));
    c.loadState(saved);
    for (let t = 0; t < 3; t++) await c.minimize(lossOf);
    expect(await readTheta(half)).toEqual(await readTheta(straight));
    for (const o of [a, b, c]) o.dispose();
    tf.dispose([straight.w, straight.v, half.w, half.v]);
  });

  it('leaks no tensors over 200 steps, fused or not, with or without momentum', async () => {
    const params = makeParams();
    await expectNoLeaks(async () => {
      for (const options of [{ learningRate: 1e-3 }, { learningRate: 1e-3, momentum: 0.9, weightDecay: 1e-4 }]) {
        const opt = new Optimizer(params, sgd(options));
        for (let t = 0; t < 200; t++) await opt.minimize(lossOf);
        opt.dispose();
      }
    });
    tf.dispose([params.w, params.v]);
  });

  it('propagates a non-finite gradient (as PyTorch) instead of hiding it', async () => {
    const params = { w: tf.variable(tf.tensor1d([1, 2])) };
    const opt = new Optimizer(params, sgd({ learningRate: 0.1 }));
    const g = { w: tf.tensor1d([Number.NaN, 1]) };
    opt.step(g);
    const [w0, w1] = await params.w.data();
    expect(w0).toBeNaN();
    expect(w1).toBeCloseTo(1.9, 6);
    opt.dispose();
    tf.dispose([params.w, g.w]);
  });

  describe('bad hyper-parameters get a HyperParameterError naming the field', () => {
    const bad: [Partial<SgdOptions>, string, RegExp][] = [
      [{ learningRate: 0 }, 'learningRate', /learningRate must be in \(0, ∞\), got 0/],
      [{ learningRate: -0.1 }, 'learningRate', /got -0\.1/],
      [{ learningRate: Number.NaN }, 'learningRate', /finite number/],
      [{ learningRate: 0.1, momentum: -0.5 }, 'momentum', /momentum must be in \[0, ∞\)/],
      [{ learningRate: 0.1, dampening: 1.5 }, 'dampening', /dampening must be in \[0, 1\]/],
      [{ learningRate: 0.1, weightDecay: -1 }, 'weightDecay', /weightDecay/],
      [{ learningRate: 0.1, nesterov: true }, 'nesterov', /Nesterov momentum requires a momentum > 0 and zero dampening/],
      [{ learningRate: 0.1, momentum: 0.9, dampening: 0.1, nesterov: true }, 'nesterov', /zero dampening/],
      [{ learningRate: () => -1 }, 'learningRate', /schedule value at step 0/],
    ];
    for (const [options, field, message] of bad) {
      it(`${JSON.stringify(options)} → ${field}`, () => {
        const make = () => sgd(options as SgdOptions);
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
      expect(() => sgd(undefined as unknown as SgdOptions)).toThrow(/sgd needs an options object/);
    });
  });
});
