import type * as tf from '@tensorflow/tfjs-core';
import { applyRuleF32, type Clip } from '../f32-rules.js';
import { checkFusedTensors, type FusedPlan, type FusedTensors, type GuardTensors } from '../plan.js';
import { normInChunks, updateInChunks } from './wasm-chunks.js';
import { type CpuData, updateAtHome } from './wasm-home.js';

/** The part of tfjs's MathBackendCPU used here: its typed arrays by dataId. */
interface CpuBackend {
  readonly data: { get(dataId: object): { values: Float32Array | Int32Array | Uint8Array } };
}

const pick = <T>(xs: readonly T[], at: readonly number[]): T[] => at.map((i) => xs[i] as T);

const INT32_MAX = 2147483647;
const f = Math.fround;

/** The global sum of squares as the reference sums it (per tensor, then across tensors in float32) and finiteness, in JavaScript. */
function sumSquares(grads: readonly Float32Array[]): { total: number; finite: boolean } {
  let total = 0;
  let finite = true;
  for (const a of grads) {
    let s = 0;
    for (let j = 0; j < a.length; j++) {
      const x = a[j] as number;
      s += f(x * x);
      if (finite && !Number.isFinite(x)) finite = false;
    }
    total = f(total + f(s));
  }
  return { total, finite };
}

/**
 * applyIfFinite's decision, on the guard scalars in place: returns whether the step applies.
 * Same rule as the reference (optax `apply_if_finite`).
 */
function guardStep(values: (t: tf.TensorInfo) => ArrayLike<number> & { [i: number]: number }, g: GuardTensors, finite: boolean, limit: number): boolean {
  const count = values(g.notfiniteCount);
  const total = values(g.totalNotfinite);
  count[0] = finite ? 0 : Math.min((count[0] as number) + 1, INT32_MAX);
  if (!finite) total[0] = Math.min((total[0] as number) + 1, INT32_MAX);
  values(g.lastFinite)[0] = finite ? 1 : 0;
  return finite || (count[0] as number) > limit;
}

/**
 * The fused optimizer step on tfjs's cpu backend, in place. With a guard or a clip, one read pass
 * over the gradients first (sum of squares as the reference sums them: per tensor, then across
 * tensors in float32; and finiteness; through norm.wat where WebAssembly runs; the clip's `norm` and
 * `clipped` metrics written once the guard lets the step apply), then one update pass
 * through the WebAssembly SIMD modules: over parameters and slots moved into WebAssembly memory on
 * their first step (wasm-home.ts), else over chunks copied in and out (wasm-chunks.ts), else, where
 * WebAssembly cannot run, with f32-rules.ts's JavaScript loops (AMSGrad's max as tfjs-cpu's
 * `tf.maximum`: NaN wins). `apply` forces one JavaScript implementation of the rules, in place.
 *
 * @example
 * ```ts
 * cpuStep(tf.backend(), { rule: { kind: 'lion', lr: 1e-4, beta1: 0.9, beta2: 0.99, weightDecay: 0 } }, tensors);
 * ```
 */
export function cpuStep(backend: tf.KernelBackend, plan: FusedPlan, t: FusedTensors, apply?: typeof applyRuleF32): void {
  checkFusedTensors('cpu', plan, t);
  const b = backend as unknown as CpuBackend;
  const values = (x: tf.TensorInfo) => b.data.get(x.dataId).values;
  const floats = (x: tf.TensorInfo) => values(x) as Float32Array;
  let clip: Clip | undefined;
  const grads = t.grads.map(floats);
  if (plan.maxNorm !== undefined || t.guard) {
    const { total, finite } = (apply ? null : normInChunks(grads)) ?? sumSquares(grads);
    if (t.guard && plan.guard !== undefined && !guardStep(values, t.guard, finite, plan.guard)) return;
    const norm = f(Math.sqrt(total));
    const clips = plan.maxNorm !== undefined && !(norm < f(plan.maxNorm));
    if (clips) clip = { norm, maxNorm: f(plan.maxNorm as number) };
    if (t.clipMetrics) {
      values(t.clipMetrics.norm)[0] = norm;
      values(t.clipMetrics.clipped)[0] = clips ? 1 : 0;
    }
  }
  let left = t.params.map((_, i) => i);
  if (!apply) {
    const data = (x: tf.TensorInfo) => b.data.get(x.dataId) as CpuData;
    left = updateAtHome(
      plan,
      t.params.map((p, i) => [data(p), ...t.slots.map((s) => data(s[i] as tf.TensorInfo))]),
      grads,
      clip,
    );
    if (left.length === 0) return;
  }
  const params = pick(t.params, left).map(floats);
  const slots = t.slots.map((s) => pick(s, left).map(floats));
  if (!apply && updateInChunks(plan, params, pick(grads, left), slots, clip)) return;
  for (const [j, p] of params.entries()) {
    const i = left[j] as number;
    const own = slots.map((s) => s[j] as Float32Array);
    if (apply) apply(plan.rule, p, grads[i] as Float32Array, own, clip);
    else applyRuleF32(plan.rule, p, grads[i] as Float32Array, own, clip, Math.max);
  }
}
