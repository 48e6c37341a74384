// Test helpers shared by the Adam-family and building-block tests (test code only: index.ts never
// imports this file). The problem is sgd.test.ts's: f(θ) = Σ aᵢθᵢ² + bᵢθᵢ over two parameters, so
// gᵢ = 2aᵢθᵢ + bᵢ depends on the trajectory. References run the same problem in float64 on the host.
import { applyUpdates, type GradientTransformation, HyperParameterError, Optimizer, type Schedule, type StateTree } from '@gradkit/core';
import { expectClose, expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';

export const A = [0.5, 1.5, 0.25, 2, 1];
export const B = [0.1, -0.3, 0.2, 0, -1];
export const THETA0 = [1, -2, 0.5, 3, -0.75];

/** The parameter tree of the test problem: a vector and a 1×2 matrix. */
export type Params = { w: tf.Tensor; v: tf.Tensor };

export const lossOf = (p: Params): tf.Scalar => {
  const theta = tf.concat([p.w, tf.reshape(p.v, [-1])]);
  return tf.sum(tf.add(tf.mul(tf.tensor1d(A), tf.square(theta)), tf.mul(tf.tensor1d(B), theta)));
};
/** The parameters as variables (tf.tidy frees the tensors they were made from; variables survive it). */
export const makeParams = () => tf.tidy(() => ({ w: tf.variable(tf.tensor1d(THETA0.slice(0, 3))), v: tf.variable(tf.tensor2d([THETA0.slice(3)])) }));
export const readTheta = async (p: Params): Promise<number[]> => [...(await p.w.data()), ...(await p.v.data())];

/** ∇f at θ, in float64. */
export const gradAt = (theta: readonly number[]): number[] => theta.map((p, i) => 2 * (A[i] as number) * p + (B[i] as number));

/** A hyper-parameter's value at step t in a reference: the default, the constant, or the schedule's value. */
export const at = (h: number | Schedule | undefined, t: number, fallback: number): number => (h === undefined ? fallback : typeof h === 'function' ? h(t) : h);

/** Runs `steps` `Optimizer.step`s on a scalar θ₀ with a constant gradient g and returns θ after each. */
export async function constantGradientSteps(tx: GradientTransformation, theta0: number, g: number, steps: number): Promise<number[]> {
  const params = { w: tf.tidy(() => tf.variable(tf.scalar(theta0))) };
  const opt = new Optimizer(params, tx);
  const grads = { w: tf.scalar(g) };
  const seen: number[] = [];
  for (let i = 0; i < steps; i++) {
    opt.step(grads);
    seen.push((await params.w.data())[0] as number);
  }
  opt.dispose();
  tf.dispose([params.w, grads.w]);
  return seen;
}

/** Runs `steps` steps of the functional path (init/update/applyUpdates in tf.tidy) and returns θ. */
export async function runFunctional(tx: GradientTransformation, steps: number): Promise<number[]> {
  let params: Params = { w: tf.tensor1d(THETA0.slice(0, 3)), v: tf.tensor2d([THETA0.slice(3)]) };
  let state: StateTree = tx.init(params);
  for (let t = 0; t < steps; t++) {
    const next = tf.tidy(() => {
      const [gw, gv] = tf.grads((w: tf.Tensor, v: tf.Tensor) => lossOf({ w, v }))([params.w, params.v]);
      const r = tx.update({ w: gw as tf.Tensor, v: gv as tf.Tensor }, state, params);
      return { params: applyUpdates(params, r.updates), state: r.state } as unknown as tf.TensorContainerObject;
    }) as unknown as { params: Params; state: StateTree };
    tf.dispose([params.w, params.v, state as tf.TensorContainer]);
    params = next.params;
    state = next.state;
  }
  const theta = await readTheta(params);
  tf.dispose([params.w, params.v, state as tf.TensorContainer]);
  return theta;
}

/** Runs `steps` `Optimizer.minimize` steps and returns θ. */
export async function runOptimizer(tx: GradientTransformation, steps: number, fused: boolean): Promise<number[]> {
  const params = makeParams();
  const opt = new Optimizer(params, tx, { fused });
  for (let t = 0; t < steps; t++) await opt.minimize(lossOf);
  const theta = await readTheta(params);
  opt.dispose();
  tf.dispose([params.w, params.v]);
  return theta;
}

/** Registers the trajectory tests of one configuration: the functional path and the runner, fused and not. */
export function trajectoryTests(what: string, makeTx: () => GradientTransformation, expected: readonly number[], steps: number): void {
  it(`${what}: the functional path follows the reference trajectory`, async () => {
    await expectClose(await runFunctional(makeTx(), steps), [...expected], { rtol: 1e-5, what });
  });
  for (const fused of [true, false]) {
    it(`${what}: the Optimizer runner (${fused ? 'fused where a kernel applies' : 'reference path'}) follows the reference trajectory`, async () => {
      await expectClose(await runOptimizer(makeTx(), steps, fused), [...expected], { rtol: 1e-5, what });
    });
  }
}

/** Registers the saveState → JSON → loadState test: 3 + 3 steps equal 6 uninterrupted steps exactly. */
export function roundTripTest(makeTx: () => GradientTransformation): void {
  it('saveState → JSON → loadState continues exactly (moments and count included)', async () => {
    const straight = makeParams();
    const a = new Optimizer(straight, makeTx());
    for (let t = 0; t < 6; t++) await a.minimize(lossOf);
    const half = makeParams();
    const b = new Optimizer(half, makeTx());
    for (let t = 0; t < 3; t++) await b.minimize(lossOf);
    const saved = JSON.parse(JSON.stringify(await b.saveState()));
    const c = new Optimizer(half, makeTx());
    c.loadState(saved);
    expect(c.stepCount).toBe(3);
    for (let t = 0; t < 3; t++) await c.minimize(lossOf);
    expect(await readTheta(half)).toEqual(await readTheta(straight));
    for (const o of [a, b, c]) o.dispose();
    tf.dispose([straight.w, straight.v, half.w, half.v]);
  });
}

/** Registers the 200-step leak test: `Optimizer.step` with fixed gradients, for each transformation. */
export function leakTest(makeTxs: readonly (() => GradientTransformation)[]): void {
  it('leaks no tensors over 200 steps', async () => {
    const params = makeParams();
    const grads = { w: tf.tensor1d([0.3, -0.2, 0.1]), v: tf.tensor2d([[0.5, -0.4]]) };
    for (const makeTx of makeTxs) {
      const opt = new Optimizer(params, makeTx());
      await expectNoLeaks(
        () => {
          for (let t = 0; t < 200; t++) opt.step(grads);
        },
        { what: '200 steps' },
      );
      await expectNoLeaks(() => tf.tidy(() => void makeTx().update(grads, makeTx().init(params), params)), { what: 'a functional update in tf.tidy' });
      expect(opt.stepCount).toBe(200);
      opt.dispose();
    }
    tf.dispose([params.w, params.v, grads.w, grads.v]);
  });
}

/** Registers one test per bad input: `make()` throws a HyperParameterError whose `field` is `field` and whose message matches. */
export function badHyperTests(cases: readonly [string, () => unknown, string, RegExp][]): void {
  for (const [what, make, field, message] of cases) {
    it(`${what} → HyperParameterError on '${field}'`, () => {
      let caught: unknown;
      try {
        make();
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(HyperParameterError);
      expect((caught as HyperParameterError).field).toBe(field);
      expect((caught as Error).message).toMatch(message);
    });
  }
}

/** The standard bad inputs of an optimizer with learningRate, betas, epsilon and weightDecay options. */
export function standardBadInputs(make: (o: Record<string, unknown>) => unknown, fields: readonly string[]): [string, () => unknown, string, RegExp][] {
  const cases: [string, () => unknown, string, RegExp][] = [
    ['learningRate 0', () => make({ learningRate: 0 }), 'learningRate', /learningRate must be in \(0, ∞\), got 0/],
    ['learningRate −0.1', () => make({ learningRate: -0.1 }), 'learningRate', /got -0\.1/],
    ['learningRate NaN', () => make({ learningRate: Number.NaN }), 'learningRate', /finite number/],
    ['learningRate schedule going negative', () => make({ learningRate: () => -1 }), 'learningRate', /schedule value at step 0/],
    ['beta1 −0.1', () => make({ beta1: -0.1 }), 'beta1', /beta1 must be in \[0, 1\)/],
    ['beta1 1', () => make({ beta1: 1 }), 'beta1', /beta1 must be in \[0, 1\), got 1/],
    ['beta2 1.5', () => make({ beta2: 1.5 }), 'beta2', /beta2 must be in \[0, 1\)/],
    ['beta2 NaN', () => make({ beta2: Number.NaN }), 'beta2', /finite number/],
    ['epsilon 0', () => make({ epsilon: 0 }), 'epsilon', /epsilon must be in \(0, ∞\)/],
    ['epsilon −1e-8', () => make({ epsilon: -1e-8 }), 'epsilon', /epsilon must be in \(0, ∞\)/],
    ['weightDecay −1e-2', () => make({ weightDecay: -1e-2 }), 'weightDecay', /weightDecay must be in \[0, ∞\)/],
    ['options not an object', () => make(0.1 as unknown as Record<string, unknown>), 'options', /options object/],
  ];
  return cases.filter(([, , field]) => field === 'options' || fields.includes(field));
}
