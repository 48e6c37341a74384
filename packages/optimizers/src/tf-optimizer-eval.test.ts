// The tfjs-layers adapter's eval point: `eval()` / `train()` / `mode` on TransformOptimizer move a
// layers model's weights between the point an optimizer trains and the point to evaluate, as core's
// Optimizer.eval()/train() do; in eval mode model.fit is a StateError and a checkpoint records the mode.
import { type GradientTransformation, type GradTree, map, type ParamTree, registerTransformation, StateError, ValueError } from '@gradkit/core';
import { expectClose, expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { adam, type TransformOptimizer, toTfOptimizer } from './index.js';
import { bitsOf, disposeAll, FIXTURES, fitFor, saveToMemory } from './tf-optimizer-fixtures.js';

const dense = FIXTURES[0] as (typeof FIXTURES)[number];

/**
 * A test transformation with an eval point that is easy to check by hand: sgd with rate 0.1, and the
 * point to evaluate is the trained weights + 1 (toEval adds 1, toTrain subtracts it).
 */
function shifted(): GradientTransformation<{ count: number }> {
  const shift = (p: ParamTree, by: number): GradTree => map(p, (t) => tf.add(t, by));
  return {
    name: 'tfOptimizerEvalTestShift',
    options: {},
    init: () => ({ count: 0 }),
    update: (grads, state) => ({ updates: map(grads, (g) => tf.mul(g, -0.1)), state: { count: state.count + 1 } }),
    evalPoint: {
      toEval: (params, state) => ({ params: shift(params, 1), state }),
      toTrain: (params, state) => ({ params: shift(params, -1), state }),
    },
  };
}

registerTransformation('tfOptimizerEvalTestShift', () => shifted(), { replace: true }); // so that model.save can write it

/** A dense fixture model, compiled with `opt`. */
function compiled(opt: tf.Optimizer): tfl.LayersModel {
  const m = dense.build();
  m.compile({ optimizer: opt, loss: 'meanSquaredError' });
  return m;
}

const weightsOf = (m: tfl.LayersModel) => Promise.all(m.getWeights().map(async (w) => Array.from(await w.data())));

describe('toTfOptimizer: eval() and train()', () => {
  it('eval() puts the weights at the eval point, fit is a StateError then, train() puts them back', async () => {
    const opt = toTfOptimizer(shifted());
    const m = compiled(opt);
    await fitFor(m, dense, 1);
    const trained = await weightsOf(m);
    expect(opt.mode).toBe('train');
    opt.eval();
    expect(opt.mode).toBe('eval');
    const atEval = await weightsOf(m);
    for (const [i, w] of atEval.entries())
      await expectClose(
        w,
        (trained[i] as number[]).map((v) => v + 1),
        { rtol: 0, atol: 1e-6 },
      );
    opt.eval(); // twice is once
    for (const [i, w] of (await weightsOf(m)).entries()) expect(w).toEqual(atEval[i]);

    // model.fit in eval mode: the step is refused before anything moved.
    const steps = opt.iterations;
    await expect(fitFor(m, dense, 1)).rejects.toThrow(StateError);
    await expect(fitFor(m, dense, 1)).rejects.toMatchObject({ path: 'mode' });
    expect(opt.iterations).toBe(steps);
    for (const [i, w] of (await weightsOf(m)).entries()) expect(w).toEqual(atEval[i]);

    opt.train();
    expect(opt.mode).toBe('train');
    for (const [i, w] of (await weightsOf(m)).entries()) await expectClose(w, trained[i] as number[], { rtol: 0, atol: 1e-6 });
    await fitFor(m, dense, 1);
    expect(opt.iterations).toBe(steps + 2);
    disposeAll(m);
  });

  it('an optimizer without an eval point keeps the weights and only changes the mode, before and after its first step', async () => {
    const opt = toTfOptimizer(adam({ learningRate: 0.01 }));
    const m = compiled(opt);
    const before = await bitsOf(m);
    opt.eval(); // before the first step: no model needed, nothing moves
    expect(opt.mode).toBe('eval');
    await expect(fitFor(m, dense, 1)).rejects.toMatchObject({ path: 'mode' });
    expect(await bitsOf(m)).toEqual(before);
    opt.train();
    await fitFor(m, dense, 1);
    const trained = await bitsOf(m);
    opt.eval();
    expect(await bitsOf(m)).toEqual(trained);
    opt.train();
    disposeAll(m);
  });

  it('before the first step an optimizer with an eval point needs the model, and then moves its weights', async () => {
    const opt = toTfOptimizer(shifted());
    const m = compiled(opt);
    const initial = await weightsOf(m);
    expect(() => opt.eval()).toThrow(StateError);
    expect(() => opt.eval()).toThrow(/pass the model, opt\.eval\(model\)/);
    expect(opt.mode).toBe('train');
    expect(() => opt.eval({ trainableWeights: [] })).toThrow(ValueError);
    opt.eval(m);
    for (const [i, w] of (await weightsOf(m)).entries())
      await expectClose(
        w,
        (initial[i] as number[]).map((v) => v + 1),
        { rtol: 0, atol: 1e-6 },
      );
    opt.train(m);
    await fitFor(m, dense, 1); // bound to the model's variables by eval(model): the same ones fit passes
    expect(opt.runner.stepCount).toBe(2);
    const other = dense.build();
    expect(() => opt.eval(other)).toThrow(/not this model's/);
    other.dispose();
    disposeAll(m);
  });

  it('a checkpoint taken in eval mode loads in eval mode, and after train(model) training continues exactly', async () => {
    const template = dense.build();
    const init = template.getWeights().map((w) => w.clone());
    template.dispose();
    const fresh = () => {
      const m = compiled(toTfOptimizer(shifted()));
      m.setWeights(init);
      return m;
    };
    // The run that evaluated after one epoch and went on.
    const straight = fresh();
    await fitFor(straight, dense, 1);
    (straight.optimizer as TransformOptimizer).eval();
    (straight.optimizer as TransformOptimizer).train();
    await fitFor(straight, dense, 1);
    const expected = await bitsOf(straight);
    disposeAll(straight);

    // The run saved in eval mode (the file holds the weights at the eval point), loaded, resumed.
    const first = fresh();
    await fitFor(first, dense, 1);
    (first.optimizer as TransformOptimizer).eval();
    const atEval = await bitsOf(first);
    const meta = (await first.optimizer.getWeights()).find((w) => w.name === 'gradkit:meta');
    expect(JSON.parse(String((await meta?.tensor.data())?.[0]))).toMatchObject({ mode: 'eval', stepCount: 2 });
    const artifacts = await saveToMemory(first);
    disposeAll(first);

    const loaded = await tfl.loadLayersModel(tf.io.fromMemory(artifacts));
    const opt = loaded.optimizer as TransformOptimizer;
    expect(opt.mode).toBe('eval');
    expect(await bitsOf(loaded)).toEqual(atEval);
    await expect(fitFor(loaded, dense, 1)).rejects.toMatchObject({ path: 'mode' });
    expect(() => opt.train()).toThrow(/pass the model, opt\.train\(model\)/);
    opt.train(loaded);
    expect(opt.mode).toBe('train');
    await fitFor(loaded, dense, 1);
    expect(await bitsOf(loaded)).toEqual(expected);
    disposeAll(loaded);
    tf.dispose(init);
  });

  it('leaks no tensors over eval() and train()', async () => {
    const opt = toTfOptimizer(shifted());
    const m = compiled(opt);
    await fitFor(m, dense, 1);
    await expectNoLeaks(
      async () => {
        for (let i = 0; i < 5; i++) {
          opt.eval();
          opt.train();
        }
      },
      { what: 'eval() and train() on the adapter' },
    );
    disposeAll(m);
  });
});
