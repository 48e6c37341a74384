import { valueAndGrad } from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { AssertionError, expectNoLeaks } from './index.js';

describe('expectNoLeaks', () => {
  it('passes when fn frees what it allocates, and returns its result', async () => {
    const x = tf.tensor1d([1, 2, 3]);
    const n = await expectNoLeaks(() => {
      const s = tf.tidy(() => tf.sum(tf.square(x)));
      s.dispose();
      return 42;
    });
    expect(n).toBe(42);
    x.dispose();
  });

  it('fails when fn leaves a tensor allocated, saying how many', async () => {
    const kept: tf.Tensor[] = [];
    const p = expectNoLeaks(
      () => {
        const [a, b] = [tf.scalar(1), tf.scalar(2)];
        kept.push(tf.ones([2]), a, b, tf.add(a, b));
      },
      { what: 'leaky' },
    );
    await expect(p).rejects.toThrow(AssertionError);
    // ones, two scalars and their sum: 4 tensors
    await expect(p).rejects.toThrow(/^expectNoLeaks \(leaky\) on \w+: left 4 tensors allocated \(tensors before \d+, after \d+, returned 0\)/);
    tf.dispose(kept);
  });

  it('checks after an async fn has finished', async () => {
    let late: tf.Tensor | undefined;
    const p = expectNoLeaks(async () => {
      await new Promise((r) => setTimeout(r, 1));
      late = tf.zeros([3]);
    });
    await expect(p).rejects.toThrow(/left 1 tensor allocated/);
    late?.dispose();
  });

  it('does not count the tensors fn returns (in arrays, objects and Maps)', async () => {
    const w = tf.tensor1d([1, -2, 3]);
    const { value, grads } = await expectNoLeaks(() => valueAndGrad((p: { w: tf.Tensor }) => tf.sum(tf.mul(p.w, p.w)))({ w }));
    const more = await expectNoLeaks(() => [tf.ones([1]), { m: new Map([['a', tf.zeros([1])]]) }] as const);
    tf.dispose([value, grads as tf.Tensor | Record<string, tf.Tensor>, more[0], ...more[1].m.values(), w]);
  });

  it('does not let a returned tensor that existed before hide a leak', async () => {
    const x = tf.tensor1d([1]);
    let leaked: tf.Tensor | undefined;
    await expect(
      expectNoLeaks(() => {
        leaked = tf.neg(x);
        return x;
      }),
    ).rejects.toThrow(/left 1 tensor allocated \(tensors before \d+, after \d+, returned 0\)/);
    tf.dispose([x, leaked as tf.Tensor]);
  });

  it('fails when fn disposes a tensor it did not create', async () => {
    const given = tf.tensor1d([1, 2]);
    await expect(expectNoLeaks(() => given.dispose())).rejects.toThrow(/disposed 1 tensor it did not create/);
  });

  it("propagates fn's own error", async () => {
    await expect(
      expectNoLeaks(() => {
        throw new RangeError('boom');
      }),
    ).rejects.toThrow(RangeError);
  });
});
