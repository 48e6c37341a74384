import * as tf from '@tensorflow/tfjs-core';
import { kernelsFor } from '../wasm/modules.js';
import { MUON_MOMENTUM_KERNEL, type MuonMomentumAttrs, muonMomentumF32 } from './kernel.js';

/** What the kernel needs of tfjs-backend-wasm 4.22's BackendWasm. */
interface WasmBackend {
  readonly dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
  makeOutput(shape: number[], dtype: 'float32'): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array;
}

/**
 * `GradkitMuonMomentum` on tfjs-backend-wasm: both outputs allocated in the heap first (allocating
 * may grow it), then muon-momentum.wat over the tensors where they lie (SIMD where the engine has
 * it), or the same in JavaScript over views of the heap while the modules cannot run.
 */
export const muonMomentumWasm: tf.KernelConfig = {
  kernelName: MUON_MOMENTUM_KERNEL,
  backendName: 'wasm',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const b = backend as unknown as WasmBackend;
    const { g, buf } = inputs as { g: tf.TensorInfo; buf: tf.TensorInfo };
    const a = attrs as unknown as MuonMomentumAttrs;
    const outB = b.makeOutput([...g.shape], 'float32');
    const outU = b.makeOutput([...g.shape], 'float32');
    const n = tf.util.sizeFromShape(g.shape);
    const k = kernelsFor(backend);
    if (k) {
      const at = (t: tf.TensorInfo) => (b.dataIdMap.get(t.dataId) as { memoryOffset: number }).memoryOffset;
      k.muonMomentum.setup(1 - a.momentum, a.momentum, a.nesterov ? 1 : 0);
      k.muonMomentum.step(at(g), at(buf), at(outB), at(outU), n);
    } else muonMomentumF32(b.typedArrayFromHeap(g), b.typedArrayFromHeap(buf), b.typedArrayFromHeap(outB), b.typedArrayFromHeap(outU), a);
    return [outB, outU];
  },
};
