// loadState validates everything before it changes anything (issue 12).
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { StateError } from '../errors.js';
import { heavyBall } from '../fixtures/heavy-ball.js';
import type { GradientTransformation } from '../transform.js';
import { map } from '../tree.js';
import { Optimizer, type SavedOptimizerState } from './optimizer.js';

/** A second-moment accumulator: s ← s + g²; update = −g/√(s + 1e-8). Its state declares s ≥ 0. */
const rms: GradientTransformation = {
  name: 'rms',
  options: {},
  stateChecks: { sumSq: 'nonNegative' },
  init: (params) => ({ count: 0, sumSq: map(params, (p) => tf.zerosLike(p)) }),
  update: (grads, state) => {
    const s = state as { count: number; sumSq: { w: tf.Tensor } };
    const g = (grads as { w: tf.Tensor }).w;
    const sumSq = tf.add(s.sumSq.w, tf.square(g));
    return { updates: { w: tf.neg(tf.div(g, tf.sqrt(tf.add(sumSq, 1e-8)))) }, state: { count: s.count + 1, sumSq: { w: sumSq } } };
  },
};

const f32 = (values: number[]) => btoa(String.fromCharCode(...new Uint8Array(new Float32Array(values).buffer)));

describe('loadState validates the values it loads', () => {
  const setup = async () => {
    const params = { w: tf.variable(tf.tensor1d([1, 2])) };
    const opt = new Optimizer(params, rms);
    const g = { w: tf.tensor1d([3, 4]) };
    opt.step(g);
    g.w.dispose();
    return { params, opt, saved: await opt.saveState(), w: Array.from(await params.w.data()) };
  };
  const edits: [string, string, (s: SavedOptimizerState) => SavedOptimizerState][] = [
    ['a count of −5', 'count', (s) => ({ ...s, state: { ...s.state, count: -5 } })],
    ['a count of 2.5', 'count', (s) => ({ ...s, state: { ...s.state, count: 2.5 } })],
    ['a count of 1e300', 'count', (s) => ({ ...s, state: { ...s.state, count: 1e300 } })],
    ['a stepCount of −1', 'stepCount', (s) => ({ ...s, stepCount: -1 })],
    ['a stepCount of NaN', 'stepCount', (s) => ({ ...s, stepCount: Number.NaN })],
    [
      'a second moment holding NaN',
      'sumSq.w',
      (s) => ({ ...s, state: { ...s.state, 'sumSq.w': { shape: [2], dtype: 'float32', data: f32([1, Number.NaN]) } } }),
    ],
    ['a negative second moment', 'sumSq.w', (s) => ({ ...s, state: { ...s.state, 'sumSq.w': { shape: [2], dtype: 'float32', data: f32([-1, 4]) } } })],
    [
      'an infinite second moment',
      'sumSq.w',
      (s) => ({ ...s, state: { ...s.state, 'sumSq.w': { shape: [2], dtype: 'float32', data: f32([Number.POSITIVE_INFINITY, 4]) } } }),
    ],
    ['a tensor of another shape', 'sumSq.w', (s) => ({ ...s, state: { ...s.state, 'sumSq.w': { shape: [3], dtype: 'float32', data: f32([1, 2, 3]) } } })],
    ['a missing leaf', 'sumSq.w', (s) => ({ ...s, state: { count: 1 } })],
    ['null', 'format', () => null as never],
  ];
  for (const [what, path, edit] of edits) {
    it(`${what}: StateError naming '${path}', nothing changed`, async () => {
      const { params, opt, saved, w } = await setup();
      const json = JSON.parse(JSON.stringify(saved)) as SavedOptimizerState;
      let error: unknown;
      try {
        opt.loadState(edit(json));
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(StateError);
      expect((error as StateError).path).toBe(path);
      expect(await opt.saveState()).toEqual(saved);
      expect(Array.from(await params.w.data())).toEqual(w);
      expect(opt.stepCount).toBe(1);
      opt.dispose();
      params.w.dispose();
    });
  }

  it('the unedited state loads, and a state without the metrics a transformation reports still loads', async () => {
    const { params, opt, saved } = await setup();
    opt.loadState(JSON.parse(JSON.stringify(saved)));
    const withMetric: GradientTransformation = {
      ...heavyBall(0.1, 0),
      name: 'measured',
      metrics: ['last'],
      stateChecks: { last: 'measured' },
      init: (p) => ({ ...heavyBall(0.1, 0).init(p), last: tf.scalar(0) }),
    };
    const other = new Optimizer({ w: tf.variable(tf.scalar(1)) }, withMetric);
    const s = await other.saveState();
    const { last: _dropped, ...rest } = s.state as Record<string, unknown>;
    other.loadState({ ...s, state: rest as SavedOptimizerState['state'] });
    expect(() => other.loadState({ ...s, state: { ...s.state, count: 3.5 } })).toThrow(StateError);
    for (const o of [opt, other]) o.dispose();
    params.w.dispose();
  });
});
