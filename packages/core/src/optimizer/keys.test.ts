// Trees are paired by key, never by position (issue 12): gradients, updates and state in any key order.
import { expectClose } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { TreeMismatchError } from '../errors.js';
import { heavyBall } from '../fixtures/heavy-ball.js';
import { applyUpdates, chain } from '../transform.js';
import { Optimizer } from './optimizer.js';

describe('pairing by key', () => {
  for (const fused of [true, false]) {
    it(`opt.step({ w2: g2, w1: g1 }) for params { w1, w2 } gives each parameter its own gradient (fused: ${fused})`, async () => {
      const params = { w1: tf.variable(tf.tensor1d([1, 1])), w2: tf.variable(tf.tensor1d([10, 10])) };
      const opt = new Optimizer(params, chain(heavyBall(0.1, 0.9)), { fused });
      const grads = { w2: tf.tensor1d([5, 5]), w1: tf.tensor1d([1, 2]) };
      opt.step(grads);
      opt.step(grads);
      // heavy ball, η = 0.1, μ = 0.9: v₁ = g, v₂ = 1.9 g; w −= 0.1·g + 0.19·g = 0.29 g
      await expectClose(params.w1, [1 - 0.29 * 1, 1 - 0.29 * 2]);
      await expectClose(params.w2, [10 - 0.29 * 5, 10 - 0.29 * 5]);
      const state = await opt.saveState();
      expect(Object.keys(state.state)).toEqual(['0.count', '0.velocity.w1', '0.velocity.w2']);
      expect((state.state['0.velocity.w1'] as { shape: readonly number[] }).shape).toEqual([2]);
      opt.dispose();
      tf.dispose([params.w1, params.w2, grads.w1, grads.w2]);
    });
  }

  it('the functional path: update with gradients in another key order, then applyUpdates', async () => {
    const params = { a: tf.tensor1d([1, 2]), b: tf.scalar(3) };
    const tx = heavyBall(0.5, 0);
    const state = tx.init(params);
    const r = tx.update({ b: tf.scalar(4), a: tf.tensor1d([2, 0]) }, state, params);
    const next = applyUpdates(params, r.updates) as { a: tf.Tensor; b: tf.Tensor };
    await expectClose(next.a, [0, 2]);
    await expectClose(next.b, 1);
    // and applyUpdates pairs by key too
    const swapped = applyUpdates(params, { b: tf.scalar(1), a: tf.tensor1d([1, 1]) }) as { a: tf.Tensor; b: tf.Tensor };
    await expectClose(swapped.a, [2, 3]);
    await expectClose(swapped.b, 4);
  });

  it('a genuinely different structure keeps its typed error, naming the path', () => {
    const params = { layer: { w: tf.variable(tf.scalar(1)), b: tf.variable(tf.scalar(2)) } };
    const opt = new Optimizer(params, heavyBall(0.1, 0));
    let error: unknown;
    try {
      opt.step({ layer: { w: tf.scalar(1), bias: tf.scalar(1) } } as never);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TreeMismatchError);
    expect((error as TreeMismatchError).path).toBe('layer.b');
    opt.dispose();
    tf.dispose([params.layer.w, params.layer.b]);
  });

  it("keys named like Object.prototype's members ('constructor', 'toString') are ordinary keys", async () => {
    const params = { constructor: tf.variable(tf.scalar(1)), toString: tf.variable(tf.scalar(2)) } as unknown as Record<string, tf.Variable>;
    const opt = new Optimizer(params, heavyBall(1, 0));
    expect(() => opt.step({ constructor: tf.scalar(1) } as never)).toThrow(TreeMismatchError);
    opt.step({ toString: tf.scalar(1), constructor: tf.scalar(0.5) } as never);
    await expectClose(params.constructor as unknown as tf.Variable, 0.5);
    await expectClose(params.toString as unknown as tf.Variable, 1);
    opt.dispose();
  });
});
