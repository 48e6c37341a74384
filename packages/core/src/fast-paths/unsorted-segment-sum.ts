// UnsortedSegmentSum, out[s, …] = Σ_{i: ids[i] = s} x[i, …] for 0 ≤ s < numSegments (other ids are
// dropped), the gradient of tf.gather (tfjs-layers' embedding, any gather with a trainable table).
// tfjs-backend-wasm 4.22 registers none (training an embedding on wasm threw "Kernel
// 'UnsortedSegmentSum' not registered"); tfjs-cpu's builds a mask, a product and a sum per segment,
// numSegments passes over x (a vocabulary of 10 000 is 10 000 passes). One pass here, on both.
import type * as tf from '@tensorflow/tfjs-core';
import { type ArrayKernel, cpuArrayKernel, wasmArrayKernel } from './array-kernel.js';
import { defineFastPath, defineMissingKernel } from './registry.js';

const segmentSum: ArrayKernel = {
  output: ({ inputs, attrs }) => {
    const { x, segmentIds } = inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
    if (segmentIds.dtype !== 'int32' || x.dtype !== 'float32') return undefined;
    return { shape: [attrs?.numSegments as number, ...x.shape.slice(segmentIds.shape.length)], dtype: 'float32' };
  },
  compute: ({ attrs }, v, out) => {
    const [x, ids] = [v.x as Float32Array, v.segmentIds as Int32Array];
    const segments = attrs?.numSegments as number;
    const inner = ids.length === 0 ? 0 : x.length / ids.length;
    for (let i = 0; i < ids.length; i++) {
      const s = ids[i] as number;
      if (s < 0 || s >= segments) continue;
      for (let j = 0, from = i * inner, to = s * inner; j < inner; j++) out[to + j] = (out[to + j] as number) + (x[from + j] as number);
    }
    return true;
  },
};

defineMissingKernel({
  backend: 'wasm',
  kernelName: 'UnsortedSegmentSum',
  why: "tfjs-backend-wasm registers none, so tf.gather's gradient (embeddings) threw: one pass over x on the wasm heap",
  kernel: wasmArrayKernel('UnsortedSegmentSum', segmentSum),
});
defineFastPath({
  backend: 'cpu',
  kernelName: 'UnsortedSegmentSum',
  why: 'tfjs-cpu makes a mask, a product and a sum per segment (numSegments passes over x, e.g. a whole vocabulary): one pass instead',
  kernel: cpuArrayKernel(segmentSum),
});
