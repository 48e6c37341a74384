// What a backend must be told after a fused kernel wrote tensors in place. The runner calls
// `afterInPlaceWrite` for every parameter and slot a kernel was given, so kernel authors need not.
import type * as tf from '@tensorflow/tfjs-core';

/** tfjs-backend-wasm 4.22: the C++ side's tensor registry and the JS side's bookkeeping. */
interface WasmBackend {
  readonly dataIdMap: { get(dataId: object): { id: number; memoryOffset: number } | undefined };
  readonly wasm: { readonly tfjs: { disposeData(id: number): void; registerTensor(id: number, size: number, memoryOffset: number): void } };
}

/** tfjs-backend-webgpu 4.22: `tensorMap.get(id).values` is a CPU copy that `read()` may fill. */
interface WebGpuBackend {
  readonly tensorMap: { get(dataId: tf.DataId): { values: unknown; resource?: unknown } | undefined };
  read(dataId: tf.DataId): Promise<unknown>;
}

const writes = new WeakMap<tf.DataId, number>();
const guarded = new WeakSet<object>();

/**
 * wasm: XNNPACK operators that tfjs caches per tensor id (dense and conv pack their weights once)
 * would keep the old values. Disposing the id on the C++ side runs its disposal callbacks; registering
 * it again at the same memory keeps the tensor valid. The JS side (dataIdMap, refCount) is untouched.
 */
function wasmWritten(backend: WasmBackend, t: tf.TensorInfo): void {
  const data = backend.dataIdMap.get(t.dataId);
  if (!data) return;
  backend.wasm.tfjs.disposeData(data.id);
  backend.wasm.tfjs.registerTensor(
    data.id,
    t.shape.reduce((a, b) => a * b, 1),
    data.memoryOffset,
  );
}

/**
 * webgpu: drop the CPU copy now, and (through a once-per-backend wrapper around `read`) again when a
 * read that was in flight during the write finishes, since tfjs would cache its pre-write download
 * and serve it to every later `data()`. The in-flight read itself resolves to the values it was
 * ordered before.
 */
function webGpuWritten(backend: WebGpuBackend, t: tf.TensorInfo): void {
  writes.set(t.dataId, (writes.get(t.dataId) ?? 0) + 1);
  const data = backend.tensorMap.get(t.dataId);
  // Only a tensor on the GPU can have been written there; one still on the CPU keeps its values.
  if (data?.resource) data.values = null;
  if (guarded.has(backend)) return;
  guarded.add(backend);
  const read = backend.read.bind(backend);
  backend.read = async (id: tf.DataId) => {
    const before = writes.get(id);
    const values = await read(id);
    if (writes.get(id) !== before) {
      const entry = backend.tensorMap.get(id);
      if (entry?.resource) entry.values = null;
    }
    return values;
  };
}

/** Keeps the backend's caches consistent with tensors a fused kernel wrote in place. */
export function afterInPlaceWrite(backendName: string, backend: tf.KernelBackend, tensors: readonly tf.TensorInfo[]): void {
  if (backendName === 'wasm') for (const t of tensors) wasmWritten(backend as unknown as WasmBackend, t);
  else if (backendName === 'webgpu') for (const t of tensors) webGpuWritten(backend as unknown as WebGpuBackend, t);
}
