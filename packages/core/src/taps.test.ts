import { expectClose, expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { valueAndGrad } from './autograd.js';
import { ValueError } from './errors.js';
import { tap, withTaps } from './taps.js';

describe('tap / withTaps', () => {
  const x = tf.tensor1d([1, -2, 3]);

  it('records activations and the gradient with respect to them', async () => {
    // h = x·w, L = Σ h², so ∂L/∂h = 2h and ∂L/∂w = Σ 2h·x
    const w = tf.scalar(0.5);
    const loss = (p: { w: tf.Tensor }) => tf.sum(tf.square(tap(tf.mul(x, p.w), 'h')));
    const { result, taps } = withTaps(valueAndGrad(loss))({ w });
    await expectClose(taps.h!.activation, [0.5, -1, 1.5]);
    await expectClose(taps.h!.grad as tf.Tensor, [1, -2, 3]);
    await expectClose(result.grads.w as tf.Tensor, 2 * (0.5 * 1 + -1 * -2 + 1.5 * 3));
    await expectClose(result.value, 0.25 + 1 + 2.25);
    tf.dispose([w, result.value, result.grads.w as tf.Tensor, taps]);
  });

  it('keeps taps in the order they ran, and no gradients without a backward pass', async () => {
    const { result, taps } = withTaps(() => tap(tf.relu(tap(tf.neg(x), 'first')), 'second'))();
    expect(Object.keys(taps)).toEqual(['first', 'second']);
    expect(taps.first!.grad).toBeUndefined();
    await expectClose(result, [0, 2, 0]);
    tf.dispose([result, taps]);
  });

  it('is the identity, at no cost, outside withTaps', () => {
    expect(tap(x, 'anything')).toBe(x);
  });

  it('rejects the same tap name twice in one pass and cleans up', () => {
    const before = tf.memory().numTensors;
    const f = withTaps(() => tf.tidy(() => tap(tap(x, 'dup'), 'dup')));
    expect(f).toThrow(ValueError);
    expect(f).toThrow(/tap 'dup' ran twice/);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('leaks nothing beyond what it returns', async () => {
    const w = tf.scalar(2);
    await expectNoLeaks(() => {
      const { result, taps } = withTaps(valueAndGrad((p: { w: tf.Tensor }) => tf.sum(tap(tf.mul(x, p.w), 'h'))))({ w });
      tf.dispose([result.value, result.grads.w as tf.Tensor, taps]);
    });
    w.dispose();
  });
});
