// Test-only (not exported from index.ts): the checks every functional normalization goes through.
import { HyperParameterError, type ValueError, valueAndGrad } from '@gradkit/core';
import { backendTolerance, expectClose } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';
import { dot, finiteDifferences, type Layout, refBackward, refForward, seeded, size } from './test-kit.js';

/** A normalization under test: x, gamma, beta (either may be null) → y. */
export type NormFn = (x: tf.Tensor, gamma: tf.Tensor | null, beta: tf.Tensor | null) => tf.Tensor;

export interface NormCase {
  readonly shape: readonly number[];
  readonly layout: Layout;
  /** Shape of gamma/beta. */
  readonly paramShape: readonly number[];
  readonly eps: number;
  readonly rms?: boolean;
  readonly withGamma?: boolean;
  readonly withBeta?: boolean;
  readonly seed?: number;
}

/**
 * Outputs and gradients (terms of order 1, small tensors) stay within the harness's default
 * tolerance on every backend (cpu/wasm rtol 1e-5, atol 1e-6; webgpu on SwiftShader rtol 1e-4,
 * atol 1e-5), dx included despite its cancellation: no override is needed.
 */
export const gradTolerance = () => backendTolerance();
export const forwardTolerance = () => backendTolerance();

export function caseData(c: NormCase) {
  const seed = c.seed ?? 7;
  const n = size(c.shape);
  const p = size(c.paramShape);
  // Features of different offsets and scales, so that centring and scaling both matter.
  const x = seeded(n, seed).map((v, i) => 3 * v * (1 + (i % 3)) + (i % 5) - 2);
  const gamma = c.withGamma === false ? null : seeded(p, seed + 1, 0.5, 2);
  const beta = c.withBeta === false || c.rms ? null : seeded(p, seed + 2, -1, 1);
  const w = seeded(n, seed + 3, -1, 1); // L = Σ w·y, so dy = w: a gradient that is not trivial
  return { x, gamma, beta, w };
}

/**
 * Forward and backward of `fn` on `c` against the float64 reference (refForward/refBackward), the
 * reference derivative itself against float64 finite differences, and the gradients through core's
 * `valueAndGrad`.
 */
export async function expectMatchesReference(fn: NormFn, c: NormCase): Promise<void> {
  const { x, gamma, beta, w } = caseData(c);
  const ref = refForward(x, c.layout, gamma, beta, c.eps, c.rms);
  const refGrads = refBackward(ref, w, c.layout, gamma, c.rms);

  // The hand-derived reference derivative agrees with finite differences of the reference forward.
  const lossAt = (xs: number[], gs: number[] | null, bs: number[] | null) => dot(w, refForward(xs, c.layout, gs, bs, c.eps, c.rms).y);
  expect(
    maxAbsDiff(
      finiteDifferences((xs) => lossAt(xs, gamma, beta), x),
      refGrads.dx,
    ),
  ).toBeLessThan(1e-6);
  if (gamma)
    expect(
      maxAbsDiff(
        finiteDifferences((gs) => lossAt(x, gs, beta), gamma),
        refGrads.dgamma,
      ),
    ).toBeLessThan(1e-6);
  if (beta)
    expect(
      maxAbsDiff(
        finiteDifferences((bs) => lossAt(x, gamma, bs), beta),
        refGrads.dbeta,
      ),
    ).toBeLessThan(1e-6);

  const xt = tf.tensor(x, [...c.shape]);
  const gt = gamma ? tf.tensor(gamma, [...c.paramShape]) : null;
  const bt = beta ? tf.tensor(beta, [...c.paramShape]) : null;
  const wt = tf.tensor(w, [...c.shape]);
  const y = fn(xt, gt, bt);
  await expectClose(await y.data(), ref.y, { ...forwardTolerance(), what: 'y' });
  expect(y.shape).toEqual([...c.shape]);

  const params = { x: xt, ...(gt ? { gamma: gt } : {}), ...(bt ? { beta: bt } : {}) } as Record<string, tf.Tensor>;
  const { value, grads } = valueAndGrad((p: Record<string, tf.Tensor>) => tf.sum(tf.mul(wt, fn(p.x as tf.Tensor, p.gamma ?? null, p.beta ?? null))))(params);
  await expectClose(value, dot(w, ref.y), backendTolerance({ cpu: { atol: 1e-4 }, wasm: { atol: 1e-4 }, webgpu: { atol: 1e-3 } }));
  await expectClose(await (grads.x as tf.Tensor).data(), refGrads.dx, { ...gradTolerance(), what: 'dx' });
  if (gt) await expectClose(await (grads.gamma as tf.Tensor).data(), refGrads.dgamma, { ...gradTolerance(), what: 'dgamma' });
  if (bt) await expectClose(await (grads.beta as tf.Tensor).data(), refGrads.dbeta, { ...gradTolerance(), what: 'dbeta' });
  tf.dispose([xt, gt, bt, wt, y, value, grads].filter((t) => t !== null) as tf.TensorContainer[]);
}

