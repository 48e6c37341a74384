// The fused step of `cautious(rule)` (Liang et al. 2024; cautious.ts): the rule's own fused step, then
// the cautious mask on the update it made, per tensor. The update is recovered as u = θ' − θ from a
// copy of θ taken before the step, so every rule of every backend is cautious without a kernel of its
// own; u' = θ' − θ is u rounded once more (to θ's ulp), so the masked step matches the reference path
// within its float32 tolerance, not bit for bit.
import type * as tf from '@tensorflow/tfjs-core';
import type { FusedPlan, FusedStep, FusedTensors } from './plan.js';

const f = Math.fround;

/**
 * The mask on one tensor, in place: with u = θ' − θ₀, m = [u·g < 0], scale = 1 / max(Σm/n, 10⁻³)
 * (float32, as cautious.ts: `tf.div(1, tf.maximum(tf.mean(m), 1e-3))`), θ = θ₀ + u·(m·scale). A NaN u
 * stays NaN (NaN·0).
 *
 * @example
 * ```ts
 * cautiousMask(after, before, grad); // after: θ' in, θ out
 * ```
 */
export function cautiousMask(after: Float32Array, before: Float32Array, grad: ArrayLike<number>): void {
  const n = after.length;
  let agree = 0;
  for (let j = 0; j < n; j++) if (f(f((after[j] as number) - (before[j] as number)) * (grad[j] as number)) < 0) agree++;
  const scale = f(1 / Math.max(f(agree / n), f(1e-3)));
  for (let j = 0; j < n; j++) {
    const b = before[j] as number;
    const u = f((after[j] as number) - b);
    const m = f(u * (grad[j] as number)) < 0 ? scale : 0;
    after[j] = f(b + f(u * m));
  }
}

/**
 * `cautious(rule)` on a backend whose tensors JavaScript reads as typed arrays (cpu; wasm over views
 * of its heap): θ copied, the rule's `step`, then `cautiousMask` per tensor. `arrayOf` gives a
 * tensor's current array (taken again after the step: the cpu step may have moved it).
 */
export function cautiousOnArrays(step: FusedStep, arrayOf: (backend: tf.KernelBackend, t: tf.TensorInfo) => Float32Array): FusedStep {
  return (backend: tf.KernelBackend, plan: FusedPlan, t: FusedTensors) => {
    const before = t.params.map((p) => arrayOf(backend, p).slice());
    // A gradient that is also a parameter (or a slot) would be read after the step changed it.
    const grads = t.grads.map((g) => arrayOf(backend, g).slice());
    step(backend, plan, t);
    for (const [i, p] of t.params.entries()) cautiousMask(arrayOf(backend, p), before[i] as Float32Array, grads[i] as Float32Array);
  };
}
