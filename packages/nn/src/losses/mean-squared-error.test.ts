import { valueAndGrad } from '@gradkit/core';
import { backendTolerance, expectClose, expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { meanSquaredError } from './mean-squared-error.js';
import { torchCases } from './torch-fixture.js';

describe('meanSquaredError (torch.nn.functional.mse_loss)', () => {
  for (const c of torchCases.meanSquaredError)
    it(`matches PyTorch: ${c.name} (loss, ∂/∂pred, ∂/∂target)`, async () => {
      const pred = tf.tensor(c.pred);
      const target = tf.tensor(c.target);
      const up = tf.tensor(c.upstream as number[]);
      const loss = meanSquaredError(pred, target, { reduction: c.reduction });
      await expectClose(loss, c.loss as number[], { ...backendTolerance(), what: 'loss' });
      const { value, grads } = valueAndGrad((p: { p: tf.Tensor; t: tf.Tensor }) => tf.sum(tf.mul(up, meanSquaredError(p.p, p.t, { reduction: c.reduction }))))({
        p: pred,
        t: target,
      });
      await expectClose(grads.p, c.gradPred as number[], { ...backendTolerance(), what: '∂/∂pred' });
      await expectClose(grads.t, c.gradTarget as number[], { ...backendTolerance(), what: '∂/∂target' });
      tf.dispose([pred, target, up, loss, value, grads.p, grads.t]);
    });

  it('is (0 + 4 + 1)/3 for [1, 2, 3] against [1, 0, 4] (worked by hand), with gradient 2(pred − target)/3', async () => {
    const pred = tf.tensor1d([1, 2, 3]);
    const target = tf.tensor1d([1, 0, 4]);
    const { value, grads } = valueAndGrad((p: { p: tf.Tensor }) => meanSquaredError(p.p, target))({ p: pred });
    await expectClose(value, 5 / 3);
    await expectClose(grads.p, [0, 4 / 3, -2 / 3]);
    tf.dispose([pred, target, value, grads.p]);
  });

  it('leaks no tensors: every reduction, forward and backward, and a rejected call', async () => {
    const pred = tf.tensor2d([[1, 2]]);
    const target = tf.tensor2d([[0, 2]]);
    const once = () => {
      for (const reduction of ['mean', 'sum', 'none'] as const) meanSquaredError(pred, target, { reduction }).dispose();
      const r = valueAndGrad((p: { p: tf.Tensor }) => meanSquaredError(p.p, target))({ p: pred });
      tf.dispose([r.value, r.grads.p]);
      expect(() => meanSquaredError(pred, tf.tensor1d([0, 2]))).toThrow();
    };
    tf.tidy(once);
    await expectNoLeaks(() =>
      tf.tidy(() => {
        for (let i = 0; i < 3; i++) once();
      }),
    );
    tf.dispose([pred, target]);
  });
});
