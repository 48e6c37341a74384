// Conv2D on the cpu backend: tfjs-backend-cpu 4.22 runs the forward convolution as nested JavaScript
// loops, 0.11–0.29 s of the ~0.5 s trainOnBatch of tfjs-examples' MNIST conv net at batch 64 once the
// gradients had fast paths, the largest kernel left. Here im2col (im2col.ts) and cpu-matmul.wat:
// out[P, co] = patches[P, kh·kw·ci] · W[kh·kw·ci, co], a chunk of output positions at a time. NHWC
// only (tfjs's kernel runs NCHW), any strides, dilations and pads.
import type * as tf from '@tensorflow/tfjs-core';
import { type ArrayKernel, cpuArrayKernel } from './array-kernel.js';
import { multiply, type Product } from './cpu-matmul.js';
import { chunkRows, convInfo, forEachTap, layout } from './im2col.js';
import { defineFastPath } from './registry.js';

/** The convolution of x with the filter (NHWC), written into `out`, or false when cpu-matmul.wat cannot run now. @internal */
export function conv2dForward(info: tf.backend_util.Conv2DInfo, x: Float32Array, filter: Float32Array, out: Float32Array): boolean {
  const { K, positions } = layout(info);
  const [ci, co] = [info.inChannels, info.outChannels];
  if (K * co === 0 || positions === 0) return true;
  const rows = chunkRows(K, positions);
  const patches = new Float32Array(rows * K);
  for (let start = 0; start < positions; start += rows) {
    const count = Math.min(rows, positions - start);
    patches.fill(0);
    forEachTap(info, start, count, (rowAt, xAt) => {
      for (let c = 0; c < ci; c++) patches[rowAt + c] = x[xAt + c] as number;
    });
    const p: Product = { m: count, k: K, n: co, batch: 1, batchA: 1, batchB: 1, transposeA: false, transposeB: false, outShape: [count, co] };
    if (!multiply(p, patches.subarray(0, count * K), filter, undefined, 0, out.subarray(start * co, (start + count) * co))) return false;
  }
  return true;
}

const forward: ArrayKernel = {
  output: ({ inputs, attrs = {} }) => {
    const { x, filter } = inputs as { x: tf.TensorInfo; filter: tf.TensorInfo };
    if (x.dtype !== 'float32' || filter.dtype !== 'float32' || (attrs.dataFormat ?? 'NHWC') !== 'NHWC') return undefined;
    return { shape: [...convInfo(x.shape, filter.shape, attrs).outShape], dtype: 'float32' };
  },
  compute: ({ inputs, attrs = {} }, v, out) =>
    conv2dForward(
      convInfo((inputs.x as tf.TensorInfo).shape, (inputs.filter as tf.TensorInfo).shape, attrs),
      v.x as Float32Array,
      v.filter as Float32Array,
      out as Float32Array,
    ),
};

/** The cpu fast path (tfjs's `original` for NCHW and what the module cannot run). @internal */
export const cpuConv2D = cpuArrayKernel(forward);

defineFastPath({
  backend: 'cpu',
  kernelName: 'Conv2D',
  why: 'tfjs-cpu convolves in nested JavaScript loops (the largest kernel of a conv net step once its gradients are fast): im2col + the packed SIMD matmul',
  kernel: cpuConv2D,
});
