// Shared test scaffolding for the clipping tests (not part of the package's surface): a small
// parameter tree with every layout AGC distinguishes, a quadratic loss whose gradient depends on θ,
// float64 trajectories, and the conformance checks every transformation gets (functional path,
// Optimizer runner fused and not, saveState → JSON → loadState, no leaks over 200 steps).
import {
  applyUpdates,
  flatten,
  type GradientTransformation,
  type GradTree,
  HyperParameterError,
  Optimizer,
  type ParamTree,
  type StateTree,
  TreeMismatchError,
  valueAndGrad,
} from '@gradkit/core';
import { expectClose, expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';

/** Shapes of the test tree's leaves, in `flatten` order: dense kernel [in, out], bias, conv2d HWIO, conv1d [w, in, out], a scalar, a [1, n] row. */
export const SHAPES: number[][] = [[2, 3], [3], [1, 2, 2, 2], [2, 2, 2], [], [1, 3]];
/** Paths of the leaves, in `flatten` order. */
export const PATHS = ['dense.kernel', 'dense.bias', 'conv.0', 'conv.1', 'scale', 'row'];

/** The test tree: `{ dense: { kernel, bias }, conv: [k4, k3], scale, row }` built from one value per leaf. */
export type TestTree<T> = {
  dense: { kernel: T; bias: T };
  conv: [T, T];
  scale: T;
  row: T;
};

export const buildTree = <T>(leaf: (i: number) => T): TestTree<T> => ({
  dense: { kernel: leaf(0), bias: leaf(1) },
  conv: [leaf(2), leaf(3)],
  scale: leaf(4),
  row: leaf(5),
});
export const leavesOf = <T>(t: TestTree<T>): T[] => [t.dense.kernel, t.dense.bias, t.conv[0], t.conv[1], t.scale, t.row];

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
const offsets = SHAPES.map((_, i) => SHAPES.slice(0, i).reduce((a, s) => a + size(s), 0));

/** f(θ) = Σ aₖθₖ² + bₖθₖ over every element k of every leaf; ∇ = 2aθ + b. */
const A = (k: number) => 0.25 + ((k * 7) % 8) / 4;
const B = (k: number) => (((k * 5) % 9) - 4) / 4;
const THETA0 = (k: number) => Math.fround(2 * Math.sin(1.3 * k + 0.4));

export const theta0 = (): number[][] => SHAPES.map((s, i) => Array.from({ length: size(s) }, (_, j) => THETA0((offsets[i] as number) + j)));
/** The float64 gradient of the quadratic at θ. */
export const grad64 = (theta: number[][]): number[][] =>
  theta.map((leaf, i) => leaf.map((x, j) => 2 * A((offsets[i] as number) + j) * x + B((offsets[i] as number) + j)));

const coef = (i: number, f: (k: number) => number, shape: number[]) =>
  tf.tensor(
    Array.from({ length: size(shape) }, (_, j) => f((offsets[i] as number) + j)),
    shape,
  );

/** The quadratic loss over the test tree. */
export const lossOf = (p: TestTree<tf.Tensor>): tf.Scalar =>
  tf.addN(
    leavesOf(p).map((x, i) => {
      const shape = SHAPES[i] as number[];
      return tf.sum(tf.add(tf.mul(coef(i, A, shape), tf.square(x)), tf.mul(coef(i, B, shape), x)));
    }),
  ) as tf.Scalar;

export const tensors = (values: number[][]): TestTree<tf.Tensor> => buildTree((i) => tf.tensor(values[i] as number[], SHAPES[i] as number[]));
export const variables = (values: number[][] = theta0()): TestTree<tf.Variable> =>
  buildTree((i) => tf.tidy(() => tf.variable(tf.tensor(values[i] as number[], SHAPES[i] as number[]))));
export const read = async (t: TestTree<tf.Tensor>): Promise<number[][]> => Promise.all(leavesOf(t).map(async (x) => Array.from(await x.data())));
export const disposeTree = (t: TestTree<tf.Tensor>) => tf.dispose(leavesOf(t));

/** A float64 reference step: new θ from θ and its gradient, at step t (the factory makes fresh state). */
export type ReferenceStep = (theta: number[][], grads: number[][], t: number) => number[][];

/** The float64 trajectory of `steps` steps from θ₀. */
export function referenceTrajectory(makeStep: () => ReferenceStep, steps: number): number[][] {
  const step = makeStep();
  let theta = theta0();
  for (let t = 0; t < steps; t++) theta = step(theta, grad64(theta), t);
  return theta;
}

/** A reference step for `chain(clip, sgd({ learningRate: lr }))`: θ ← θ − lr·clip(g). */
export const clipThenSgd =
  (lr: number, clip: (grads: number[][], t: number, theta: number[][]) => number[][]): (() => ReferenceStep) =>
  () =>
  (theta, grads, t) => {
    const u = clip(grads, t, theta);
    return theta.map((leaf, i) => leaf.map((x, j) => x - lr * ((u[i] as number[])[j] as number)));
  };

/** Disposes the tensors of `old` that `next` does not hold. */
function disposeReplaced(old: unknown, next: unknown): void {
  const tensorsIn = (x: unknown) => (x === null ? [] : flatten(x as StateTree).map((e) => e.value)).filter((v): v is tf.Tensor => v instanceof tf.Tensor);
  const keep = new Set(tensorsIn(next));
  tf.dispose(tensorsIn(old).filter((t) => !keep.has(t)));
}

/** Runs `steps` functional steps (init/update/applyUpdates inside tf.tidy) and returns θ. */
export async function runFunctional(tx: GradientTransformation, steps: number): Promise<number[][]> {
  let params = tensors(theta0());
  let state = tx.init(params as never);
  for (let t = 0; t < steps; t++) {
    const current = { params, state };
    const next = tf.tidy(() => {
      const { grads } = valueAndGrad(lossOf)(current.params);
      const r = tx.update(grads, current.state, current.params as never);
      return { params: applyUpdates(current.params as never, r.updates), state: r.state } as unknown as tf.TensorContainerObject;
    }) as unknown as { params: TestTree<tf.Tensor>; state: StateTree };
    disposeReplaced(current, next);
    params = next.params;
    state = next.state;
  }
  const out = await read(params);
  disposeTree(params);
  disposeReplaced(state, null);
  return out;
}

/** Runs `steps` Optimizer.minimize steps and returns θ. */
export async function runOptimizer(tx: GradientTransformation, steps: number, fused: boolean): Promise<number[][]> {
  const params = variables();
  const opt = new Optimizer(params, tx, { fused });
  for (let t = 0; t < steps; t++) await opt.minimize(lossOf);
  const out = await read(params);
  opt.dispose();
  disposeTree(params);
  return out;
}

/** Compares two θ trees leaf by leaf. */
export async function expectTheta(actual: number[][], expected: number[][], what: string): Promise<void> {
  for (const [i, leaf] of expected.entries()) await expectClose(actual[i] as number[], leaf, { rtol: 1e-5, atol: 1e-6, what: `${what}: ${PATHS[i]}` });
}

/**
 * Registers the checks every transformation gets: its trajectory (functional path, Optimizer
 * runner with and without fused kernels) against the float64 reference over 6 steps, saveState →
 * JSON → loadState continuing exactly, and no leaks over 200 steps (`trajectoryOnly`: the two
 * trajectories only).
 */
export function conformance(
  what: string,
  make: () => GradientTransformation,
  reference: () => ReferenceStep,
  options: { trajectoryOnly?: boolean } = {},
): void {
  const steps = 6;
  const expected = () => referenceTrajectory(reference, steps);

  it(`${what}: the functional path follows the float64 reference`, async () => {
    await expectTheta(await runFunctional(make(), steps), expected(), 'functional');
  });

  // Secondary configurations of a transformation (schedules, other options) check the trajectory
  // through both paths only, to keep the files fast on SwiftShader.
  if (options.trajectoryOnly) {
    it(`${what}: the Optimizer runner follows the float64 reference`, async () => {
      await expectTheta(await runOptimizer(make(), steps, true), expected(), 'runner');
    });
    return;
  }

  for (const fused of [true, false]) {
    it(`${what}: the Optimizer runner (fused: ${fused}) follows the float64 reference`, async () => {
      await expectTheta(await runOptimizer(make(), steps, fused), expected(), `runner fused=${fused}`);
    });
  }

  it(`${what}: saveState → JSON → loadState continues exactly`, async () => {
    const straight = variables();
    const a = new Optimizer(straight, make());
    for (let t = 0; t < 6; t++) await a.minimize(lossOf);
    const half = variables();
    const b = new Optimizer(half, make());
    for (let t = 0; t < 3; t++) await b.minimize(lossOf);
    const saved = JSON.parse(JSON.stringify(await b.saveState()));
    const c = new Optimizer(half, make());
    c.loadState(saved);
    for (let t = 0; t < 3; t++) await c.minimize(lossOf);
    expect(await read(half)).toEqual(await read(straight));
    expect(c.stepCount).toBe(6);
    for (const o of [a, b, c]) o.dispose();
    disposeTree(straight);
    disposeTree(half);
  });

  it(`${what}: leaks no tensors over 200 steps`, async () => {
    const params = variables();
    // Optimizer.step with fixed gradients: minimize's per-step readback would make 200 steps slow on
    // SwiftShader; one minimize still runs the valueAndGrad path inside the measured block.
    const grads = tensors(grad64(theta0()));
    await expectNoLeaks(
      async () => {
        const opt = new Optimizer(params, make());
        await opt.minimize(lossOf);
        for (let t = 1; t < 200; t++) opt.step(grads);
        expect(opt.stepCount).toBe(200);
        await read(params);
        opt.dispose();
      },
      { what: `200 steps of ${what}` },
    );
    disposeTree(params);
    disposeTree(grads);
  });
}

/** Asserts that `make` throws a HyperParameterError whose `field` is `field` and whose message matches. */
export function expectHyperError(make: () => unknown, field: string, message?: RegExp): void {
  let error: unknown;
  try {
    make();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(HyperParameterError);
  expect((error as HyperParameterError).field).toBe(field);
  if (message) expect((error as Error).message).toMatch(message);
}

/** Runs one `update` from a fresh state (inside tf.tidy) and returns the updates' values in `flatten` order. */
export async function updateOnce(tx: GradientTransformation, grads: GradTree, params?: ParamTree): Promise<number[][]> {
  const state = tx.init(params ?? grads);
  const updates = tf.tidy(() => flatten(tx.update(grads, state, params).updates).map((e) => e.value));
  const out = await Promise.all(updates.map(async (u) => Array.from(await u.data())));
  tf.dispose(updates);
  disposeReplaced(state, null);
  return out;
}

/** Runs one `update` from a fresh state (inside tf.tidy) and returns the new state's tensor leaves as numbers, by path (`{ 'norm.w': [5] }`). */
export async function stateAfterOne(tx: GradientTransformation, grads: GradTree, params?: ParamTree): Promise<Record<string, number[]>> {
  const state = tx.init(params ?? grads);
  const next = tf.tidy(() => tx.update(grads, state, params).state as tf.TensorContainer) as StateTree;
  const out: Record<string, number[]> = {};
  for (const { path, value } of flatten(next)) if (value instanceof tf.Tensor) out[path] = Array.from(await value.data());
  disposeReplaced(state, null);
  disposeReplaced(next, null);
  return out;
}

/** Asserts that `fn` throws a TreeMismatchError whose `path` is `path`. */
export function expectTreeMismatch(fn: () => unknown, path: string): void {
  let error: unknown;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(TreeMismatchError);
  expect((error as TreeMismatchError).path).toBe(path);
}
