// Optimizer.eval() / train(): parameters moved to a transformation's evaluation point and back,
// through chains, wrappers and partition groups; all-or-nothing; no stepping in eval mode.
import { expectClose, expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { StateError, TreeMismatchError } from '../errors.js';
import { evalParams, hasEvalPoint, trainParams } from '../eval-point.js';
import { heavyBall } from '../fixtures/heavy-ball.js';
import { partition } from '../partition.js';
import { chain, type GradientTransformation, type StateTree } from '../transform.js';
import { map, type Tree } from '../tree.js';
import { Optimizer } from './optimizer.js';

/** Plain SGD at rate 0.5 whose evaluation point is the parameters plus a constant offset of 10 (exactly representable). */
const shifted: GradientTransformation = {
  name: 'shifted',
  options: {},
  init: (params) => ({ count: 0, offset: map(params, (p) => tf.fill(p.shape, 10)) }),
  update: (grads, state) => ({
    updates: map(grads, (g) => tf.mul(g, -0.5)),
    state: { ...(state as object), count: ((state as { count: number }).count ?? 0) + 1 },
  }),
  evalPoint: {
    toEval: (params, state) => ({
      params: map(params, (p, path) => tf.add(p, (state as { offset: Record<string, tf.Tensor> }).offset[path] as tf.Tensor)),
      state,
    }),
    toTrain: (params, state) => ({
      params: map(params, (p, path) => tf.sub(p, (state as { offset: Record<string, tf.Tensor> }).offset[path] as tf.Tensor)),
      state,
    }),
  },
};

/** A weight average: the state keeps `avg`; eval swaps it with the parameters (returning the state's own tensors). */
const swapping: GradientTransformation = {
  name: 'swapping',
  options: {},
  init: (params) => ({ avg: map(params, (p) => tf.mul(p, 2)) }),
  update: (grads, state) => ({ updates: map(grads, (g) => tf.neg(g)), state }),
  evalPoint: {
    toEval: (params, state) => ({ params: (state as { avg: Tree<tf.Tensor> }).avg, state: { avg: params } as StateTree }),
    toTrain: (params, state) => ({ params: (state as { avg: Tree<tf.Tensor> }).avg, state: { avg: params } as StateTree }),
  },
};

const read = async (v: tf.Tensor) => Array.from(await v.data());

describe('Optimizer.eval() / train()', () => {
  it('moves the parameters to the evaluation point and back, and refuses to step in eval mode', async () => {
    const params = { w: tf.variable(tf.tensor1d([1, 2])), b: tf.variable(tf.scalar(-1)) };
    const opt = new Optimizer(params, shifted);
    expect(opt.mode).toBe('train');
    const g = { w: tf.tensor1d([2, 4]), b: tf.scalar(2) };
    opt.step(g); // w = [0, 0], b = −2
    opt.eval();
    expect(opt.mode).toBe('eval');
    expect(await read(params.w)).toEqual([10, 10]);
    expect(await read(params.b)).toEqual([8]);
    opt.eval(); // twice is once
    expect(await read(params.w)).toEqual([10, 10]);
    const refused = (() => {
      try {
        opt.step(g);
      } catch (e) {
        return e;
      }
    })();
    expect(refused).toBeInstanceOf(StateError);
    expect((refused as StateError).path).toBe('mode');
    await expect(opt.minimize((p) => tf.sum(p.w))).rejects.toThrow(/call opt.train\(\)/);
    expect(await read(params.w)).toEqual([10, 10]);
    expect(opt.stepCount).toBe(1);
    opt.train();
    expect(opt.mode).toBe('train');
    expect(await read(params.w)).toEqual([0, 0]);
    expect(await read(params.b)).toEqual([-2]);
    opt.step(g);
    expect(await read(params.w)).toEqual([-1, -2]);
    opt.dispose();
    tf.dispose([params.w, params.b, g.w, g.b]);
  });

  it('switches the mode of an optimizer without an evaluation point, leaving the parameters', async () => {
    const params = { w: tf.variable(tf.tensor1d([1, 2])) };
    const opt = new Optimizer(params, heavyBall(0.1, 0.9));
    expect(hasEvalPoint(opt.transform)).toBe(false);
    opt.eval();
    expect(await read(params.w)).toEqual([1, 2]);
    expect(() => opt.step({ w: params.w })).toThrow(StateError);
    opt.train();
    opt.step({ w: params.w });
    await expectClose(await read(params.w), [0.9, 1.8]);
    opt.dispose();
    params.w.dispose();
  });

  it('reaches the evaluation point through a chain and a partition group, leaving the other group', async () => {
    const params = { head: { w: tf.variable(tf.tensor1d([1, 2])) }, body: tf.variable(tf.scalar(3)) };
    const tx = chain(
      heavyBall(1, 0),
      partition({ avg: shifted, plain: heavyBall(0.1, 0) }, (path) => (path.startsWith('head') ? 'avg' : 'plain')),
    );
    const opt = new Optimizer(params, tx);
    expect(hasEvalPoint(tx)).toBe(true);
    opt.eval();
    expect(await read(params.head.w)).toEqual([11, 12]);
    expect(await read(params.body)).toEqual([3]);
    opt.train();
    expect(await read(params.head.w)).toEqual([1, 2]);
    opt.dispose();
    tf.dispose([params.head.w, params.body]);
  });

  it('swaps exactly when the evaluation point is a tensor of the state, and leaks nothing', async () => {
    const params = { w: tf.variable(tf.tensor1d([1, 2])) };
    const opt = new Optimizer(params, swapping);
    await expectNoLeaks(async () => {
      opt.eval();
      expect(await read(params.w)).toEqual([2, 4]);
      opt.train();
      expect(await read(params.w)).toEqual([1, 2]);
    });
    opt.dispose();
    params.w.dispose();
  });

  it('saves the mode with the state, and a fresh optimizer loaded from it is in eval mode', async () => {
    const params = { w: tf.variable(tf.tensor1d([1, 2])) };
    const opt = new Optimizer(params, shifted);
    opt.eval();
    const saved = JSON.parse(JSON.stringify(await opt.saveState()));
    expect(saved.mode).toBe('eval');
    opt.train();
    expect((await opt.saveState()).mode).toBeUndefined();
    const again = { w: tf.variable(tf.tensor1d([11, 12])) };
    const other = new Optimizer(again, shifted);
    other.loadState(saved);
    expect(other.mode).toBe('eval');
    other.train();
    expect(await read(again.w)).toEqual([1, 2]);
    expect(() => other.loadState({ ...saved, mode: 'sideways' })).toThrow(StateError);
    opt.dispose();
    other.dispose();
    tf.dispose([params.w, again.w]);
  });

  it('changes nothing when an evaluation point returns a wrongly shaped parameter', async () => {
    const bad: GradientTransformation = {
      ...shifted,
      name: 'bad',
      evalPoint: { toEval: (_p, state) => ({ params: { w: tf.zeros([3]) }, state }), toTrain: (p, state) => ({ params: p, state }) },
    };
    const params = { w: tf.variable(tf.tensor1d([1, 2])) };
    const opt = new Optimizer(params, bad);
    await expectNoLeaks(async () => {
      expect(() => opt.eval()).toThrow(TreeMismatchError);
    });
    expect(opt.mode).toBe('train');
    expect(await read(params.w)).toEqual([1, 2]);
    opt.dispose();
    params.w.dispose();
  });

  it('evalParams / trainParams: the functional form', async () => {
    const params = { w: tf.tensor1d([1, 2]) };
    const state = shifted.init(params);
    const x = tf.tidy(() => evalParams(shifted, params, state).params as Record<string, tf.Tensor>);
    expect(await read(x.w as tf.Tensor)).toEqual([11, 12]);
    const y = tf.tidy(() => trainParams(shifted, x, state).params as Record<string, tf.Tensor>);
    expect(await read(y.w as tf.Tensor)).toEqual([1, 2]);
    tf.dispose([params.w, x.w as tf.Tensor, y.w as tf.Tensor, state as tf.TensorContainer]);
  });
});
