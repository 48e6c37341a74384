// Reading a small tensor (class labels, embedding indices) on the host without waiting (not part of the public surface).
import * as tf from '@tensorflow/tfjs-core';

/** The part of tfjs-backend-webgpu's backend this reads: its map from data id to the CPU-side copy. */
interface WebGpuTensorMap {
  readonly tensorMap?: { has(dataId: object): boolean; get(dataId: object): { values?: tf.backend_util.BackendValues | null } };
}

/**
 * The values of `t` if they can be read synchronously and cheaply, else `undefined`:
 * - cpu and wasm keep tensors in host memory: `dataSync()`.
 * - webgpu uploads a tensor made from a JS array lazily and keeps its values on the CPU side until
 *   the first kernel uses it (tfjs-backend-webgpu's `tensorMap`, `uploadToGPU`), and again after an
 *   `await t.data()`; those values are returned. A tensor that lives only on the GPU (a kernel's
 *   output) cannot be read without waiting (`readSync` there needs `OffscreenCanvas`, absent in Node,
 *   and stalls the GPU in a browser): `undefined`.
 * - any other backend: `undefined`.
 */
export function hostValues(t: tf.Tensor): ArrayLike<number> | undefined {
  const name = tf.getBackend();
  if (name === 'cpu' || name === 'wasm') return t.dataSync();
  if (name !== 'webgpu') return undefined;
  const map = (tf.backend() as unknown as WebGpuTensorMap).tensorMap;
  if (!map?.has(t.dataId)) return undefined;
  const values = map.get(t.dataId).values;
  return values instanceof Int32Array || values instanceof Float32Array ? values : undefined;
}
