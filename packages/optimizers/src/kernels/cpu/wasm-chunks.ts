// The cpu step's second update path, for leaves wasm-home.ts cannot move into a home (a tensor over
// 1 GiB, or an engine that refuses synchronous instantiation, until the asynchronous one is done):
// the backend's Float32Arrays are copied chunk by chunk into a small memory of our own (a few arrays
// of 128 KiB, which stay in the core's L2 cache; small tensors packed side by side), updated there by
// the same SIMD modules, and copied back.
import { wasmScratch } from '@gradkit/core';
import type { Clip } from '../f32-rules.js';
import type { FusedPlan } from '../plan.js';
import { instantiateKernels, instantiateKernelsAsync } from '../wasm/modules.js';
import { flatUpdate } from './flat-update.js';

/** Elements per array per chunk: 128 KiB, five arrays in a 1 MiB L2 (measured: 16K and 64K elements are slower). */
const CHUNK = 32768;
/** θ, g and up to three slots (Adam with AMSGrad, centered RMSprop with momentum). */
const ARRAYS = 5;

/** (parameter, first element, offset in the chunk) of every piece packed into the current chunk. */
const pieces: number[] = [];

/** The scratch memory and its modules; null where WebAssembly cannot run them (then the caller loops in JavaScript). */
const ready = wasmScratch(ARRAYS * CHUNK * 4, instantiateKernels, instantiateKernelsAsync);

/**
 * The read pass of a clipped or guarded step through norm.wat, each gradient copied chunk by chunk
 * into the scratch memory: the float32 global sum of squares (per tensor in float64, then across
 * tensors in float32, as cpu/step.ts's JavaScript loop sums it) and whether every element is finite;
 * null when the modules cannot run.
 *
 * @example
 * ```ts
 * const read = normInChunks(grads) ?? sumSquares(grads);
 * ```
 */
export function normInChunks(grads: readonly Float32Array[]): { total: number; finite: boolean } | null {
  const s = ready();
  if (!s) return null;
  const norm = s.kernels.norm;
  norm.reset();
  let total = 0;
  for (const g of grads) {
    let sum = 0;
    for (let from = 0; from < g.length; from += CHUNK) {
      const n = Math.min(CHUNK, g.length - from);
      s.heap.set(n === g.length ? g : g.subarray(from, from + n), 0);
      sum += norm.partial(0, n);
    }
    total = Math.fround(total + Math.fround(sum));
  }
  return { total, finite: norm.nonFinite() === 0 };
}

/**
 * Applies `plan.rule` to every parameter through the WebAssembly modules, chunk by chunk; returns
 * false (having changed nothing) when they cannot run.
 *
 * @example
 * ```ts
 * if (!updateInChunks(plan, params, grads, slots, clip)) for (…) applyRule(…);
 * ```
 */
export function updateInChunks(plan: FusedPlan, params: Float32Array[], grads: Float32Array[], slots: Float32Array[][], clip: Clip | undefined): boolean {
  const s = ready();
  if (!s) return false;
  const slotAt = slots.map((_, k) => (2 + k) * CHUNK * 4);
  // The rules are element-wise: pieces of several tensors (small ones whole, large ones in pieces)
  // are packed side by side into one chunk and updated by one call per module.
  let filled = 0;
  pieces.length = 0;
  const flush = () => {
    flatUpdate(s.kernels, plan, filled, 0, CHUNK * 4, slotAt, clip);
    for (let q = 0; q < pieces.length; q += 3) {
      const [i, from, at] = [pieces[q] as number, pieces[q + 1] as number, pieces[q + 2] as number];
      const theta = params[i] as Float32Array;
      const n = Math.min(theta.length - from, CHUNK - at);
      theta.set(s.heap.subarray(at, at + n), from);
      for (let k = 0; k < slots.length; k++)
        ((slots[k] as Float32Array[])[i] as Float32Array).set(s.heap.subarray((2 + k) * CHUNK + at, (2 + k) * CHUNK + at + n), from);
    }
    filled = 0;
    pieces.length = 0;
  };
  for (const [i, theta] of params.entries()) {
    for (let from = 0; from < theta.length; ) {
      const n = Math.min(theta.length - from, CHUNK - filled);
      const whole = n === theta.length;
      s.heap.set(whole ? theta : theta.subarray(from, from + n), filled);
      const grad = grads[i] as Float32Array;
      s.heap.set(whole ? grad : grad.subarray(from, from + n), CHUNK + filled);
      for (let k = 0; k < slots.length; k++) {
        const a = (slots[k] as Float32Array[])[i] as Float32Array;
        s.heap.set(whole ? a : a.subarray(from, from + n), (2 + k) * CHUNK + filled);
      }
      pieces.push(i, from, filled);
      filled += n;
      from += n;
      if (filled === CHUNK) flush();
    }
  }
  if (filled > 0) flush();
  return true;
}
