// Test scaffolding for softmax and logSoftmax (not part of the package's surface): PyTorch's numbers
// from packages/activations/fixtures/softmax.py (torch 1.13, float64 on float32-rounded inputs;
// softmax.json beside it), checked for values and for gradients through core's valueAndGrad.
import { readFileSync } from 'node:fs';
import { valueAndGrad } from '@gradkit/core';
import { backendTolerance, expectClose, expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';

/** One case: y = f(x, axis), and grad = ∂Σ(upstream ⊙ y)/∂x. */
interface Case {
  readonly name: string;
  readonly fn: 'softmax' | 'logSoftmax';
  readonly x: number[][];
  readonly axis: number;
  readonly y: number[][];
  readonly upstream: number[][];
  readonly grad: number[][];
}

const fixture = JSON.parse(readFileSync(new URL('../fixtures/softmax.json', import.meta.url), 'utf8')) as { softmax: Case[] };

/** Registers the PyTorch checks of `f` (which is `fnName`) and its leak check (call inside `describe`). */
export function torchSoftmaxSuite(fnName: Case['fn'], f: (x: tf.Tensor, axis?: number) => tf.Tensor): void {
  const cases = fixture.softmax.filter((c) => c.fn === fnName);
  it('has PyTorch cases to check', () => expect(cases.length).toBeGreaterThanOrEqual(4));
  for (const c of cases)
    it(`matches torch.nn.functional (${c.name}): values and gradients`, async () => {
      const x = tf.tensor(c.x);
      const up = tf.tensor(c.upstream);
      const y = f(x, c.axis);
      expect(y.shape).toEqual(x.shape);
      await expectClose(y, c.y, { ...backendTolerance(), what: 'values' });
      const { value, grads } = valueAndGrad((p: { x: tf.Tensor }) => tf.sum(tf.mul(up, f(p.x, c.axis))))({ x });
      // Gradients sum terms of both signs of size |upstream| ≤ 2: an atol of a few float32 ulps of 2.
      await expectClose(grads.x, c.grad, { ...backendTolerance({ cpu: { atol: 2e-6 }, wasm: { atol: 2e-6 } }), what: 'gradients' });
      tf.dispose([x, up, y, value, grads.x]);
    });

  it('leaks no tensors: forward and backward, last and other axes, int input', async () => {
    const x = tf.tensor2d([
      [1, -2, 3],
      [1000, -1000, 0],
    ]);
    const xi = tf.tensor2d([[1, 2]], [1, 2], 'int32');
    const once = () => {
      f(x).dispose();
      f(x, 0).dispose();
      f(xi).dispose();
      const r = valueAndGrad((p: { x: tf.Tensor }) => tf.sum(tf.square(f(p.x, 0))))({ x });
      tf.dispose([r.value, r.grads.x]);
    };
    once();
    await expectNoLeaks(() => {
      for (let i = 0; i < 3; i++) once();
      expect(() => f(xi, 2)).toThrow();
    });
    tf.dispose([x, xi]);
  });
}
