import { expectClose, expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { DisposedError, StateError, TreeMismatchError, ValueError } from '../errors.js';
import { heavyBall, scaleBy } from '../fixtures/heavy-ball.js';
import { chain, type GradientTransformation } from '../transform.js';
import { flatten, type Tree } from '../tree.js';
import { Optimizer, type SavedOptimizerState } from './optimizer.js';

const makeParams = () => ({ a: tf.variable(tf.tensor1d([1, 2])), b: { c: tf.variable(tf.scalar(3)) } });
type Params = ReturnType<typeof makeParams>;
const makeGrads = () => ({ a: tf.tensor1d([0.5, -1]), b: { c: tf.scalar(2) } });
const disposeTree = (t: Tree<tf.Tensor>) => tf.dispose(flatten(t).map((e) => e.value));
const read = async (p: Params) => [...(await p.a.data()), ...(await p.b.c.data())];

describe('Optimizer', () => {
  it('steps a tree of variables in place (hand-computed heavy ball, η = 0.1, μ = 0.9)', async () => {
    const params = makeParams();
    const opt = new Optimizer(params, heavyBall(0.1, 0.9), { fused: false });
    const grads = makeGrads();
    opt.step(grads);
    // v = g; θ ← θ − 0.1 v
    await expectClose(params.a, [0.95, 2.1]);
    await expectClose(params.b.c, 2.8);
    opt.step(grads);
    // v = 0.9·g + g = 1.9 g; θ ← θ − 0.19 g
    await expectClose(params.a, [0.855, 2.29]);
    await expectClose(params.b.c, 2.42);
    expect(opt.stepCount).toBe(2);
    expect(opt.lastStepPath).toBe('reference');
    // the grads are neither kept nor disposed
    expect(grads.a.isDisposed).toBe(false);
    disposeTree(grads);
    opt.dispose();
    disposeTree(params);
  });

  it('minimize returns the loss as a number and descends', async () => {
    const params = { w: tf.variable(tf.tensor1d([3, -4])) };
    const opt = new Optimizer(params, heavyBall(0.1, 0));
    const loss = (p: { w: tf.Tensor }) => tf.sum(tf.square(p.w));
    const first = await opt.minimize(loss);
    expect(first).toBeCloseTo(25, 4);
    // w ← w − 0.1·2w = 0.8 w, so the loss falls by 0.64 per step
    const second = await opt.minimize(loss);
    expect(second).toBeCloseTo(25 * 0.64, 3);
    opt.dispose();
    params.w.dispose();
  });

  it('evaluates schedules at each step', async () => {
    const params = { w: tf.variable(tf.scalar(0)) };
    const opt = new Optimizer(
      params,
      heavyBall((t) => (t + 1) * 0.1, 0),
      { fused: false },
    );
    const g = { w: tf.scalar(1) };
    for (let i = 0; i < 3; i++) opt.step(g);
    await expectClose(params.w, -(0.1 + 0.2 + 0.3));
    opt.dispose();
    tf.dispose([params.w, g.w]);
  });

  it('saveState → JSON → loadState continues bit-identically to an uninterrupted run', async () => {
    const tx = () =>
      chain(
        scaleBy(0.5),
        heavyBall((t) => 0.1 / (1 + t), 0.9),
      );
    const gradsAt = (t: number) => ({ a: tf.tensor1d([Math.sin(t), Math.cos(3 * t)]), b: { c: tf.scalar(0.1 * t - 0.3) } });
    const run = (opt: Optimizer, from: number, to: number) => {
      for (let t = from; t < to; t++) {
        const g = gradsAt(t);
        opt.step(g);
        disposeTree(g);
      }
    };
    const straight = makeParams();
    const a = new Optimizer(straight, tx());
    run(a, 0, 10);

    const first = makeParams();
    const b = new Optimizer(first, tx());
    run(b, 0, 5);
    const saved = JSON.parse(JSON.stringify(await b.saveState())) as SavedOptimizerState;
    const resumed = { a: tf.variable(tf.tensor1d(await first.a.data())), b: { c: tf.variable(tf.scalar((await first.b.c.data())[0] as number)) } };
    const c = new Optimizer(resumed, tx());
    c.loadState(saved);
    expect(c.stepCount).toBe(5);
    run(c, 5, 10);

    expect(await read(resumed)).toEqual(await read(straight));
    const [sa, sc] = [await a.saveState(), await c.saveState()];
    expect(sc.state).toEqual(sa.state);
    for (const o of [a, b, c]) o.dispose();
    for (const p of [straight, first, resumed]) disposeTree(p);
  });

  it('does not dispose a gradient that a transformation keeps as its state', async () => {
    const keepLast: GradientTransformation<{ last: Tree<tf.Tensor> }> = {
      name: 'keepLast',
      options: {},
      init: (params) => ({ last: params }),
      update: (grads) => ({ updates: grads, state: { last: grads } }),
    };
    const params = { w: tf.variable(tf.tensor1d([1, 2])) };
    const opt = new Optimizer(params, keepLast, { fused: false });
    const g = { w: tf.tensor1d([0.5, 0.5]) };
    opt.step(g);
    expect(g.w.isDisposed).toBe(false);
    await expectClose(g.w, [0.5, 0.5]);
    await expectClose(params.w, [1.5, 2.5]);
    expect((await opt.saveState()).state['last.w']).toMatchObject({ shape: [2] });
    opt.dispose();
    tf.dispose([params.w, g.w]);
  });

  it('minimize leaks nothing when the step is rejected', async () => {
    const params = { w: tf.variable(tf.scalar(1)) };
    const opt = new Optimizer(
      params,
      heavyBall((t) => (t === 0 ? 0.1 : Number.NaN), 0),
    );
    await opt.minimize((p) => tf.square(p.w));
    const before = tf.memory().numTensors;
    await expect(opt.minimize((p) => tf.square(p.w))).rejects.toThrow(/schedule value at step 1/);
    expect(tf.memory().numTensors).toBe(before);
    opt.dispose();
    params.w.dispose();
  });

  it('leaks no tensors over 200 steps (and none after dispose)', async () => {
    const params = makeParams();
    const grads = makeGrads();
    await expectNoLeaks(async () => {
      const opt = new Optimizer(params, chain(scaleBy(0.1), heavyBall(0.01, 0.9)));
      for (let i = 0; i < 200; i++) opt.step(grads);
      await opt.minimize((p) => tf.sum(tf.square(p.a)));
      opt.dispose();
    });
    disposeTree(grads);
    disposeTree(params);
  });

  describe('bad input leaves parameters and state exactly as they were', () => {
    const cases: [string, () => Tree<tf.Tensor>, RegExp][] = [
      ['a missing key', () => ({ a: tf.tensor1d([1, 1]), b: {} }), /missing 'b\.c'/],
      ['an extra key', () => ({ a: tf.tensor1d([1, 1]), b: { c: tf.scalar(1), d: tf.scalar(1) } }), /unexpected 'b\.d'/],
      ['a shape mismatch', () => ({ a: tf.tensor1d([1, 1, 1]), b: { c: tf.scalar(1) } }), /gradient at 'a' has shape \[3\] but the parameter has shape \[2\]/],
      ['a dtype mismatch', () => ({ a: tf.tensor1d([1, 1]), b: { c: tf.scalar(1, 'int32') } }), /gradient at 'b\.c' has dtype int32/],
      ['a non-tensor leaf', () => ({ a: tf.tensor1d([1, 1]), b: { c: 7 as unknown as tf.Tensor } }), /gradient at 'b\.c' is number/],
    ];
    for (const [what, bad, message] of cases) {
      it(`grads with ${what}: TreeMismatchError naming the path`, async () => {
        const params = makeParams();
        const opt = new Optimizer(params, heavyBall(0.1, 0.9));
        const g = makeGrads();
        opt.step(g);
        const [before, state] = [await read(params), await opt.saveState()];
        const grads = bad();
        expect(() => opt.step(grads)).toThrow(TreeMismatchError);
        expect(() => opt.step(grads)).toThrow(message);
        expect(await read(params)).toEqual(before);
        expect(await opt.saveState()).toEqual(state);
        expect(opt.stepCount).toBe(1);
        tf.dispose(
          flatten(grads)
            .map((e) => e.value)
            .filter((v) => v instanceof tf.Tensor),
        );
        disposeTree(g);
        opt.dispose();
        disposeTree(params);
      });
    }

    it('a transformation that throws mid-update: nothing applied, nothing leaked', async () => {
      const failing: GradientTransformation = {
        name: 'failing',
        options: {},
        init: () => ({}),
        update: () => {
          tf.ones([4]);
          throw new Error('boom');
        },
      };
      const params = makeParams();
      const opt = new Optimizer(params, chain(heavyBall(0.1, 0.9), failing));
      const g = makeGrads();
      const [before, state, tensors] = [await read(params), await opt.saveState(), tf.memory().numTensors];
      expect(() => opt.step(g)).toThrow('boom');
      expect(tf.memory().numTensors).toBe(tensors);
      expect(await read(params)).toEqual(before);
      expect(await opt.saveState()).toEqual(state);
      disposeTree(g);
      opt.dispose();
      disposeTree(params);
    });

    it('a schedule that turns non-finite at step 1: HyperParameterError, nothing applied', async () => {
      const params = makeParams();
      const opt = new Optimizer(
        params,
        heavyBall((t) => (t === 0 ? 0.1 : Number.NaN), 0.9),
      );
      const g = makeGrads();
      opt.step(g);
      const before = await read(params);
      expect(() => opt.step(g)).toThrow(/learningRate must be a finite number \(schedule value at step 1\)/);
      expect(await read(params)).toEqual(before);
      disposeTree(g);
      opt.dispose();
      disposeTree(params);
    });
  });

  describe('loadState rejects state that does not fit, and changes nothing', () => {
    it('from another transformation, another tree, other shapes, or not gradkit state', async () => {
      const params = makeParams();
      const opt = new Optimizer(params, heavyBall(0.1, 0.9));
      const g = makeGrads();
      opt.step(g);
      const saved = await opt.saveState();

      const other = new Optimizer({ x: tf.variable(tf.tensor1d([1, 2])) }, heavyBall(0.1, 0.9));
      expect(() => other.loadState(saved)).toThrow(StateError);
      expect(() => other.loadState(saved)).toThrow(/the state has no parameter 'x'/);
      const wider = new Optimizer({ a: tf.variable(tf.tensor1d([1, 2, 3])), b: { c: tf.variable(tf.scalar(3)) } }, heavyBall(0.1, 0.9));
      expect(() => wider.loadState(saved)).toThrow(/parameter 'a' was float32\[2\] in the saved state, here it is float32\[3\]/);
      const chained = new Optimizer(makeParams(), chain(scaleBy(1), heavyBall(0.1, 0.9)));
      expect(() => chained.loadState(saved)).toThrow(/saved by 'heavyBall' but this optimizer runs 'chain\(scaleBy, heavyBall\)'/);
      expect(() => opt.loadState({ hello: 1 } as never)).toThrow(/not gradkit optimizer state/);
      const corrupt = { ...saved, state: { ...saved.state, 'velocity.a': { shape: [2], dtype: 'float32', data: 'AAAA' } } } as SavedOptimizerState;
      const before = await opt.saveState();
      expect(() => opt.loadState(corrupt)).toThrow(/'velocity\.a' has 3 bytes, expected 8/);
      expect(await opt.saveState()).toEqual(before);
      for (const o of [other, wider, chained]) {
        o.dispose();
        disposeTree(o.params);
      }
      disposeTree(g);
      opt.dispose();
      disposeTree(params);
    });
  });

  it('rejects parameters that are not float32 variables, or the same variable twice', () => {
    const t = tf.tensor1d([1]);
    expect(() => new Optimizer({ t }, heavyBall(0.1, 0))).toThrow(ValueError);
    expect(() => new Optimizer({ t }, heavyBall(0.1, 0))).toThrow(/'t' is not a tf\.Variable/);
    const v = tf.variable(tf.tensor1d([1]));
    expect(() => new Optimizer({ x: v, y: [v] }, heavyBall(0.1, 0))).toThrow(/same variable is at 'x' and 'y\.0'/);
    expect(() => new Optimizer({}, heavyBall(0.1, 0))).toThrow(/no variables/);
    tf.dispose([t, v]);
  });

  it('cannot be used after dispose', () => {
    const params = makeParams();
    const opt = new Optimizer(params, heavyBall(0.1, 0.9));
    opt.dispose();
    expect(() => opt.step(makeGrads())).toThrow(DisposedError);
    disposeTree(params);
  });
});
