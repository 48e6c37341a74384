import type { TensorInfo } from '@tensorflow/tfjs-core';

/** The parts of tfjs-backend-wasm 4.22's BackendWasm that in-place writes must keep consistent. */
export interface WasmBackend {
  /** A Float32Array view of a tensor where it lies in the WebAssembly heap. */
  typedArrayFromHeap(t: TensorInfo): Float32Array;
  /** tfjs's bookkeeping of each tensor: its id on the C++ side and where its bytes are. */
  readonly dataIdMap: { get(dataId: object): { id: number; memoryOffset: number } | undefined };
  /** The module: `tfjs.disposeData`/`tfjs.registerTensor` are the C++ side's tensor registry. */
  readonly wasm: { readonly tfjs: { disposeData(id: number): void; registerTensor(id: number, size: number, memoryOffset: number): void } };
}

/**
 * Tells tfjs-backend-wasm's C++ side that a tensor's bytes changed in place. XNNPACK operators that
 * tfjs caches per tensor id (matMul and conv pack their weights once, keyed by the weight tensor's id)
 * would otherwise keep computing with the old values. Disposing the id on the C++ side runs its
 * disposal callbacks (dropping those operators); registering it again at the same memory keeps the
 * tensor valid. The JavaScript side (dataIdMap, refCount) is untouched.
 *
 * @example
 * ```ts
 * sgdInPlace(backend.typedArrayFromHeap(param), backend.typedArrayFromHeap(grad), lr, wd);
 * markWrittenInPlace(backend, param);
 * ```
 */
export function markWrittenInPlace(backend: WasmBackend, t: TensorInfo): void {
  const data = backend.dataIdMap.get(t.dataId);
  if (!data) return;
  const size = t.shape.reduce((a, b) => a * b, 1);
  backend.wasm.tfjs.disposeData(data.id);
  backend.wasm.tfjs.registerTensor(data.id, size, data.memoryOffset);
}
