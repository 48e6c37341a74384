// Conv2DBackpropInput, the kernel of a convolution's input gradient, dx[b, iy, ix, ci] = Σ dy[b, oy, ox, co] ·
// W[kh, kw, ci, co] over the taps with iy = oy·sh + kh·dh − top and ix = ox·sw + kw·dw − left. tfjs's
// kernels run it as a direct loop: on wasm 35 ms of the 81 ms trainOnBatch of tfjs-examples' MNIST
// conv net at batch 64 (its forward Conv2D, through XNNPACK, 4.4 ms); on cpu 89 ms, through
// TensorBuffer strides. Here it is col2im of a matmul: the patch gradients of a chunk of positions,
// cols[P, kh·kw·ci] = dy[P, co] · Wᵀ (cpu-matmul.wat, transposeB read by stride), added back into
// the x positions they came from (im2col.ts's layout). Attrs as tfjs's (strides, SAME/VALID/
// explicit pads, dimRoundingMode, NHWC/NCHW; dilations when present).
import type * as tf from '@tensorflow/tfjs-core';
import { type ArrayKernel, cpuArrayKernel, wasmArrayFastPath } from './array-kernel.js';
import { multiply, type Product } from './cpu-matmul.js';
import { chunkRows, convInfo, dyRows, forEachTap, layout } from './im2col.js';
import { defineFastPath } from './registry.js';

/** dx (written into `out`, zeros on entry) from dy and the filter, or false when cpu-matmul.wat cannot run now. @internal */
export function conv2dInputGradient(info: tf.backend_util.Conv2DInfo, dy: Float32Array, filter: Float32Array, out: Float32Array): boolean {
  const { K, positions, x: xs } = layout(info);
  const [ci, co, xch] = [info.inChannels, info.outChannels, xs[3] as number];
  if (K * co === 0 || positions === 0) return true;
  const rows = chunkRows(K, positions);
  const cols = new Float32Array(rows * K);
  const scratch = new Float32Array(info.dataFormat === 'channelsLast' ? 0 : rows * co);
  for (let start = 0; start < positions; start += rows) {
    const count = Math.min(rows, positions - start);
    const p: Product = { m: count, k: co, n: K, batch: 1, batchA: 1, batchB: 1, transposeA: false, transposeB: true, outShape: [count, K] };
    if (!multiply(p, dyRows(info, dy, start, count, scratch), filter, undefined, 0, cols)) return false;
    forEachTap(info, start, count, (rowAt, xAt) => {
      for (let c = 0; c < ci; c++) out[xAt + c * xch] = (out[xAt + c * xch] as number) + (cols[rowAt + c] as number);
    });
  }
  return true;
}

/** The kernel over arrays (float32 dy and filter; declines when the matmul module cannot run). */
const inputGradient: ArrayKernel = {
  output: ({ inputs, attrs = {} }) => {
    const { dy, filter } = inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
    return dy.dtype === 'float32' && filter.dtype === 'float32' ? { shape: [...(attrs.inputShape as number[])], dtype: 'float32' } : undefined;
  },
  compute: ({ inputs, attrs }, v, out) =>
    conv2dInputGradient(
      convInfo(attrs?.inputShape as number[], (inputs.filter as tf.TensorInfo).shape, attrs ?? {}),
      v.dy as Float32Array,
      v.filter as Float32Array,
      out as Float32Array,
    ),
};

/** The cpu fast path (tfjs's `original` for what it declines). @internal */
export const cpuConv2DBackpropInput = cpuArrayKernel(inputGradient);
/** The wasm fast path (tfjs's `original` for what it declines). @internal */
export const wasmConv2DBackpropInput = wasmArrayFastPath(inputGradient);

const why = 'runs as a direct loop (wasm: 8× its XNNPACK forward conv; cpu: TensorBuffer strides): col2im of dy·Wᵀ from the packed SIMD matmul instead';
defineFastPath({ backend: 'cpu', kernelName: 'Conv2DBackpropInput', why, kernel: cpuConv2DBackpropInput });
defineFastPath({ backend: 'wasm', kernelName: 'Conv2DBackpropInput', why, kernel: wasmConv2DBackpropInput });
