import { chain, Optimizer, TreeMismatchError } from '@gradkit/core';
import { expectClose, expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { masked } from './masked.js';
import { sgd } from './sgd.js';

const makeParams = () => ({ dense: { kernel: tf.variable(tf.tensor1d([1, 2])), bias: tf.variable(tf.tensor1d([3])) } });
const makeGrads = () => ({ dense: { kernel: tf.tensor1d([1, 1]), bias: tf.tensor1d([1]) } });

describe('masked', () => {
  for (const [what, mask] of [
    ['a predicate', (path: string) => !path.endsWith('bias')],
    ['a tree of booleans', { dense: { kernel: true, bias: false } }],
  ] as const) {
    it(`applies the inner transformation only where ${what} selects; other updates pass through`, async () => {
      const params = makeParams();
      // inner: sgd with momentum (stateful) on the kernel only; the bias gets the raw gradient as its update
      const opt = new Optimizer(params, masked(sgd({ learningRate: 0.1, momentum: 0.9 }), mask));
      const g = makeGrads();
      opt.step(g);
      opt.step(g);
      // kernel: b₁ = 1 → −0.1; b₂ = 1.9 → −0.19: 1 − 0.29 = 0.71, 2 − 0.29 = 1.71
      await expectClose(params.dense.kernel, [0.71, 1.71]);
      // bias: + g each step (pass-through)
      await expectClose(params.dense.bias, [5]);
      const saved = await opt.saveState();
      expect(Object.keys(saved.state)).toEqual(['inner.count', 'inner.momentum.dense.kernel']);
      opt.dispose();
      tf.dispose([params.dense.kernel, params.dense.bias, g.dense.kernel, g.dense.bias]);
    });
  }

  it('is usually chained: weight decay on kernels only', async () => {
    const params = makeParams();
    const opt = new Optimizer(
      params,
      chain(
        masked(sgd({ learningRate: 1, weightDecay: 0.5 }), (p) => p.endsWith('kernel')),
        sgd({ learningRate: 0.1 }),
      ),
    );
    const zero = { dense: { kernel: tf.zeros([2]), bias: tf.zeros([1]) } };
    opt.step(zero);
    // masked sgd(lr 1, wd 0.5) on the kernel: u = −0.5·θ; then sgd(0.1): −0.1·u = 0.05·θ  → θ·1.05
    await expectClose(params.dense.kernel, [1.05, 2.1]);
    await expectClose(params.dense.bias, [3]);
    opt.dispose();
    tf.dispose([params.dense.kernel, params.dense.bias, zero.dense.kernel, zero.dense.bias]);
  });

  it('rejects a boolean mask that does not match the parameters, naming the path', () => {
    const params = makeParams();
    expect(() => new Optimizer(params, masked(sgd({ learningRate: 0.1 }), { dense: { kernel: true } }))).toThrow(TreeMismatchError);
    expect(() => new Optimizer(params, masked(sgd({ learningRate: 0.1 }), { dense: { kernel: true, bias: 1 as unknown as boolean } }))).toThrow(
      /mask at 'dense\.bias' must be true or false/,
    );
    tf.dispose([params.dense.kernel, params.dense.bias]);
  });

  it('leaks nothing over 200 steps', async () => {
    const params = makeParams();
    const g = makeGrads();
    await expectNoLeaks(() => {
      const opt = new Optimizer(
        params,
        masked(sgd({ learningRate: 1e-3, momentum: 0.9 }), (p) => p.endsWith('kernel')),
      );
      for (let i = 0; i < 200; i++) opt.step(g);
      opt.dispose();
    });
    tf.dispose([params.dense.kernel, params.dense.bias, g.dense.kernel, g.dense.bias]);
  });
});
