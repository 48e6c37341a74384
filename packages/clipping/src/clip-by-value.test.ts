import { chain, Optimizer } from '@gradkit/core';
import { sgd } from '@gradkit/optimizers';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { clipByValue } from './clip-by-value.js';
import { clipThenSgd, conformance, expectHyperError, expectTreeMismatch, updateOnce } from './test-support.js';

/**
 * Independent reference: `torch.nn.utils.clip_grad_value_` (torch/nn/utils/clip_grad.py:
 * `torch.clamp(grad, min=-clip_value, max=clip_value)`) = optax `clip` (optax/_src/clipping.py:
 * `jnp.clip(g, -max_delta, max_delta)`), in float64. clamp and jnp.clip keep NaN.
 */
const clamp = (x: number, c: number) => (Number.isNaN(x) ? x : Math.min(Math.max(x, -c), c));
const torchClipValue = (grads: number[][], c: number) => grads.map((g) => g.map((x) => clamp(x, c)));

describe('clipByValue (clip_grad_value_ / optax.clip)', () => {
  it('exposes its name, options and hyperParams', () => {
    const tx = clipByValue(0.5);
    expect(tx.name).toBe('clipByValue');
    expect(tx.options).toEqual({ maxAbs: 0.5 });
    expect(tx.hyperParams?.(3)).toEqual({ maxAbs: 0.5 });
    expect(clipByValue((t) => 1 / (1 + t)).hyperParams?.(3)).toEqual({ maxAbs: 0.25 });
  });

  it('clamps each element to [−c, c]: exactly ±c stays, NaN stays NaN, ±Infinity → ±c; 0-d and odd-length tensors', async () => {
    const values = [[-3, -2, -1.999, 0, 1.5, 2, 2.0001], [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY], [7]];
    const grads = { a: tf.tensor1d(values[0] as number[]), b: [tf.tensor1d(values[1] as number[])], c: tf.scalar(7) };
    const got = await updateOnce(clipByValue(2), grads);
    const expected = torchClipValue(values, 2);
    expect(got[0]).toEqual(expected[0]?.map(Math.fround));
    expect(got[1]?.[0]).toBeNaN();
    expect(got[1]?.slice(1)).toEqual([2, -2]);
    expect(got[2]).toEqual([2]);
    tf.dispose([grads.a, ...grads.b, grads.c]);
  });

  it('maxAbs 0 zeroes every update', async () => {
    const grads = { a: tf.tensor1d([-3, 0.5, 2]) };
    expect((await updateOnce(clipByValue(0), grads))[0]?.map(Math.abs)).toEqual([0, 0, 0]);
    grads.a.dispose();
  });

  conformance(
    'chain(clipByValue(2), sgd)',
    () => chain(clipByValue(2), sgd({ learningRate: 0.1 })),
    clipThenSgd(0.1, (g) => torchClipValue(g, 2)),
  );
  conformance(
    'chain(clipByValue(schedule), sgd)',
    () =>
      chain(
        clipByValue((t) => 1 + 2 / (1 + t)),
        sgd({ learningRate: 0.1 }),
      ),
    clipThenSgd(0.1, (g, t) => torchClipValue(g, 1 + 2 / (1 + t))),
    { trajectoryOnly: true },
  );

  it('in the Optimizer runner, clipping bounds every step of plain SGD', async () => {
    const params = { w: tf.tidy(() => tf.variable(tf.zeros([3]))) };
    const opt = new Optimizer(params, chain(clipByValue(1), sgd({ learningRate: 0.5 })));
    const g = { w: tf.tensor1d([10, -0.4, -10]) };
    opt.step(g);
    expect(Array.from(await params.w.data())).toEqual([-0.5, Math.fround(0.2), 0.5]);
    opt.dispose();
    tf.dispose([params.w, g.w]);
  });

  describe('bad input', () => {
    it('negative, NaN or infinite maxAbs, or a schedule going negative → HyperParameterError naming maxAbs', () => {
      expectHyperError(() => clipByValue(-0.1), 'maxAbs', /maxAbs must be in \[0, ∞\), got -0\.1/);
      expectHyperError(() => clipByValue(Number.NaN), 'maxAbs', /finite number/);
      expectHyperError(() => clipByValue(Number.POSITIVE_INFINITY), 'maxAbs', /finite number/);
      expectHyperError(() => clipByValue(() => -1), 'maxAbs', /schedule value at step 0/);
      const tx = clipByValue((t) => 1 - t);
      const g = { w: tf.scalar(1) };
      expectHyperError(() => tf.tidy(() => tx.update(g, { count: 2 }).updates as tf.Tensor), 'maxAbs', /schedule value at step 2/);
      g.w.dispose();
    });

    it('gradients that do not match the parameters → TreeMismatchError naming the path', () => {
      const params = { dense: { kernel: tf.zeros([2, 2]), bias: tf.zeros([2]) } };
      const tx = clipByValue(1);
      expectTreeMismatch(() => tx.update({ dense: { kernel: params.dense.kernel } }, tx.init(params), params), 'dense.bias');
      const wrong = tf.zeros([3]);
      expectTreeMismatch(() => tx.update({ dense: { kernel: params.dense.kernel, bias: wrong } }, tx.init(params), params), 'dense.bias');
      tf.dispose([params.dense.kernel, params.dense.bias, wrong]);
    });
  });
});
