import type { BackendName } from '@gradkit/core';
import { currentBackend } from './backend.js';

/**
 * A closeness tolerance, as numpy's `allclose`: `|actual − expected| ≤ atol + rtol·|expected|`.
 *
 * @example `{ rtol: 1e-5, atol: 1e-6 }`
 */
export interface Tolerance {
  /** Relative tolerance: a fraction of |expected|. */
  readonly rtol: number;
  /** Absolute tolerance: what is allowed where `expected` is (near) zero. */
  readonly atol: number;
}

/**
 * The default tolerance of `expectClose` on each backend, for float32 results.
 *
 * - `cpu`, `wasm`: rtol 1e-5, atol 1e-6. float32 has a relative precision of 6e-8; elementwise ops
 *   agree with float64 math within a few ulps, and wasm's (XNNPACK) reductions, summed in another
 *   order, stay within about 4e-6 relative on thousands of terms.
 * - `webgpu`: rtol 1e-4, atol 1e-5. WGSL lets `exp`, `tanh`, `pow` … be several ulps off (more for
 *   large arguments), and tfjs's WebGPU kernels compute `softplus`, `erf`, `elu` with other formulas;
 *   measured on SwiftShader they stay within 6e-5 relative. Trigonometric functions are coarser
 *   still (SwiftShader's `sin` is about 2e-4 off near |x| = 8): pass a looser tolerance for those.
 *
 * Results that cancel (sums of terms of both signs, matrix products) need an `atol` scaled to the
 * size of the terms, on every backend.
 *
 * @example `DEFAULT_TOLERANCES.webgpu.rtol // 1e-4`
 */
export const DEFAULT_TOLERANCES: Readonly<Record<BackendName, Tolerance>> = {
  cpu: { rtol: 1e-5, atol: 1e-6 },
  wasm: { rtol: 1e-5, atol: 1e-6 },
  webgpu: { rtol: 1e-4, atol: 1e-5 },
};

/**
 * The tolerance for the active backend: its default (`DEFAULT_TOLERANCES`) with the overrides given
 * for that backend, if any. Pass the result to `expectClose`.
 *
 * @param overrides - per-backend changes, for example `{ webgpu: { atol: 1e-3 } }`.
 * @param backend - the backend to answer for (default: the active one).
 * @example
 * ```ts
 * await expectClose(tf.sin(x), expected, backendTolerance({ webgpu: { atol: 5e-4 } }));
 * ```
 */
export function backendTolerance(overrides: Partial<Record<BackendName, Partial<Tolerance>>> = {}, backend: BackendName = currentBackend()): Tolerance {
  return { ...DEFAULT_TOLERANCES[backend], ...overrides[backend] };
}
