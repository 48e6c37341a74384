import type { FusedKernelArgs } from '@gradkit/core';
import type { TensorInfo } from '@tensorflow/tfjs-core';
import { sgdInPlace } from '../sgd-loop.js';

/** The part of tfjs's BackendWasm this kernel uses: a Float32Array view of a tensor in the wasm heap. */
interface WasmBackend {
  typedArrayFromHeap(t: TensorInfo): Float32Array;
}

/**
 * Fused plain SGD on tfjs's wasm backend: updates the tensors where they lie in the WebAssembly heap
 * (no copies; the runner then drops what tfjs's C++ side cached about them). p ← p − η(g + λp), in
 * float32 like the reference path.
 *
 * @example
 * ```ts
 * registerFusedKernel({ kernelName: 'GradkitSgd', backendName: 'wasm', pattern: ['sgd'], kernelFunc: sgdWasm });
 * ```
 */
export function sgdWasm({ backend, params, grads, hyper }: FusedKernelArgs): void {
  const { learningRate = 0, weightDecay = 0 } = hyper[0] ?? {};
  const b = backend as unknown as WasmBackend;
  for (const [i, p] of params.entries()) sgdInPlace(b.typedArrayFromHeap(p), b.typedArrayFromHeap(grads[i] as TensorInfo), learningRate, weightDecay);
}
