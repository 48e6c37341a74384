import type * as tf from '@tensorflow/tfjs-core';
import { applyRuleF32, type Clip } from '../f32-rules.js';
import type { FusedPlan, FusedTensors, GuardTensors } from '../plan.js';
import { updateInChunks } from './wasm-chunks.js';

/** The part of tfjs's MathBackendCPU used here: its typed arrays by dataId. */
interface CpuBackend {
  readonly data: { get(dataId: object): { values: Float32Array | Int32Array | Uint8Array } };
}

const INT32_MAX = 2147483647;
const f = Math.fround;

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
 * The fused optimizer step on tfjs's cpu backend: loops over the backend's own typed arrays, in
 * place. With a guard or a clip, one read pass over the gradients first (sum of squares as the
 * reference sums them: per tensor, then across tensors in float32; and finiteness), then one update pass
 * through the WebAssembly SIMD modules chunk by chunk (wasm-chunks.ts), or where they cannot run with
 * f32-rules.ts's JavaScript loops (AMSGrad's max as tfjs-cpu's `tf.maximum`: NaN wins); `apply`
 * forces one JavaScript implementation of the rules.
 *
 * @example
 * ```ts
 * cpuStep(tf.backend(), { rule: { kind: 'lion', lr: 1e-4, beta1: 0.9, beta2: 0.99, weightDecay: 0 } }, tensors);
 * ```
 */
export function cpuStep(backend: tf.KernelBackend, plan: FusedPlan, t: FusedTensors, apply?: typeof applyRuleF32): void {
  const b = backend as unknown as CpuBackend;
  const values = (x: tf.TensorInfo) => b.data.get(x.dataId).values;
  const floats = (x: tf.TensorInfo) => values(x) as Float32Array;
  let clip: Clip | undefined;
  if (plan.maxNorm !== undefined || t.guard) {
    let total = 0;
    let finite = true;
    for (const g of t.grads) {
      const a = floats(g);
      let s = 0;
      for (let j = 0; j < a.length; j++) {
        const x = a[j] as number;
        s += f(x * x);
        if (finite && !Number.isFinite(x)) finite = false;
      }
      total = f(total + f(s));
    }
    if (t.guard && plan.guard !== undefined && !guardStep(values, t.guard, finite, plan.guard)) return;
    const norm = f(Math.sqrt(total));
    if (plan.maxNorm !== undefined && !(norm < f(plan.maxNorm))) clip = { norm, maxNorm: f(plan.maxNorm) };
  }
  const params = t.params.map(floats);
  const grads = t.grads.map(floats);
  const slots = t.slots.map((s) => s.map(floats));
  if (!apply && updateInChunks(plan, params, grads, slots, clip)) return;
  for (const [i, p] of params.entries()) {
    const own = slots.map((s) => s[i] as Float32Array);
    if (apply) apply(plan.rule, p, grads[i] as Float32Array, own, clip);
    else applyRuleF32(plan.rule, p, grads[i] as Float32Array, own, clip, Math.max);
  }
}
