import { GradkitError } from '@gradkit/core';
import type * as tf from '@tensorflow/tfjs-core';
import { cpuStep } from '../cpu/step.js';
import { applyRuleF32 } from '../f32-rules.js';
import { checkFusedTensors, type FusedPlan, type FusedStep, type FusedTensors, type GuardTensors } from '../plan.js';
import { kernelsFor, type WasmKernels } from './modules.js';

/** What the step needs of tfjs-backend-wasm 4.22's BackendWasm. */
interface WasmBackend {
  readonly dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

const INT32_MAX = 2147483647;
const f = Math.fround;

/** Elements of a tensor (no allocation). */
function size(t: tf.TensorInfo): number {
  let n = 1;
  for (const d of t.shape) n *= d;
  return n;
}

/** Int32, float32 and byte views of the whole memory, taken again only when it grew (its buffer changed). */
const heaps = new WeakMap<WebAssembly.Memory, { buffer: ArrayBufferLike; i32: Int32Array; f32: Float32Array; u8: Uint8Array }>();
function heapOf(memory: WebAssembly.Memory) {
  const buffer = memory.buffer;
  let h = heaps.get(memory);
  if (h?.buffer !== buffer) {
    h = { buffer, i32: new Int32Array(buffer), f32: new Float32Array(buffer), u8: new Uint8Array(buffer) };
    heaps.set(memory, h);
  }
  return h;
}

/** applyIfFinite's decision, on the guard scalars in the heap (as cpu/step.ts): whether the step applies. */
function guardStep(k: WasmKernels, at: (t: tf.TensorInfo) => number, g: GuardTensors, finite: boolean, limit: number): boolean {
  const { i32, u8 } = heapOf(k.memory);
  const count = at(g.notfiniteCount) >>> 2;
  const total = at(g.totalNotfinite) >>> 2;
  i32[count] = finite ? 0 : Math.min((i32[count] as number) + 1, INT32_MAX);
  if (!finite) i32[total] = Math.min((i32[total] as number) + 1, INT32_MAX);
  u8[at(g.lastFinite)] = finite ? 1 : 0;
  return finite || (i32[count] as number) > limit;
}

/**
 * The update pass: the rule's module over every parameter, whose byte offsets `at` gives (clip: the
 * global norm and threshold, or none). `nanWins`: AMSGrad's running maximum becomes NaN where v is
 * (tfjs-cpu's `tf.maximum`) instead of keeping its value (tfjs-wasm's), and ADOPT's clip keeps a NaN
 * (tfjs-cpu's `clipByValue`) instead of giving −c (tfjs-wasm's).
 *
 * @example
 * ```ts
 * wasmUpdate(kernels, plan, tensors, (t) => backend.dataIdMap.get(t.dataId).memoryOffset, undefined);
 * ```
 */
export function wasmUpdate(
  k: WasmKernels,
  plan: FusedPlan,
  t: FusedTensors,
  at: (x: tf.TensorInfo) => number,
  clip: readonly [number, number] | undefined,
  nanWins = false,
): void {
  const r = plan.rule;
  const [norm, maxNorm] = clip ?? [1, 1];
  const clipped = clip ? 1 : 0;
  const slot = (s: number, i: number) => {
    const x = t.slots[s]?.[i];
    return x ? at(x) : 0;
  };
  const n = t.params.length;
  const grad = (i: number) => at(t.grads[i] as tf.TensorInfo);
  switch (r.kind) {
    case 'sgd': {
      const momentum = t.slots.length > 0;
      const flags = clipped | (f(r.weightDecay) !== 0 ? 2 : 0) | (momentum ? 4 : 0) | (r.first ? 8 : 0) | (r.nesterov ? 16 : 0);
      k.sgd.setup(-r.lr, r.weightDecay, r.momentum, 1 - r.dampening, norm, maxNorm, flags);
      for (let i = 0; i < n; i++) {
        const p = t.params[i] as tf.TensorInfo;
        k.sgd.step(at(p), grad(i), slot(0, i), size(p));
      }
      return;
    }
    case 'adam': {
      const wd = f(r.weightDecay) !== 0;
      const amsgrad = t.slots.length > 2;
      const flags = clipped | (!r.decoupled && wd ? 2 : 0) | (r.decoupled && wd ? 4 : 0) | (amsgrad ? 8 : 0) | (amsgrad && nanWins ? 16 : 0);
      k.adam.setup(
        r.beta1,
        r.beta2,
        1 - r.beta1,
        1 - r.beta2,
        r.epsilon,
        1 / r.bc2Sqrt,
        -r.stepSize,
        r.weightDecay,
        r.lr * r.weightDecay,
        norm,
        maxNorm,
        flags,
      );
      for (let i = 0; i < n; i++) {
        const p = t.params[i] as tf.TensorInfo;
        k.adam.step(at(p), grad(i), slot(0, i), slot(1, i), slot(2, i), size(p));
      }
      return;
    }
    case 'rmsprop': {
      const momentum = r.momentum !== 0;
      const flags = clipped | (f(r.weightDecay) !== 0 ? 2 : 0) | (r.centered ? 4 : 0) | (momentum ? 8 : 0);
      k.rmsprop.setup(r.alpha, 1 - r.alpha, r.epsilon, r.weightDecay, r.momentum, -r.lr, norm, maxNorm, flags);
      const bufAt = r.centered ? 2 : 1;
      for (let i = 0; i < n; i++) {
        const p = t.params[i] as tf.TensorInfo;
        k.rmsprop.step(at(p), grad(i), slot(0, i), r.centered ? slot(1, i) : 0, momentum ? slot(bufAt, i) : 0, size(p));
      }
      return;
    }
    case 'lion': {
      const flags = clipped | (f(r.weightDecay) !== 0 ? 2 : 0);
      k.lion.setup(r.beta1, r.beta2, 1 - r.beta1, 1 - r.beta2, r.weightDecay, -r.lr, norm, maxNorm, flags);
      for (let i = 0; i < n; i++) {
        const p = t.params[i] as tf.TensorInfo;
        k.lion.step(at(p), grad(i), slot(0, i), size(p));
      }
      return;
    }
    case 'adopt': {
      const flags = clipped | (f(r.weightDecay) !== 0 ? 2 : 0) | (r.clip !== undefined ? 4 : 0) | (r.nesterov ? 8 : 0) | (nanWins ? 16 : 0);
      k.adopt.setup(r.beta1, r.beta2, 1 - r.beta1, 1 - r.beta2, r.epsilon, r.clip ?? 0, -r.lr, r.weightDecay, norm, maxNorm, flags);
      for (let i = 0; i < n; i++) {
        const p = t.params[i] as tf.TensorInfo;
        k.adopt.step(at(p), grad(i), slot(0, i), slot(1, i), size(p));
      }
      return;
    }
    case 'scheduleFreeAdamW': {
      const flags = clipped | (f(r.weightDecay) !== 0 ? 2 : 0);
      k.scheduleFreeAdamW.setup(r.beta2, 1 - r.beta2, r.bc2, r.epsilon, r.weightDecay, r.ckp1, r.adaptiveYLr, r.lr, norm, maxNorm, flags);
      for (let i = 0; i < n; i++) {
        const p = t.params[i] as tf.TensorInfo;
        k.scheduleFreeAdamW.step(at(p), grad(i), slot(0, i), slot(1, i), size(p));
      }
      return;
    }
  }
}

/** The step in JavaScript over the same memory (cpu/step.ts with the modules' float32 rules, on views of the heap), while the modules cannot run. */
function javascriptStep(b: WasmBackend, plan: FusedPlan, t: FusedTensors): void {
  const infos = new Map<object, tf.TensorInfo>();
  for (const x of [...t.params, ...t.grads, ...t.slots.flat(), ...Object.values(t.guard ?? {}), ...Object.values(t.clipMetrics ?? {})]) infos.set(x.dataId, x);
  const views = { data: { get: (dataId: object) => ({ values: b.typedArrayFromHeap(infos.get(dataId) as tf.TensorInfo) }) } };
  cpuStep(views as unknown as tf.KernelBackend, plan, t, applyRuleF32);
}

/**
 * The fused optimizer step on tfjs-backend-wasm: WebAssembly modules (f32x4 SIMD, or scalar where the
 * engine has no SIMD; importing tfjs's own memory, shared in its threaded build) that update every
 * tensor where it lies in the heap, with no copies. With a guard or a clip, one read pass over the
 * gradients first (sum of squares summed as cpu/step.ts does, and finiteness; the clip's `norm` and
 * `clipped` metrics written as cpu/step.ts does), then one update pass;
 * per-op float32 rounding in the reference order (plain SGD is bit-identical to the reference path).
 *
 * @example
 * ```ts
 * wasmStep(tf.backend(), { rule: { kind: 'lion', lr: 1e-4, beta1: 0.9, beta2: 0.99, weightDecay: 0 } }, tensors);
 * ```
 */
export const wasmStep: FusedStep = (backend, plan, t) => {
  checkFusedTensors('wasm', plan, t);
  const b = backend as unknown as WasmBackend;
  const k = kernelsFor(backend);
  if (!k) {
    javascriptStep(b, plan, t);
    return;
  }
  const at = (x: tf.TensorInfo) => (b.dataIdMap.get(x.dataId) as { memoryOffset: number }).memoryOffset;
  // Every tensor must lie in the heap: checked before the first write (the kernel is atomic).
  for (const x of [...t.params, ...t.grads, ...t.slots.flat(), ...Object.values(t.guard ?? {}), ...Object.values(t.clipMetrics ?? {})])
    if (b.dataIdMap.get(x.dataId) === undefined) throw new GradkitError('BAD_KERNEL_INPUT', 'wasm fused step: a tensor is not on the wasm backend');
  let clip: readonly [number, number] | undefined;
  if (plan.maxNorm !== undefined || t.guard) {
    k.norm.reset();
    for (const g of t.grads) k.norm.add(at(g), size(g));
    const finite = k.norm.nonFinite() === 0;
    if (t.guard && plan.guard !== undefined && !guardStep(k, at, t.guard, finite, plan.guard)) return;
    const norm = f(Math.sqrt(k.norm.total()));
    const clips = plan.maxNorm !== undefined && !(norm < f(plan.maxNorm));
    if (clips) clip = [norm, f(plan.maxNorm as number)];
    if (t.clipMetrics) {
      const { f32 } = heapOf(k.memory);
      f32[at(t.clipMetrics.norm) >>> 2] = norm;
      f32[at(t.clipMetrics.clipped) >>> 2] = clips ? 1 : 0;
    }
  }
  wasmUpdate(k, plan, t, at, clip);
};
