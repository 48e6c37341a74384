// Starting tfjs's backend in a worker (the training worker and the doctor worker): the backends in
// the page's order with useBackend (the chosen one first, then the fallbacks), each loaded lazily,
// the wasm files from the site itself; and WebGPU's failures that arrive as events, not exceptions.
import { type BackendInfo, useBackend } from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import type { BackendName } from './config.js';

/** The backend that started and how many threads tfjs's wasm backend computes on (1 on the others). */
export interface StartedBackend {
  readonly info: BackendInfo;
  readonly threadCount: number;
}

/** Starts the first of `backends` that works; `base` is the site root (tfjs-wasm/ lives there). */
export async function startBackend(backends: readonly BackendName[], base: string): Promise<StartedBackend> {
  const wasm = () => import('@tensorflow/tfjs-backend-wasm');
  const info = await useBackend([...backends], {
    wasmPaths: new URL('tfjs-wasm/', base).href,
    load: {
      cpu: () => import('@tensorflow/tfjs-backend-cpu'),
      wasm,
      webgpu: () => import('@tensorflow/tfjs-backend-webgpu'),
    },
  });
  // Cross-origin isolated, tfjs runs its threaded build on half the logical cores (1 on 2 cores).
  const threadCount = info.name === 'wasm' ? (await wasm()).getThreadsCount() : 1;
  return { info, threadCount };
}

let watchedDevice: unknown;

/**
 * Calls `onFailure` when the WebGPU device is lost or reports an uncaptured error (out of memory
 * among them: `memory` is true), once per device.
 */
export function watchDevice(onFailure: (error: Error, memory: boolean) => void): void {
  type GpuError = { constructor: { name: string }; message: string };
  const device = (
    tf.backend() as unknown as {
      device?: {
        lost?: Promise<{ message?: string; reason?: string }>;
        addEventListener?(type: 'uncapturederror', listener: (e: { error: GpuError }) => void): void;
      };
    }
  ).device;
  if (!device || device === watchedDevice) return;
  watchedDevice = device;
  device.lost?.then((lost) => onFailure(new Error(`the WebGPU device was lost (${lost.reason ?? 'unknown reason'}): ${lost.message ?? ''}`), false));
  device.addEventListener?.('uncapturederror', ({ error }) =>
    onFailure(new Error(`WebGPU ${error.constructor.name}: ${error.message}`), error.constructor.name === 'GPUOutOfMemoryError'),
  );
}
