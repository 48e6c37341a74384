import { type GradientTransformation, Optimizer, type SavedOptimizerState } from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';
import { expectClose } from './expect-close.js';
import { backendTolerance, type Tolerance } from './tolerance.js';

/** Options of `expectFusedParity`. */
export interface FusedParityOptions {
  /** Parameter shapes (default: 0-d, length 1, 3, 5×7 and 4097: odd lengths and non-multiples of 4). */
  readonly shapes?: readonly (readonly number[])[];
  /** Steps to take (default 4). */
  readonly steps?: number;
  /** Gradient of parameter `k` at `step`, `n` elements (default: a deterministic spread in ±2). */
  readonly grad?: (step: number, k: number, n: number) => Float32Array;
  /** Tolerance of the comparison (default: the backend's, `backendTolerance()`). */
  readonly tolerance?: Partial<Tolerance>;
}

/** The default shapes: 0-d, length 1, odd lengths, a non-multiple of 4 and a length past a SIMD tail. */
export const PARITY_SHAPES: readonly (readonly number[])[] = [[], [1], [3], [5, 7], [4097]];

/** Deterministic values in ±2, different for every (seed, index). */
export const spread = (n: number, seed: number): Float32Array => Float32Array.from({ length: n }, (_, i) => Math.sin(seed * 12.9898 + i * 78.233) * 2);

const floats = (t: { dtype: string; data: string }) => {
  const bytes = Uint8Array.from(atob(t.data), (c) => c.charCodeAt(0));
  const Ctor = t.dtype === 'float32' ? Float32Array : t.dtype === 'int32' ? Int32Array : Uint8Array;
  return Array.from(new Ctor(bytes.buffer, 0, bytes.byteLength / Ctor.BYTES_PER_ELEMENT));
};

/** Compares two saved states: numbers exactly, tensors within `tol` (NaN matches NaN). */
async function expectSameState(fused: SavedOptimizerState, reference: SavedOptimizerState, tol: Tolerance): Promise<void> {
  expect(Object.keys(fused.state)).toEqual(Object.keys(reference.state));
  for (const [path, a] of Object.entries(fused.state)) {
    const b = reference.state[path];
    if (typeof a === 'number' || typeof b === 'number') expect(a, `state '${path}'`).toEqual(b);
    else if (a.dtype === 'float32') await expectClose(floats(a), floats(b as typeof a), tol);
    else expect(floats(a), `state '${path}'`).toEqual(floats(b as typeof a));
  }
}

/**
 * Runs `transform()` through the `Optimizer`'s fused path and its reference path (`fused: false`) on
 * the same parameters and gradients, and checks that the parameters and every state leaf agree after
 * each step. Returns the fused optimizer's `lastStepPath`, so the caller can check a kernel ran.
 *
 * @example
 * ```ts
 * expect(await expectFusedParity(() => adam({ learningRate: 0.1 }))).toBe('fused:GradkitAdam');
 * ```
 */
export async function expectFusedParity(transform: () => GradientTransformation, options: FusedParityOptions = {}): Promise<string> {
  const shapes = options.shapes ?? PARITY_SHAPES;
  const grad = options.grad ?? ((step, k, n) => spread(n, 100 * step + k));
  const tol = { ...backendTolerance(), ...options.tolerance };
  const make = () => Object.fromEntries(shapes.map((s, k) => [`p${k}`, tf.variable(tf.tensor(spread(tf.util.sizeFromShape([...s]), k + 1), [...s]))]));
  const [fp, rp] = [make(), make()];
  const fused = new Optimizer(fp, transform());
  const reference = new Optimizer(rp, transform(), { fused: false });
  try {
    for (let t = 0; t < (options.steps ?? 4); t++) {
      const g = Object.fromEntries(shapes.map((s, k) => [`p${k}`, tf.tensor(grad(t, k, tf.util.sizeFromShape([...s])), [...s])]));
      fused.step(g);
      reference.step(g);
      tf.dispose(Object.values(g));
      for (const key of Object.keys(fp)) await expectClose(fp[key] as tf.Tensor, rp[key] as tf.Tensor, tol);
      await expectSameState(await fused.saveState(), await reference.saveState(), tol);
    }
    expect(reference.lastStepPath).toBe('reference');
    return fused.lastStepPath;
  } finally {
    fused.dispose();
    reference.dispose();
    tf.dispose([...Object.values(fp), ...Object.values(rp)]);
  }
}
