import { valueAndGrad } from '@gradkit/core';
import { backendTolerance, expectClose, expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { binaryCrossEntropyWithLogits } from './binary-cross-entropy-with-logits.js';
import { torchCases } from './torch-fixture.js';

const gradTol = () => backendTolerance({ cpu: { atol: 2e-6 }, wasm: { atol: 2e-6 } });

describe('binaryCrossEntropyWithLogits (torch.nn.functional.binary_cross_entropy_with_logits)', () => {
  for (const c of torchCases.binaryCrossEntropy)
    it(`matches PyTorch: ${c.name} (loss, ∂/∂logits, ∂/∂targets; logits ±100, 30 and 0 included)`, async () => {
      const x = tf.tensor(c.logits);
      const t = tf.tensor(c.targets);
      const up = tf.tensor(c.upstream as number[]);
      const pw = c.posWeight === null ? undefined : tf.tensor(c.posWeight as number[]);
      const options = { reduction: c.reduction, ...(pw ? { posWeight: pw } : {}) };
      const loss = binaryCrossEntropyWithLogits(x, t, options);
      await expectClose(loss, c.loss as number[], { ...backendTolerance(), what: 'loss' });
      const { value, grads } = valueAndGrad((p: { x: tf.Tensor; t: tf.Tensor }) => tf.sum(tf.mul(up, binaryCrossEntropyWithLogits(p.x, p.t, options))))({
        x,
        t,
      });
      await expectClose(grads.x, c.gradLogits as number[], { ...gradTol(), what: '∂/∂logits' });
      // ∂/∂t = −x + (p − 1)·softplus(−x) is of the size of the logits (100): a float32 ulp of 100 is 8e-6.
      await expectClose(grads.t, c.gradTargets as number[], { ...backendTolerance({ cpu: { atol: 1e-5 }, wasm: { atol: 1e-5 } }), what: '∂/∂targets' });
      tf.dispose([x, t, up, loss, value, grads.x, grads.t, ...(pw ? [pw] : [])]);
    });

  it('a number posWeight equals the same weight as a tensor, and posWeight 1 the unweighted loss', async () => {
    const x = tf.tensor2d([[2, -1, 0.5]]);
    const t = tf.tensor2d([[1, 0, 0.3]]);
    const pw = tf.scalar(2.5);
    const asNumber = binaryCrossEntropyWithLogits(x, t, { posWeight: 2.5 });
    const asTensor = binaryCrossEntropyWithLogits(x, t, { posWeight: pw });
    await expectClose(asNumber, asTensor, { rtol: 1e-6, atol: 0 });
    const one = binaryCrossEntropyWithLogits(x, t, { posWeight: 1 });
    const plain = binaryCrossEntropyWithLogits(x, t);
    await expectClose(one, plain, { rtol: 0, atol: 0 });
    tf.dispose([x, t, pw, asNumber, asTensor, one, plain]);
  });

  it('has gradient σ(0) − t = 0.5 − t at x = 0 (a differentiated max(x, 0) − x·t + log1p(e^{−|x|}) gives −t there)', async () => {
    const x = tf.zeros([4]);
    const t = tf.tensor1d([0, 0.25, 0.5, 1]);
    const { value, grads } = valueAndGrad((p: { x: tf.Tensor }) => binaryCrossEntropyWithLogits(p.x, t, { reduction: 'sum' }))({ x });
    await expectClose(value, 4 * Math.LN2);
    await expectClose(grads.x, [0.5, 0.25, 0, -0.5]);
    tf.dispose([x, t, value, grads.x]);
  });

  it('keeps the digits of tiny losses (x = −60, t = 0: log1p(e^{−60}) = 8.76e-27, where 1 − σ(x) would round to 0)', async () => {
    const x = tf.tensor1d([-60, 60]);
    const t = tf.tensor1d([0, 1]);
    const loss = binaryCrossEntropyWithLogits(x, t, { reduction: 'none' });
    await expectClose(loss, [Math.exp(-60), Math.exp(-60)], { rtol: 1e-5, atol: 0 });
    tf.dispose([x, t, loss]);
  });

  it('leaks no tensors: with and without posWeight, every reduction, forward and backward', async () => {
    const x = tf.tensor2d([
      [1, -2],
      [0, 3],
    ]);
    const t = tf.tensor2d([
      [1, 0],
      [0.5, 1],
    ]);
    const pw = tf.tensor1d([2, 0.5]);
    const once = () => {
      for (const reduction of ['mean', 'sum', 'none'] as const) {
        binaryCrossEntropyWithLogits(x, t, { reduction }).dispose();
        binaryCrossEntropyWithLogits(x, t, { reduction, posWeight: pw }).dispose();
        binaryCrossEntropyWithLogits(x, t, { reduction, posWeight: 3 }).dispose();
      }
      for (const posWeight of [1, 3, pw]) {
        const r = valueAndGrad((p: { x: tf.Tensor; t: tf.Tensor }) => binaryCrossEntropyWithLogits(p.x, p.t, { posWeight }))({ x, t });
        tf.dispose([r.value, r.grads.x, r.grads.t]);
      }
      expect(() => binaryCrossEntropyWithLogits(x, tf.zeros([2]))).toThrow();
    };
    tf.tidy(once);
    await expectNoLeaks(() =>
      tf.tidy(() => {
        for (let i = 0; i < 3; i++) once();
      }),
    );
    tf.dispose([x, t, pw]);
  });
});
