// Shared test scaffolding for the activation tests (not part of the package's surface): the grid of
// inputs, and the checks every activation gets against its float64 reference (PyTorch's formula
// transcribed in the test file): values, gradients through core's valueAndGrad, the reference
// derivative against central finite differences, finiteness at |x| up to 1e4, hard-coded PyTorch
// numbers, shapes and no leaks.
import { HyperParameterError, valueAndGrad } from '@gradkit/core';
import { backendTolerance, expectClose, expectNoLeaks, type Tolerance } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';

/** Inputs every activation is checked on: large |x| (±1e4, ±50), both sides of softplus's threshold (±20.5, ±20, ±19.5), the kinks 0, ±3, 6, and ordinary points. */
export const GRID = [
  -1e4, -50, -20.5, -20, -19.5, -10, -6, -5, -3.5, -3, -2.5, -1, -0.5, -1e-3, 0, 1e-3, 0.25, 0.5, 1, 2.5, 3, 3.5, 5, 6, 6.5, 10, 19.5, 20, 20.5, 50, 1e4,
];

/** A float64 reference: the function, its derivative (PyTorch's value at the kinks), and where the kinks are. */
export interface Reference {
  /** The function in float64. */
  readonly f: (x: number) => number;
  /** Its derivative in float64, with PyTorch's convention at the kinks. */
  readonly df: (x: number) => number;
  /** Points where f is not differentiable (or jumps): excluded from the finite-difference check. */
  readonly kinks?: readonly number[];
}

/** Numbers computed with PyTorch (float64) for one input: `[x, f(x), f′(x)]`. */
export type TorchRow = readonly [number, number, number];

/** Options of `activationSuite`. */
export interface SuiteOptions {
  /** Extra grid points (kinks of parametrised variants …). */
  readonly extra?: readonly number[];
  /** Per-backend tolerance overrides for the values (see `backendTolerance`), with the reason in a comment at the call. */
  readonly valueTolerance?: Parameters<typeof backendTolerance>[0];
  /** Per-backend tolerance overrides for the gradients. */
  readonly gradTolerance?: Parameters<typeof backendTolerance>[0];
  /** PyTorch's own numbers (torch 2.13, float64), `[x, f(x), f′(x)]`. */
  readonly torch?: readonly TorchRow[];
  /**
   * Tail points `[x, f(x), f′(x)]` computed with mpmath at 40 digits, where the result is tiny or
   * close to a rounding boundary: checked relatively (the backend's rtol, atol 0), which catches
   * formulas that lose their digits (1 − σ(x), 1 + erf(x), 1 − tanh²(x), log(1 + y) …).
   */
  readonly tail?: readonly TorchRow[];
}

/** Weights c of the loss Σ cᵢ·f(xᵢ), so that ∂loss/∂xᵢ = cᵢ·f′(xᵢ) also checks that the incoming gradient is used. */
const weight = (i: number) => 0.5 + (i % 4) * 0.25;

/** The grid as float32 numbers (what the tensor holds, and where the reference is evaluated). */
export function gridOf(options: SuiteOptions = {}): number[] {
  return [...new Set([...GRID, ...(options.extra ?? [])].map(Math.fround))].sort((a, b) => a - b);
}

/** Central finite difference of f at x in float64, step h = 1e-6·max(1, |x|). */
export function centralDifference(f: (x: number) => number, x: number): { value: number; h: number } {
  const h = 1e-6 * Math.max(1, Math.abs(x));
  return { value: (f(x + h) - f(x - h)) / (2 * h), h };
}

