import { ValueError, valueAndGrad } from '@gradkit/core';
import { expectClose, expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { prelu } from './prelu.js';
import { activationSuite, expectHyperError } from './test-support.js';

// Reference: aten `prelu` (x > 0 ? x : w·x) and its backward (aten `_prelu_kernel_backward`):
// ∂/∂x = x > 0 ? grad : w·grad, ∂/∂w = x > 0 ? 0 : x·grad, summed over the broadcast elements.
const f = (x: number, a: number) => (x > 0 ? x : a * x);
const dx = (x: number, a: number) => (x > 0 ? 1 : a);
const da = (x: number) => Math.min(x, 0);

describe('prelu (torch.nn.functional.prelu)', () => {
  describe('a scalar slope 0.25 (nn.PReLU default)', () => {
    activationSuite((x) => prelu(x, 0.25), { f: (x) => f(x, 0.25), df: (x) => dx(x, 0.25), kinks: [0] });
  });

  it('a per-feature slope [C] on [N, C]: values, ∂/∂x and ∂/∂α (summed over N), kink and ±1e4 included', async () => {
    const rows = [
      [-1e4, 0, 2.5],
      [-0.5, 1e4, -3],
      [0.75, -50, 0],
    ];
    const alphas = [0.25, -0.5, 0.1];
    const p = { x: tf.tensor2d(rows), alpha: tf.tensor1d(alphas) };
    const cs = [
      [1, 0.5, 2],
      [1.5, 1, 0.25],
      [0.75, 2, 1],
    ];
    const c = tf.tensor2d(cs);
    const { value, grads } = valueAndGrad((q: typeof p) => tf.sum(tf.mul(c, prelu(q.x, q.alpha))))(p);
    const y = prelu(p.x, p.alpha);
    await expectClose(
      y,
      rows.map((r) => r.map((x, j) => f(x, alphas[j] as number))),
    );
    await expectClose(
      grads.x,
      rows.map((r, i) => r.map((x, j) => (cs[i]?.[j] as number) * dx(x, alphas[j] as number))),
    );
    await expectClose(
      grads.alpha,
      alphas.map((_, j) => rows.reduce((s, r, i) => s + (cs[i]?.[j] as number) * da(r[j] as number), 0)),
    );
    tf.dispose([p.x, p.alpha, c, value, grads.x, grads.alpha, y]);
  });

  it('rejects a slope that does not broadcast (ValueError) and a non-finite number (HyperParameterError); leaks nothing', async () => {
    const x = tf.tensor2d([[1, -2, 3]]);
    const wrong = tf.tensor1d([0.1, 0.2]);
    expect(() => prelu(x, wrong)).toThrow(ValueError);
    expect(() => prelu(x, wrong)).toThrow(/does not broadcast/);
    expectHyperError(() => prelu(x, Number.NaN), 'alpha');
    const alpha = tf.tensor1d([0.1, 0.2, 0.3]);
    await expectNoLeaks(() => {
      prelu(x, alpha).dispose();
      const r = valueAndGrad((q: { x: tf.Tensor; alpha: tf.Tensor }) => tf.sum(prelu(q.x, q.alpha)))({ x, alpha });
      tf.dispose([r.value, r.grads.x, r.grads.alpha]);
    });
    tf.dispose([x, wrong, alpha]);
  });
});
