// loadState refuses second moments and accumulators that cannot be (negative, NaN): each optimizer
// declares `stateChecks` for its squared state (issue 12: they produced NaN parameters).
import { Optimizer, type SavedOptimizerState, StateError } from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { adabelief, adadelta, adafactor, adagrad, adam, adamax, lamb, nadam, radam, rmsprop, scaleByAdam } from './index.js';

const f32 = (values: number[]) => btoa(String.fromCharCode(...new Uint8Array(new Float32Array(values).buffer)));

const cases: [string, () => ReturnType<typeof adam>, string][] = [
  ['adam', () => adam(), 'nu.w'],
  ['adam (amsgrad)', () => adam({ amsgrad: true }), 'nuMax.w'],
  ['scaleByAdam', () => scaleByAdam() as never, 'nu.w'],
  ['adabelief', () => adabelief() as never, 'nu.w'],
  ['adadelta', () => adadelta() as never, 'accDelta.w'],
  ['adagrad', () => adagrad() as never, 'sum.w'],
  ['adamax', () => adamax() as never, 'nu.w'],
  ['lamb', () => lamb() as never, 'nu.w'],
  ['nadam', () => nadam() as never, 'nu.w'],
  ['radam', () => radam() as never, 'nu.w'],
  ['rmsprop', () => rmsprop() as never, 'squareAvg.w'],
  ['adafactor (unfactored)', () => adafactor() as never, 'v.w'],
];

describe('loadState checks the squared state of every optimizer', () => {
  for (const [name, make, path] of cases) {
    it(`${name}: a negative '${path}' is a StateError naming it, and the state is unchanged`, async () => {
      const params = { w: tf.variable(tf.tensor1d([1, 2])) };
      const opt = new Optimizer(params, make());
      const g = { w: tf.tensor1d([0.5, -0.25]) };
      opt.step(g);
      const saved = JSON.parse(JSON.stringify(await opt.saveState())) as SavedOptimizerState;
      expect(Object.keys(saved.state)).toContain(path);
      opt.loadState(saved); // as saved: loads
      const bad: SavedOptimizerState = { ...saved, state: { ...saved.state, [path]: { shape: [2], dtype: 'float32', data: f32([0.1, -0.1]) } } };
      let error: unknown;
      try {
        opt.loadState(bad);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(StateError);
      expect((error as StateError).path).toBe(path);
      expect(await opt.saveState()).toEqual(saved);
      opt.dispose();
      tf.dispose([params.w, g.w]);
    });
  }
});
