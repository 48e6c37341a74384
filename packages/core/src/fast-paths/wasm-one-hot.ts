// OneHot on wasm for a float output: tfjs-backend-wasm 4.22 writes the int32 bits of onValue and
// offValue into a float32 output, so tf.oneHot(indices, depth, 1, 0, 'float32') reads back 1.4e-45
// where 1 belongs, and a label-smoothed one-hot (0.9, 0.05) reads back all zeros: a silent wrong
// result for any loss built on it. tfjs's kernel is right for int32 output and still runs for it.
import type * as tf from '@tensorflow/tfjs-core';
import { type ArrayKernel, wasmArrayFastPath } from './array-kernel.js';
import { defineFastPath } from './registry.js';

const oneHot: ArrayKernel = {
  output: ({ inputs, attrs }) => {
    const { indices } = inputs as { indices: tf.TensorInfo };
    if (attrs?.dtype !== 'float32' || indices.dtype !== 'int32') return undefined;
    return { shape: [...indices.shape, attrs.depth as number], dtype: 'float32' };
  },
  compute: ({ attrs }, v, out) => {
    const indices = v.indices as Int32Array;
    const [depth, on, off] = [attrs?.depth as number, attrs?.onValue as number, attrs?.offValue as number];
    out.fill(off);
    for (let i = 0; i < indices.length; i++) {
      const k = indices[i] as number;
      if (k >= 0 && k < depth) out[i * depth + k] = on;
    }
    return true;
  },
};

defineFastPath({
  backend: 'wasm',
  kernelName: 'OneHot',
  kind: 'fix',
  why: 'tfjs-backend-wasm writes int32 bits into a float32 one-hot (1 reads as 1.4e-45): filled on the wasm heap instead',
  kernel: wasmArrayFastPath(oneHot),
});
