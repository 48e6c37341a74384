import { type BackendInfo, type BackendName, isBackendName } from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import { harnessState } from './state.js';

/**
 * The name of the tfjs backend that is active now (`'cpu'`, `'wasm'` or `'webgpu'`). Inside the
 * harness this is the backend of the vitest project the test file runs in.
 *
 * @throws Error when tfjs has no backend, or one that gradkit does not support.
 * @example
 * ```ts
 * const tol = currentBackend() === 'webgpu' ? 1e-4 : 1e-6;
 * ```
 */
export function currentBackend(): BackendName {
  const name = tf.getBackend();
  if (!isBackendName(name))
    throw new Error(
      `the active tfjs backend is ${name === undefined ? 'none' : `'${name}'`}, not one of gradkit's (cpu, wasm, webgpu): run the test through the harness (vitest at the repository root)`,
    );
  return name;
}

/**
 * What `useBackend` reported when the harness started this test file's backend (SIMD, threads,
 * the WebGPU adapter). Null outside the harness or before its `beforeAll` ran.
 *
 * @example
 * ```ts
 * if (backendInfo()?.adapter?.architecture === 'swiftshader') console.log('software WebGPU');
 * ```
 */
export function backendInfo(): BackendInfo | null {
  return harnessState().info;
}