export const maxAbsDiff = (a: readonly number[], b: readonly number[]) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - (b[i] as number))), 0);

/**
 * The custom (closed-form) gradient of `fn` against tfjs autograd of the naive formula `naive`, in
 * float32 on the active backend: dx, dgamma and dbeta for L = Σ w·y.
 */
export async function expectSameGradsAsAutograd(fn: NormFn, naive: NormFn, c: NormCase): Promise<void> {
  const { x, gamma, beta, w } = caseData(c);
  const xt = tf.tensor(x, [...c.shape]);
  const gt = tf.tensor(gamma ?? seeded(size(c.paramShape), 3, 0.5, 2), [...c.paramShape]);
  const bt = tf.tensor(beta ?? seeded(size(c.paramShape), 4), [...c.paramShape]);
  const wt = tf.tensor(w, [...c.shape]);
  const gradsOf = (f: NormFn) =>
    valueAndGrad((p: { x: tf.Tensor; gamma: tf.Tensor; beta: tf.Tensor }) => tf.sum(tf.mul(wt, f(p.x, p.gamma, c.rms ? null : p.beta))))({
      x: xt,
      gamma: gt,
      beta: bt,
    });
  const custom = gradsOf(fn);
  const auto = gradsOf(naive);
  const auto64 = { x: await auto.grads.x.data(), gamma: await auto.grads.gamma.data(), beta: await auto.grads.beta.data() };
  await expectClose(
    await custom.value.data(),
    await auto.value.data(),
    backendTolerance({ cpu: { atol: 1e-4 }, wasm: { atol: 1e-4 }, webgpu: { atol: 1e-3 } }),
  );
  await expectClose(await custom.grads.x.data(), auto64.x, { ...gradTolerance(), what: 'dx (custom vs autograd)' });
  await expectClose(await custom.grads.gamma.data(), auto64.gamma, { ...gradTolerance(), what: 'dgamma (custom vs autograd)' });
  await expectClose(await custom.grads.beta.data(), auto64.beta, { ...gradTolerance(), what: 'dbeta (custom vs autograd)' });
  tf.dispose([xt, gt, bt, wt, custom.value, custom.grads, auto.value, auto.grads] as tf.TensorContainer[]);
}

/**
 * Central finite differences of the float32 implementation itself (h = 1e-2, coarse tolerance) vs
 * its gradient: a sanity check that needs no reference at all.
 */
export async function expectFiniteDifferences(fn: NormFn, c: NormCase): Promise<void> {
  const { x, gamma, beta, w } = caseData(c);
  const gt = gamma ? tf.tensor(gamma, [...c.paramShape]) : null;
  const bt = beta ? tf.tensor(beta, [...c.paramShape]) : null;
  const wt = tf.tensor(w, [...c.shape]);
  const loss = (xs: tf.Tensor) => tf.sum(tf.mul(wt, fn(xs, gt, bt)));
  const h = 1e-2;
  const perturbed = x
    .flatMap((_, i) => [i, -i - 1])
    .map((k) => {
      const xs = [...x];
      const i = k >= 0 ? k : -k - 1;
      xs[i] = (xs[i] as number) + (k >= 0 ? h : -h);
      return xs;
    });
  // All perturbed losses in one tensor, read once.
  const losses = tf.tidy(() => tf.stack(perturbed.map((xs) => loss(tf.tensor(xs, [...c.shape])))));
  const values = await losses.data();
  const fd = x.map((_, i) => ((values[2 * i] as number) - (values[2 * i + 1] as number)) / (2 * h));
  const xt = tf.tensor(x, [...c.shape]);
  const { value, grads } = valueAndGrad((p: { x: tf.Tensor }) => loss(p.x))({ x: xt });
  await expectClose(await grads.x.data(), fd, { rtol: 2e-2, atol: 2e-2, what: 'dx vs float32 finite differences' });
  tf.dispose([gt, bt, wt, losses, xt, value, grads.x].filter((t) => t !== null) as tf.Tensor[]);
}

/** Runs `run` in tf.tidy and checks it throws `type` naming `field` (`.field` or `.what`), leaving no tensor behind. */
export function expectTypedError(run: () => unknown, type: typeof HyperParameterError | typeof ValueError, field: string): void {
  const before = tf.memory().numTensors;
  let error: unknown;
  try {
    tf.tidy(() => {
      run();
    });
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(type);
  const named = error instanceof HyperParameterError ? error.field : (error as ValueError).what;
  expect(named).toBe(field);
  expect((error as Error).message).toContain(field);
  expect(tf.memory().numTensors).toBe(before);
}
