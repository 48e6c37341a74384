// Counts WebGPU work while it is switched on: `queue.submit` calls on the backend's queue and
// `dispatchWorkgroups` calls on every compute pass. tfjs-backend-webgpu 4.22 records each program
// into a compute pass (`recordAndSubmit`: `computePassEncoder.dispatchWorkgroups`) and submits its
// command encoder through `backend.queue.submit` (`submitQueue`) every
// WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE dispatches and before every readback; gradkit's own WebGPU
// kernels use the same device and queue. Nothing here imports the backend package.
import * as tf from '@tensorflow/tfjs-core';
import { countCalls, patchMethod } from './patch.js';

/**
 * Dispatch and submit counts of the active WebGPU backend, counted between `start()` and `stop()`.
 * On any other backend it counts nothing.
 */
export class GpuCounter {
  /** Compute dispatches seen while started. */
  dispatches = 0;
  /** Queue submits seen while started. */
  submits = 0;
  /** Whether submits are counted (the active backend is WebGPU); set by `start`. */
  countsSubmits = false;
  /** Whether dispatches are counted (WebGPU, with the `GPUComputePassEncoder` interface global); set by `start`. */
  countsDispatches = false;
  private restores: (() => void)[] = [];

  /** Starts counting (a second call while started does nothing). */
  start(): void {
    if (this.restores.length > 0) return;
    const queue = queueOf();
    this.countsSubmits = queue !== undefined;
    if (!queue) return;
    this.restores.push(
      patchMethod(
        queue,
        'submit',
        countCalls(() => this.submits++),
      ),
    );
    const pass = (globalThis as unknown as { GPUComputePassEncoder?: { prototype: Record<string, unknown> } }).GPUComputePassEncoder?.prototype;
    this.countsDispatches = typeof pass?.dispatchWorkgroups === 'function';
    if (pass && this.countsDispatches)
      this.restores.push(
        patchMethod(
          pass,
          'dispatchWorkgroups',
          countCalls(() => this.dispatches++),
        ),
      );
  }

  /** Stops counting and restores the queue and the pass encoder (idempotent). */
  stop(): void {
    for (const restore of this.restores.reverse()) restore();
    this.restores = [];
  }
}

/** The GPUQueue tfjs-backend-webgpu submits to (`backend.queue`), when the active backend is WebGPU. */
function queueOf(): object | undefined {
  if (tf.getBackend() !== 'webgpu') return undefined;
  const queue = (tf.backend() as unknown as { queue?: { submit?: unknown } }).queue;
  return typeof queue?.submit === 'function' ? queue : undefined;
}
