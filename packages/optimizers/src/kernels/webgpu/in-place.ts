import type * as tf from '@tensorflow/tfjs-core';

/**
 * The parts of tfjs-backend-webgpu 4.22's `WebGPUBackend` that in-place writes must keep consistent.
 * `tensorMap.get(id).values` is a CPU copy: data not yet uploaded, or a cache that `read()` fills
 * after downloading the GPU buffer (the GPU buffer stays the truth while `resource` is set).
 */
export interface InPlaceBackend {
  /** tfjs's per-dataId bookkeeping. */
  readonly tensorMap: { get(dataId: tf.DataId): { values: unknown } | undefined };
  /** Downloads (or returns the CPU copy of) a tensor's values; `tensor.data()` ends here. */
  read(dataId: tf.DataId): Promise<unknown>;
}

const writes = new WeakMap<tf.DataId, number>();
const guarded = new WeakSet<object>();

/**
 * Keeps tfjs's CPU copy of a tensor consistent after a kernel wrote its GPU buffer in place: drops
 * the cached `values` now, and (through a once-per-backend wrapper around `backend.read`) drops them
 * again when a read that was already in flight during the write finishes, because tfjs would
 * otherwise cache that read's pre-write download and serve it to every later `data()`.
 * The in-flight read itself still resolves to the values from before the write, as ordered.
 *
 * Call it right after recording the dispatch that writes `dataId`.
 *
 * @example
 * ```ts
 * backend.runWebGPUProgram(program, [grad], 'float32', uniforms, param);
 * markWrittenInPlace(backend, param.dataId);
 * ```
 */
export function markWrittenInPlace(backend: InPlaceBackend, dataId: tf.DataId): void {
  writes.set(dataId, (writes.get(dataId) ?? 0) + 1);
  const data = backend.tensorMap.get(dataId);
  if (data) data.values = null;
  if (guarded.has(backend)) return;
  guarded.add(backend);
  const read = backend.read.bind(backend);
  backend.read = async (id: tf.DataId) => {
    const before = writes.get(id);
    const values = await read(id);
    if (writes.get(id) !== before) {
      const entry = backend.tensorMap.get(id);
      if (entry) entry.values = null;
    }
    return values;
  };
}
