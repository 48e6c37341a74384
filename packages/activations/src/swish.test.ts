import { ValueError, valueAndGrad } from '@gradkit/core';
import { backendTolerance, expectClose, expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { swish } from './swish.js';
import { activationSuite, expectHyperError, GRID } from './test-support.js';

// Reference (Ramachandran, Zoph & Le 2017; β = 1 is aten's silu): f = x·σ(βx),
// ∂f/∂x = σ(βx)(1 + βx(1 − σ(βx))), ∂f/∂β = x²σ(βx)(1 − σ(βx)).
const sig = (z: number) => 1 / (1 + Math.exp(-z));
const ref = (beta: number) => ({
  f: (x: number) => x * sig(beta * x),
  df: (x: number) => sig(beta * x) * (1 + beta * x * (1 - sig(beta * x))),
});
const dBeta = (x: number, beta: number) => x * x * sig(beta * x) * (1 - sig(beta * x));

describe('swish (x·σ(βx))', () => {
  describe('β = 1 (silu)', () => {
    activationSuite((x) => swish(x), ref(1));
  });
  describe('β = 2', () => {
    activationSuite((x) => swish(x, 2), ref(2), {
      // mpmath (40 digits): the exact function and derivative in the tails.
      tail: [
        [-30.0, -2.6269532288089563e-25, -5.166341349990947e-25],
        [-10.0, -2.0611536181902037e-8, -3.9161918660646786e-8],
      ],
      // x·sigmoid(2x) evaluated by torch 2.13 in float64.
      torch: [
        [-50.0, -1.860037988010418e-42, -3.682875216260627e-42],
        [-2.5, -0.01673212731071214, -0.026547432429665917],
        [-0.5, -0.13447071068499755, 0.07232948812851325],
        [0.0, 0.0, 0.5],
        [0.75, 0.6131808571452327, 1.041294154299143],
        [50.0, 50.0, 1.0],
      ],
    });
  });

  it('a trainable scalar β gets ∂/∂β = Σ x²σ(βx)(1 − σ(βx)), finite at |x| = 1e4', async () => {
    const xs = GRID.map(Math.fround);
    const beta = Math.fround(0.75);
    const p = { x: tf.tensor1d(xs), beta: tf.scalar(beta) };
    const { value, grads } = valueAndGrad((q: typeof p) => tf.sum(swish(q.x, q.beta)))(p);
    await expectClose(
      value,
      xs.map(ref(beta).f).reduce((a, b) => a + b, 0),
      { ...backendTolerance(), atol: 1e-2, what: 'value (sum of 31 terms up to 1e4)' },
    );
    await expectClose(grads.x, xs.map(ref(beta).df));
    await expectClose(
      grads.beta,
      xs.map((x) => dBeta(x, beta)).reduce((a, b) => a + b, 0),
      backendTolerance({ cpu: { atol: 1e-5 }, wasm: { atol: 1e-5 } }),
    );
    tf.dispose([p.x, p.beta, value, grads.x, grads.beta]);
  });

  it('a per-feature β of shape [C] broadcasts over [N, C] and its gradient sums over N', async () => {
    const rows = [
      [-2, 0.5, 3],
      [1, -1.5, -0.25],
    ];
    const betas = [0.5, 1, 2];
    const p = { x: tf.tensor2d(rows), beta: tf.tensor1d(betas) };
    const { value, grads } = valueAndGrad((q: typeof p) => tf.sum(swish(q.x, q.beta)))(p);
    await expectClose(
      grads.x,
      rows.map((r) => r.map((x, j) => ref(betas[j] as number).df(x))),
    );
    await expectClose(
      grads.beta,
      betas.map((b, j) => rows.reduce((s, r) => s + dBeta(r[j] as number, b), 0)),
    );
    tf.dispose([p.x, p.beta, value, grads.x, grads.beta]);
  });

  it('rejects a non-finite β and a β that does not broadcast; leaks nothing', async () => {
    const x = tf.tensor2d([[1, 2, 3]]);
    const wrong = tf.tensor1d([1, 2]);
    expectHyperError(() => swish(x, Number.NaN), 'beta');
    expect(() => swish(x, wrong)).toThrow(ValueError);
    expect(() => swish(x, wrong)).toThrow(/does not broadcast/);
    const beta = tf.scalar(1.5);
    await expectNoLeaks(() => {
      swish(x, beta).dispose();
      const r = valueAndGrad((q: { x: tf.Tensor; beta: tf.Tensor }) => tf.sum(swish(q.x, q.beta)))({ x, beta });
      tf.dispose([r.value, r.grads.x, r.grads.beta]);
    });
    tf.dispose([x, wrong, beta]);
  });
});
