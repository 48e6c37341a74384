import { valueAndGrad } from '@gradkit/core';
import { expectClose } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { act } from './act.js';
import { expectHyperError, variable } from './test-support.js';

describe('act', () => {
  it('applies a named activation, with no parameters, the same in training and inference', async () => {
    const x = tf.tensor1d([-2, -0.5, 0, 1.5]);
    const relu = act('relu');
    expect(relu.name).toBe('relu');
    expect(relu.params).toEqual({});
    const yTrain = relu.apply(x);
    const yEval = relu.eval().apply(x);
    await expectClose(yTrain, [0, 0, 0, 1.5]);
    await expectClose(yEval, [0, 0, 0, 1.5]);
    expect(relu.training).toBe(false);
    expect(relu.train().training).toBe(true);
    const tanh = act('tanh');
    const yt = tanh.apply(x);
    await expectClose(yt, [-2, -0.5, 0, 1.5].map(Math.tanh));
    tf.dispose([x, yTrain, yEval, yt]);
  });

  it('wraps a function, and the gradient flows through it', async () => {
    const cube = act((t) => tf.pow(t, 3), { name: 'cube' });
    expect(cube.name).toBe('cube');
    const w = variable(() => tf.tensor1d([1, -2]));
    const { value, grads } = valueAndGrad((p: { w: tf.Tensor }) => tf.sum(cube.apply(p.w)))({ w });
    await expectClose(value, 1 - 8);
    await expectClose(grads.w, [3, 12]); // d(w³)/dw = 3w²
    tf.dispose([w, value, grads]);
  });

  it('rejects unknown names (listing the valid ones) and non-functions, naming `activation`', () => {
    expectHyperError(() => act('rellu'), 'activation', /rellu.*relu/s);
    expectHyperError(() => act(undefined as never), 'activation');
    expectHyperError(() => act('relu', { name: '' }), 'name');
  });
});
