// One call of a rule's module over one flat range: a parameter, its gradient and its slots as
// contiguous float32 arrays at byte offsets of the modules' memory. The cpu step's two update paths
// (wasm-home.ts and wasm-chunks.ts) lay many tensors out side by side and update them through this.
import type * as tf from '@tensorflow/tfjs-core';
import type { Clip } from '../f32-rules.js';
import type { FusedPlan } from '../plan.js';
import type { WasmKernels } from '../wasm/modules.js';
import { wasmUpdate } from '../wasm/step.js';

/** θ, g and up to three slots (Adam with AMSGrad, centered RMSprop with momentum). */
const infos = Array.from({ length: 5 }, () => ({ dataId: {}, shape: [0], dtype: 'float32' }) as tf.TensorInfo);
const offsets = new Map<tf.TensorInfo, number>();
const at = (t: tf.TensorInfo) => offsets.get(t) as number;

/**
 * Updates `n` elements: θ at byte offset `p`, g at `g`, slot k at `slots[k]`, all in `k.memory`.
 * AMSGrad's max is tfjs-cpu's `tf.maximum` (NaN wins).
 *
 * @example
 * ```ts
 * flatUpdate(kernels, plan, 1024, 0, 4096, [8192, 12288], undefined); // adam over 1024 elements
 * ```
 */
export function flatUpdate(k: WasmKernels, plan: FusedPlan, n: number, p: number, g: number, slots: readonly number[], clip: Clip | undefined): void {
  const [pi, gi, ...si] = infos as [tf.TensorInfo, tf.TensorInfo, ...tf.TensorInfo[]];
  const used = [pi, gi, ...si.slice(0, slots.length)];
  for (const [i, t] of used.entries()) {
    (t.shape as number[])[0] = n;
    offsets.set(t, i === 0 ? p : i === 1 ? g : (slots[i - 2] as number));
  }
  const tensors = { params: [pi], grads: [gi], slots: si.slice(0, slots.length).map((s) => [s]) };
  wasmUpdate(k, plan, tensors, at, clip ? [clip.norm, clip.maxNorm] : undefined, true);
}
