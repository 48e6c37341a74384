import { expectClose, expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { TreeMismatchError } from './errors.js';
import { heavyBall, scaleBy } from './fixtures/heavy-ball.js';
import { applyUpdates, chain } from './transform.js';

describe('chain', () => {
  it('feeds each part the previous part’s updates, in order', async () => {
    const params = { w: tf.tensor1d([1, 2]) };
    const grads = { w: tf.tensor1d([0.5, -1]) };
    const tx = chain(scaleBy(2), heavyBall(0.1, 0.9));
    const state = tx.init(params);
    const r = tx.update(grads, state, params);
    // scale: g·2 = [1, −2]; heavy ball from v = 0: v = [1, −2], update = −0.1 v
    await expectClose((r.updates as { w: tf.Tensor }).w, [-0.1, 0.2]);
    const next = r.state as [Record<string, never>, { count: number; velocity: { w: tf.Tensor } }];
    expect(next[1].count).toBe(1);
    await expectClose(next[1].velocity.w, [1, -2]);
    tf.dispose([params.w, grads.w, (r.updates as { w: tf.Tensor }).w, next[1].velocity.w, (state as [unknown, { velocity: { w: tf.Tensor } }])[1].velocity.w]);
  });

  it('flattens nested chains and exposes its parts and their options', () => {
    const tx = chain(chain(scaleBy(2), scaleBy(3)), heavyBall(0.1, 0.5));
    expect(tx.name).toBe('chain');
    expect(tx.parts?.map((p) => p.name)).toEqual(['scaleBy', 'scaleBy', 'heavyBall']);
    expect(tx.parts?.[1]?.options).toEqual({ factor: 3 });
  });

  it('rejects a state that is not its own', () => {
    const tx = chain(scaleBy(2), scaleBy(3));
    expect(() => tx.update({ w: tf.scalar(1) }, [{}] as never)).toThrow(/chain of 2 transformations got a state of 1 parts/);
  });
});

describe('applyUpdates', () => {
  it('adds updates to parameters without mutating them', async () => {
    const params = { a: tf.tensor1d([1, 2]), b: [tf.scalar(3)] };
    const updates = { a: tf.tensor1d([0.5, -0.5]), b: [tf.scalar(-1)] };
    const out = applyUpdates(params, updates) as { a: tf.Tensor; b: tf.Tensor[] };
    await expectClose(out.a, [1.5, 1.5]);
    await expectClose(out.b[0] as tf.Tensor, 2);
    await expectClose(params.a, [1, 2]);
    tf.dispose([params, updates, out] as tf.TensorContainer);
  });

  it('names the path of a shape or structure mismatch', () => {
    const params = { a: tf.tensor1d([1, 2]) };
    expect(() => applyUpdates(params, { a: tf.tensor1d([1, 2, 3]) })).toThrow(/update at 'a' has shape \[3\] but the parameter has shape \[2\]/);
    expect(() => applyUpdates(params, { b: tf.tensor1d([1, 2]) })).toThrow(TreeMismatchError);
  });

  it('leaks nothing beyond its result', async () => {
    const p = { a: tf.ones([3]) };
    const u = { a: tf.ones([3]) };
    await expectNoLeaks(() => tf.dispose(applyUpdates(p, u) as tf.TensorContainer));
    tf.dispose([p.a, u.a]);
  });
});