/** Registers the standard checks of an activation `fn` against `ref` (call inside `describe`). */
export function activationSuite(fn: (x: tf.Tensor) => tf.Tensor, ref: Reference, options: SuiteOptions = {}): void {
  const xs = gridOf(options);
  const valueTol = (): Tolerance => backendTolerance(options.valueTolerance);
  const gradTol = (): Tolerance => backendTolerance(options.gradTolerance);

  it('values on the grid (|x| up to 1e4, kinks included) match the float64 reference', async () => {
    const x = tf.tensor1d(xs);
    const y = fn(x);
    expect(y.shape).toEqual([xs.length]);
    expect(y.dtype).toBe('float32');
    await expectClose(y, xs.map(ref.f), { ...valueTol(), what: 'values' });
    tf.dispose([x, y]);
  });

  it("gradients through valueAndGrad match the reference derivative (PyTorch's convention at the kinks)", async () => {
    const x = tf.tensor1d(xs);
    const c = tf.tensor1d(xs.map((_, i) => weight(i)));
    const { value, grads } = valueAndGrad((p: { x: tf.Tensor }) => tf.sum(tf.mul(c, fn(p.x))))({ x });
    await expectClose(
      grads.x,
      xs.map((v, i) => weight(i) * ref.df(v)),
      { ...gradTol(), what: 'gradients' },
    );
    tf.dispose([x, c, value, grads.x]);
  });

  it('values and gradients are finite everywhere on the grid', async () => {
    const x = tf.tensor1d(xs);
    const { value, grads } = valueAndGrad((p: { x: tf.Tensor }) => tf.sum(fn(p.x)))({ x });
    const y = fn(x);
    const bad = [...(await y.data()), ...(await grads.x.data())].filter((v) => !Number.isFinite(v));
    expect(bad).toEqual([]);
    tf.dispose([x, y, value, grads.x]);
  });

  it('the float64 reference derivative agrees with central finite differences of the reference function', () => {
    for (const x of xs) {
      const { value, h } = centralDifference(ref.f, x);
      if ((ref.kinks ?? []).some((k) => Math.abs(x - k) <= 2 * h)) continue;
      const expected = ref.df(x);
      expect(Math.abs(value - expected), `f′(${x}): finite difference ${value}, reference ${expected}`).toBeLessThanOrEqual(1e-6 * (1 + Math.abs(expected)));
    }
  });

  if (options.torch) {
    const rows = options.torch;
    it("matches PyTorch's own float64 numbers (values and derivatives)", async () => {
      const x = tf.tensor1d(rows.map((r) => r[0]));
      const { value, grads } = valueAndGrad((p: { x: tf.Tensor }) => tf.sum(fn(p.x)))({ x });
      const y = fn(x);
      await expectClose(
        y,
        rows.map((r) => r[1]),
        { ...valueTol(), what: 'values vs torch' },
      );
      await expectClose(
        grads.x,
        rows.map((r) => r[2]),
        { ...gradTol(), what: 'derivatives vs torch' },
      );
      // The transcribed reference agrees with torch too (to float64 rounding).
      for (const [xv, fv, dv] of rows) {
        expect(Math.abs(ref.f(xv) - fv), `reference f(${xv})`).toBeLessThanOrEqual(1e-12 * (1 + Math.abs(fv)));
        expect(Math.abs(ref.df(xv) - dv), `reference f′(${xv})`).toBeLessThanOrEqual(1e-12 * (1 + Math.abs(dv)));
      }
      tf.dispose([x, y, value, grads.x]);
    });
  }

  if (options.tail) {
    const rows = options.tail;
    it('keeps full relative precision in the tails (no atol; 40-digit mpmath values)', async () => {
      const relative = { cpu: { atol: 0 }, wasm: { atol: 0 }, webgpu: { atol: 0 } };
      const x = tf.tensor1d(rows.map((r) => r[0]));
      const { value, grads } = valueAndGrad((p: { x: tf.Tensor }) => tf.sum(fn(p.x)))({ x });
      const y = fn(x);
      await expectClose(
        y,
        rows.map((r) => r[1]),
        { ...backendTolerance(relative), what: 'tail values' },
      );
      await expectClose(
        grads.x,
        rows.map((r) => r[2]),
        { ...backendTolerance(relative), what: 'tail derivatives' },
      );
      tf.dispose([x, y, value, grads.x]);
    });
  }

  it('keeps the shape of a 2-D input and casts an int32 input to float32', async () => {
    const x = tf.tensor2d([
      [-1, 0, 2],
      [3, -4, 5],
    ]);
    const y = fn(x);
    expect(y.shape).toEqual([2, 3]);
    await expectClose(y, [[-1, 0, 2].map(ref.f), [3, -4, 5].map(ref.f)], valueTol());
    const xi = tf.tensor1d([-2, 1], 'int32');
    const yi = fn(xi);
    expect(yi.dtype).toBe('float32');
    await expectClose(yi, [-2, 1].map(ref.f), valueTol());
    tf.dispose([x, y, xi, yi]);
  });

  it('leaks no tensors (forward alone, and forward + backward)', async () => {
    const x = tf.tensor1d(xs);
    const warm = valueAndGrad((p: { x: tf.Tensor }) => tf.sum(fn(p.x)))({ x });
    tf.dispose([warm.value, warm.grads.x]);
    await expectNoLeaks(() => {
      for (let i = 0; i < 5; i++) {
        fn(x).dispose();
        const r = valueAndGrad((p: { x: tf.Tensor }) => tf.sum(fn(p.x)))({ x });
        tf.dispose([r.value, r.grads.x]);
      }
      tf.tidy(() => {
        fn(x);
      });
    });
    x.dispose();
  });
}

/** Asserts that `fn` throws a HyperParameterError whose `field` is `field` (and whose message contains `says`, if given). */
export function expectHyperError(fn: () => unknown, field: string, says?: string | RegExp): void {
  let error: unknown;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  expect(error, `expected a HyperParameterError for ${field}`).toBeInstanceOf(HyperParameterError);
  expect((error as HyperParameterError).field).toBe(field);
  if (says !== undefined) expect((error as Error).message).toMatch(says);
}
