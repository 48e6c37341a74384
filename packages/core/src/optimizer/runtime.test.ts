// What users read and change at run time: hyperParams(), metrics(), reportMetric(), setTransform().
import { expectClose, expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { StateError, ValueError } from '../errors.js';
import { heavyBall } from '../fixtures/heavy-ball.js';
import { partition } from '../partition.js';
import { chain, type GradientTransformation } from '../transform.js';
import { map } from '../tree.js';
import { Optimizer } from './optimizer.js';

/** Records ‖g‖ of the last step as a metric (a stand-in for clipByGlobalNorm's norm). */
const measure: GradientTransformation = {
  name: 'measure',
  options: {},
  metrics: ['norm'],
  init: () => ({ norm: tf.scalar(0) }),
  update: (grads) => ({ updates: map(grads, (g) => tf.clone(g)), state: { norm: tf.sqrt(tf.sum(tf.square((grads as { w: tf.Tensor }).w))) } }),
};

/** Adds the reported metric to every update (so a test sees exactly when it arrives). */
const addMetric: GradientTransformation = {
  name: 'addMetric',
  options: {},
  init: () => ({}),
  update: (grads, state, _p, extras) => ({ updates: map(grads, (g) => (extras?.metric ? tf.add(g, extras.metric) : tf.clone(g))), state }),
};

describe('Optimizer at run time', () => {
  it('hyperParams(): every part at the current step, schedules evaluated, keyed by part', () => {
    const params = { w: tf.variable(tf.scalar(1)) };
    const opt = new Optimizer(
      params,
      chain(
        heavyBall((t) => 0.1 / (1 + t), 0.9),
        heavyBall(0.5, 0),
      ),
    );
    expect(opt.hyperParams()).toEqual({ 'heavyBall[0]': { learningRate: 0.1, momentum: 0.9 }, 'heavyBall[1]': { learningRate: 0.5, momentum: 0 } });
    const g = { w: tf.scalar(1) };
    opt.step(g);
    opt.step(g);
    expect(opt.hyperParams()['heavyBall[0]']?.learningRate).toBeCloseTo(0.1 / 3, 12);
    opt.dispose();
    tf.dispose([params.w, g.w]);
  });

  it('hyperParams() of a partition names each group', () => {
    const params = { a: tf.variable(tf.scalar(1)), b: tf.variable(tf.scalar(1)) };
    const opt = new Optimizer(
      params,
      partition({ slow: heavyBall(0.01, 0), fast: heavyBall(1, 0) }, (p) => (p === 'a' ? 'slow' : 'fast')),
    );
    expect(opt.hyperParams()).toEqual({
      'partition/slow/heavyBall': { learningRate: 0.01, momentum: 0 },
      'partition/fast/heavyBall': { learningRate: 1, momentum: 0 },
    });
    opt.dispose();
    tf.dispose([params.a, params.b]);
  });

  it('metrics(): what a part measured at the last step, read without blocking a step', async () => {
    const params = { w: tf.variable(tf.tensor1d([0, 0])) };
    const opt = new Optimizer(params, chain(measure, heavyBall(0.1, 0)));
    const g = { w: tf.tensor1d([3, 4]) };
    expect(await opt.metrics()).toEqual({ 'measure.norm': 0 });
    opt.step(g);
    const pending = opt.metrics();
    opt.step({ w: tf.tensor1d([6, 8]) });
    expect(await pending).toEqual({ 'measure.norm': 5 }); // taken when called: the second step does not tear it
    expect((await opt.metrics())['measure.norm']).toBeCloseTo(10, 5);
    await expectNoLeaks(() => opt.metrics());
    opt.dispose();
    tf.dispose([params.w, g.w]);
  });

  it('reportMetric(v): the next step, and only it, sees extras.metric = v', async () => {
    const params = { w: tf.variable(tf.scalar(0)) };
    const opt = new Optimizer(params, chain(addMetric, heavyBall(1, 0)));
    const g = { w: tf.scalar(1) };
    opt.step(g); // w = −1
    opt.reportMetric(0.25);
    opt.reportMetric(2); // replaces 0.25
    opt.step(g); // w = −1 − 3
    opt.step(g); // w = −4 − 1
    await expectClose(params.w, -5);
    expect(() => opt.reportMetric(tf.tensor1d([1, 2]) as never)).toThrow(ValueError);
    opt.dispose();
    tf.dispose([params.w, g.w]);
  });

  it('setTransform(): another learning rate, the momentum kept; another structure refused', async () => {
    const params = { w: tf.variable(tf.scalar(0)) };
    const opt = new Optimizer(params, heavyBall(0.1, 0.5));
    const g = { w: tf.scalar(1) };
    opt.step(g); // v = 1, w = −0.1
    opt.setTransform(heavyBall(1, 0.5));
    opt.step(g); // v = 0.5 + 1 = 1.5, w = −0.1 − 1.5
    await expectClose(params.w, -1.6);
    expect(opt.hyperParams()).toEqual({ heavyBall: { learningRate: 1, momentum: 0.5 } });
    expect(() => opt.setTransform(chain(heavyBall(1, 0), heavyBall(1, 0)))).toThrow(StateError);
    opt.dispose();
    tf.dispose([params.w, g.w]);
  });
});
