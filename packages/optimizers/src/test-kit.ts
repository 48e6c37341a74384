// Test helpers shared by every optimizer test in this folder (test code only: index.ts never imports
// this file). A problem is f(θ) = Σ_leaves Σ A⊙θ² + B⊙θ over a tree of parameter tensors, so
// ∇ = 2A⊙θ + B depends on the trajectory; each test file transcribes its reference (PyTorch or optax)
// in float64 on the same problem, and these helpers register the tests every optimizer gets: the
// functional path and the Optimizer runner against the reference, saveState → JSON → loadState, no
// leaks over 200 steps, and a HyperParameterError naming the field for every bad input.
import { applyUpdates, flatten, type GradientTransformation, HyperParameterError, Optimizer, type Schedule, type StateTree, valueAndGrad } from '@gradkit/core';
import { expectClose, expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

/** One parameter tensor of a problem: its shape, θ₀, A and B (row-major), and the constant gradient of the leak test (a fill value or the values; default 0.1). */
export interface Leaf {
  readonly shape: readonly number[];
  readonly theta0: readonly number[];
  readonly a: readonly number[];
  readonly b: readonly number[];
  readonly g?: number | readonly number[];
}
/** A problem: its leaves by name (the parameter tree is flat). */
export type Problem = Readonly<Record<string, Leaf>>;
/** Parameter values by leaf name, row-major (what the references return and `read` gives). */
export type Flat = Record<string, number[]>;
/** A parameter tree of a problem. */
export type Params = Record<string, tf.Tensor>;

/** A vector [3] and a 1×2 matrix: the problem of sgd and the Adam family, whose references work on θ concatenated (`THETA0`, `gradAt`). */
export const SMALL: Problem = {
  w: { shape: [3], theta0: [1, -2, 0.5], a: [0.5, 1.5, 0.25], b: [0.1, -0.3, 0.2], g: [0.3, -0.2, 0.1] },
  v: { shape: [1, 2], theta0: [3, -0.75], a: [2, 1], b: [0, -1], g: [0.5, -0.4] },
};

/** A rank-2 tensor [3, 4] and a rank-1 tensor [4], for the optimizers with per-tensor statistics (and their references, written per leaf). */
export const MAIN: Problem = {
  w: {
    shape: [3, 4],
    theta0: [0.5, -1.2, 0.3, 2, -0.7, 1.1, -0.05, 0.9, -1.6, 0.25, 0.8, -0.4],
    a: [0.5, 1.5, 0.25, 2, 1, 0.75, 1.25, 0.3, 0.6, 1.8, 0.9, 0.4],
    b: [0.1, -0.3, 0.2, 0, -1, 0.5, 0.05, -0.2, 0.3, -0.6, 0.15, 0.4],
    g: 0.1,
  },
  b: { shape: [4], theta0: [0.1, -0.3, 1.5, -2.2], a: [1, 0.2, 0.7, 1.4], b: [-0.5, 0.25, 0, 0.8], g: -0.2 },
};

/** All the values of a Flat (or of a problem's leaves), concatenated in leaf order. */
export const concat = (values: Readonly<Record<string, readonly number[]>>): number[] => Object.values(values).flat();
/** θ₀ of SMALL, concatenated. */
export const THETA0 = concat(Object.fromEntries(Object.entries(SMALL).map(([k, l]) => [k, l.theta0])));
const A = concat(Object.fromEntries(Object.entries(SMALL).map(([k, l]) => [k, l.a])));
const B = concat(Object.fromEntries(Object.entries(SMALL).map(([k, l]) => [k, l.b])));
/** ∇f at θ (SMALL, concatenated), in float64. */
export const gradAt = (theta: readonly number[]): number[] => theta.map((p, i) => 2 * (A[i] as number) * p + (B[i] as number));
/** ∂f/∂θᵢ of one leaf at θᵢ = p, in float64. */
export const gradOf = (leaf: Leaf, i: number, p: number): number => 2 * (leaf.a[i] as number) * p + (leaf.b[i] as number);
/** A reference run leaf by leaf: `run(leaf)` returns that leaf's final θ. */
export const perLeaf = (problem: Problem, run: (leaf: Leaf) => number[]): Flat => Object.fromEntries(Object.entries(problem).map(([k, l]) => [k, run(l)]));
/** A hyper-parameter's value at step t in a reference: the default, the constant, or the schedule's value. */
export const at = (h: number | Schedule | null | undefined, t: number, fallback: number): number =>
  h === undefined || h === null ? fallback : typeof h === 'function' ? h(t) : h;

/** The loss of `problem` as a function of its parameter tree. */
export const lossFor =
  (problem: Problem) =>
  (p: Params): tf.Scalar =>
    tf.addN(
      Object.entries(problem).map(([k, l]) =>
        tf.sum(
          tf.add(
            tf.mul(tf.tensor(l.a as number[], l.shape as number[]), tf.square(p[k] as tf.Tensor)),
            tf.mul(tf.tensor(l.b as number[], l.shape as number[]), p[k] as tf.Tensor),
          ),
        ),
      ),
    ) as tf.Scalar;
/** θ₀ of `problem` as tensors (for the functional path). */
export const tensorsOf = (problem: Problem): Params =>
  Object.fromEntries(Object.entries(problem).map(([k, l]) => [k, tf.tensor(l.theta0 as number[], l.shape as number[])]));
/** θ₀ of `problem` as variables (tf.tidy frees the tensors they were made from; variables survive it). */
export const variablesOf = (problem: Problem): Record<string, tf.Variable> =>
  tf.tidy(() => Object.fromEntries(Object.entries(tensorsOf(problem)).map(([k, t]) => [k, tf.variable(t)])));
/** The values of a parameter tree, by leaf. */
export async function read(p: Params): Promise<Flat> {
  const out: Flat = {};
  for (const [k, t] of Object.entries(p)) out[k] = [...(await t.data())];
  return out;
}

/** Where and how the registered tests run: the problem (default SMALL), the trajectory tolerance (default rtol 1e-5, the backend's atol; `{}` is the backend's defaults), and whose trajectory the reference is (for the test names). */
export interface Bench {
  readonly problem?: Problem;
  readonly tolerance?: { readonly rtol?: number; readonly atol?: number };
  readonly reference?: string;
}

/** Runs `steps` steps of the functional path (init/update/applyUpdates in tf.tidy) and returns θ. */
export async function runFunctional(tx: GradientTransformation, steps: number, problem: Problem = SMALL): Promise<Flat> {
  const loss = lossFor(problem);
  let params = tensorsOf(problem);
  let state: StateTree = tx.init(params);
  for (let t = 0; t < steps; t++) {
    const next = tf.tidy(() => {
      const { grads } = valueAndGrad(loss)(params);
      const r = tx.update(grads, state, params);
      return { params: applyUpdates(params, r.updates), state: r.state } as unknown as tf.TensorContainerObject;
    }) as unknown as { params: Params; state: StateTree };
    // A state may carry tensors over unchanged (accumulate's inner state between real steps): keep those.
    const kept = new Set(flatten(next.state).map((e) => e.value));
    tf.dispose([
      params,
      ...flatten(state)
        .filter((e) => !kept.has(e.value))
        .map((e) => e.value),
    ] as unknown as tf.TensorContainer);
    params = next.params;
    state = next.state;
  }
  const theta = await read(params);
  tf.dispose([params, state] as unknown as tf.TensorContainer);
  return theta;
}

/** Runs `steps` `Optimizer.minimize` steps and returns θ. */
export async function runOptimizer(tx: GradientTransformation, steps: number, fused: boolean, problem: Problem = SMALL): Promise<Flat> {
  const params = variablesOf(problem);
  const opt = new Optimizer(params, tx, { fused });
  for (let t = 0; t < steps; t++) await opt.minimize(lossFor(problem));
  const theta = await read(params);
  opt.dispose();
  tf.dispose(params as unknown as tf.TensorContainer);
  return theta;
}

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

/** `expected` (a Flat, or θ concatenated in leaf order) leaf by leaf, within the bench's tolerance. */
async function expectTrajectory(actual: Flat, expected: Flat | readonly number[], bench: Bench, what: string): Promise<void> {
  let want = expected as Flat;
  if (Array.isArray(expected)) {
    want = {};
    let offset = 0;
    for (const [k, values] of Object.entries(actual)) {
      want[k] = expected.slice(offset, offset + values.length);
      offset += values.length;
    }
    expect(offset).toBe(expected.length);
  }
  expect(Object.keys(actual)).toEqual(Object.keys(want));
  for (const [k, values] of Object.entries(actual)) {
    await expectClose(values, want[k] as number[], { ...(bench.tolerance ?? { rtol: 1e-5 }), what: `${what}, ${k}` });
  }
}

/** Registers the trajectory tests of one configuration: the functional path and the runner (fused where a kernel applies, and not) follow `expected` over `steps` steps. */
export function trajectoryTests(
  what: string,
  makeTx: () => GradientTransformation,
  expected: Flat | readonly number[],
  steps: number,
  bench: Bench = {},
): void {
  const reference = bench.reference ?? 'the reference';
  it(`${what}: the functional path follows ${reference} trajectory`, async () => {
    await expectTrajectory(await runFunctional(makeTx(), steps, bench.problem), expected, bench, what);
  });
  for (const fused of [true, false]) {
    it(`${what}: the Optimizer runner (${fused ? 'fused where a kernel applies' : 'reference path'}) follows ${reference} trajectory`, async () => {
      await expectTrajectory(await runOptimizer(makeTx(), steps, fused, bench.problem), expected, bench, what);
    });
  }
}

/** Registers the saveState → JSON → loadState test: 3 + 3 steps equal 6 uninterrupted steps exactly. */
export function roundTripTest(makeTx: () => GradientTransformation, bench: Bench = {}): void {
  it('saveState → JSON → loadState continues exactly (state buffers and count included)', async () => {
    const problem = bench.problem ?? SMALL;
    const loss = lossFor(problem);
    const straight = variablesOf(problem);
    const a = new Optimizer(straight, makeTx());
    for (let t = 0; t < 6; t++) await a.minimize(loss);
    const half = variablesOf(problem);
    const b = new Optimizer(half, makeTx());
    for (let t = 0; t < 3; t++) await b.minimize(loss);
    const saved = JSON.parse(JSON.stringify(await b.saveState()));
    const c = new Optimizer(half, makeTx());
    c.loadState(saved);
    expect(c.stepCount).toBe(3);
    for (let t = 0; t < 3; t++) await c.minimize(loss);
    expect(await read(half)).toEqual(await read(straight));
    for (const o of [a, b, c]) o.dispose();
    tf.dispose([straight, half] as unknown as tf.TensorContainer);
  });
}

/**
 * Registers the leak test: for each transformation, an Optimizer taking 200 steps (with each leaf's
 * constant gradient `g`, or `minimize` on the loss) and then disposed leaves no tensor behind, nor do
 * the 200 steps alone, nor a functional update in tf.tidy.
 */
export function leakTest(
  makeTxs: readonly (() => GradientTransformation)[],
  bench: Bench & { readonly grads?: (params: Params) => Params; readonly viaMinimize?: boolean; readonly timeout?: number } = {},
): void {
  it('leaks no tensors over 200 steps', { timeout: bench.timeout ?? 30_000 }, async () => {
    const problem = bench.problem ?? SMALL;
    const params = variablesOf(problem);
    const constant = (l: Leaf) => (typeof l.g === 'object' ? tf.tensor(l.g as number[], l.shape as number[]) : tf.fill(l.shape as number[], l.g ?? 0.1));
    const grads = bench.grads?.(params) ?? Object.fromEntries(Object.entries(problem).map(([k, l]) => [k, constant(l)]));
    const loss = lossFor(problem);
    for (const makeTx of makeTxs) {
      await expectNoLeaks(
        async () => {
          const opt = new Optimizer(params, makeTx());
          await expectNoLeaks(
            async () => {
              for (let t = 0; t < 200; t++) {
                if (bench.viaMinimize) await opt.minimize(loss);
                else opt.step(grads);
              }
            },
            { what: '200 steps' },
          );
          expect(opt.stepCount).toBe(200);
          // Wait for the 200 queued steps here: on a slow device (WebGPU on SwiftShader) they would
          // otherwise run during the next test, which then times out on its first read.
          await Promise.all(Object.values(params).map((p) => p.data()));
          opt.dispose();
        },
        { what: 'an Optimizer built, stepped 200 times and disposed' },
      );
      await expectNoLeaks(() => tf.tidy(() => void makeTx().update(grads, makeTx().init(params), params)), { what: 'a functional update in tf.tidy' });
    }
    tf.dispose([params, grads] as unknown as tf.TensorContainer);
  });
}

/** Registers the test that `update` without the parameters throws `message` (weight decay and trust ratios need them). */
export function needsParamsTest(makeTx: () => GradientTransformation, message: RegExp, bench: Bench = {}): void {
  it('update without the parameters fails, saying that it needs them', () => {
    const tx = makeTx();
    const params = tensorsOf(bench.problem ?? SMALL);
    const state = tx.init(params);
    expect(() => tf.tidy(() => void tx.update(params, state))).toThrow(message);
    tf.dispose([params, state] as unknown as tf.TensorContainer);
  });
}

/** A bad input: what it is, how to build the transformation with it, the field the error must name and a pattern of its message. */
export type BadInput = [what: string, make: () => unknown, field: string, message: RegExp];

/** Registers one test per bad input: `make()` throws a HyperParameterError whose `field` is `field` and whose message matches. */
export function badHyperTests(cases: readonly BadInput[]): void {
  describe('bad hyper-parameters get a HyperParameterError naming the field', () => {
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
  });
}

/** Bad inputs given as options objects: `[options, field, message]`, each named after its options. */
export function badOptions<O>(make: (options: O) => unknown, cases: readonly [O, string, RegExp][]): BadInput[] {
  const name = (o: O) => JSON.stringify(o, (_, v) => (typeof v === 'function' ? 'schedule' : Number.isNaN(v) ? 'NaN' : v)) ?? String(o);
  return cases.map(([options, field, message]) => [name(options), () => make(options), field, message]);
}

/** The standard bad inputs of an optimizer with learningRate, betas, epsilon and weightDecay options. */
export function standardBadInputs(make: (o: Record<string, unknown>) => unknown, fields: readonly string[]): BadInput[] {
  const cases: BadInput[] = [
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
