// Conv2DBackpropFilter, the kernel of a convolution's weight gradient, dW[kh, kw, ci, co] =
// Σ_{b, oy, ox} x[b, oy·sh + kh·dh − top, ox·sw + kw·dw − left, ci] · dy[b, oy, ox, co] (x zero outside).
// - wasm: tfjs-backend-wasm 4.22 registers none, so training any conv net there threw "Kernel
//   'Conv2DBackpropFilter' not registered for backend 'wasm'" (a missing kernel, always registered).
// - cpu: tfjs-backend-cpu 4.22 computes it with TensorBuffer.get per term, 7.2 of the 7.8 s of a
//   trainOnBatch of tfjs-examples' MNIST conv net at batch 64 (its forward Conv2D takes 0.11 s).
// Both run im2col + cpu-matmul.wat: the patches of a chunk of output positions are laid out as rows
// [P, kh·kw·ci] (zeros for padding), and dW = patchesᵀ · dy[P, co] comes from the packed SIMD matmul
// (`multiply`, transposeA read by stride), summed over chunks of at most CHUNK_FLOATS patch values.
// Strides, dilations (an attr tfjs's gradient never sets today: read when present), SAME/VALID/
// explicit pads, dimRoundingMode and NHWC/NCHW are taken as tfjs's computeConv2DInfo reads them.
import type * as tf from '@tensorflow/tfjs-core';
import { type ArrayKernel, cpuArrayKernel, wasmArrayKernel } from './array-kernel.js';
import { multiply, type Product } from './cpu-matmul.js';
import { chunkRows, convInfo, dyRows, forEachTap, layout } from './im2col.js';
import { defineFastPath, defineMissingKernel } from './registry.js';

/**
 * dW (float32, [fh, fw, ci, co], written into `out`) from x and dy as `info` lays them out, or false
 * when cpu-matmul.wat cannot run now (nothing meaningful written). @internal
 */
export function conv2dFilterGradient(info: tf.backend_util.Conv2DInfo, x: Float32Array, dy: Float32Array, out: Float32Array): boolean {
  const { K, positions, x: xs } = layout(info);
  const [ci, co, xch] = [info.inChannels, info.outChannels, xs[3] as number];
  out.fill(0);
  if (K * co === 0 || positions === 0) return true;
  const rows = chunkRows(K, positions);
  const patches = new Float32Array(rows * K);
  const scratch = new Float32Array(info.dataFormat === 'channelsLast' ? 0 : rows * co);
  const partial = new Float32Array(K * co);
  for (let start = 0; start < positions; start += rows) {
    const count = Math.min(rows, positions - start);
    patches.fill(0);
    forEachTap(info, start, count, (rowAt, xAt) => {
      for (let c = 0; c < ci; c++) patches[rowAt + c] = x[xAt + c * xch] as number;
    });
    const p: Product = { m: K, k: count, n: co, batch: 1, batchA: 1, batchB: 1, transposeA: true, transposeB: false, outShape: [K, co] };
    if (!multiply(p, patches.subarray(0, count * K), dyRows(info, dy, start, count, scratch), undefined, 0, partial)) return false;
    for (let i = 0; i < partial.length; i++) out[i] = (out[i] as number) + (partial[i] as number);
  }
  return true;
}

/**
 * The kernel over arrays: float32 x and dy; with `loopWhenNoModule`, plain loops while cpu-matmul.wat
 * cannot run (wasm: there is no tfjs kernel to hand the call to), else it declines (cpu: tfjs's runs).
 */
function filterKernel(loopWhenNoModule: boolean): ArrayKernel {
  return {
    output: ({ inputs, attrs }) => {
      const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
      if (x.dtype !== 'float32' || dy.dtype !== 'float32') return undefined;
      return { shape: [...convInfo(x.shape, attrs?.filterShape as number[], attrs ?? {}).filterShape], dtype: 'float32' };
    },
    compute: ({ inputs, attrs }, v, out) => {
      const info = convInfo((inputs.x as tf.TensorInfo).shape, attrs?.filterShape as number[], attrs ?? {});
      const [x, dy] = [v.x as Float32Array, v.dy as Float32Array];
      if (conv2dFilterGradient(info, x, dy, out as Float32Array)) return true;
      if (loopWhenNoModule) loopFilterGradient(info, x, dy, out as Float32Array);
      return loopWhenNoModule;
    },
  };
}

/** dW by direct summation (the fallback while the matmul module is not compiled yet). */
function loopFilterGradient(info: tf.backend_util.Conv2DInfo, x: Float32Array, dy: Float32Array, out: Float32Array): void {
  const { K, positions, x: xs } = layout(info);
  const [ci, co, xch] = [info.inChannels, info.outChannels, xs[3] as number];
  const rows = dyRows(info, dy, 0, positions, new Float32Array(info.dataFormat === 'channelsLast' ? 0 : positions * co));
  out.fill(0);
  forEachTap(info, 0, positions, (rowAt, xAt) => {
    const [r, tap] = [Math.floor(rowAt / K), rowAt % K];
    for (let c = 0; c < ci; c++) {
      const xv = x[xAt + c * xch] as number;
      for (let o = 0, w = (tap + c) * co; o < co; o++) out[w + o] = (out[w + o] as number) + xv * (rows[r * co + o] as number);
    }
  });
}

/** The cpu fast path (tfjs's `original` for what it declines). @internal */
export const cpuConv2DBackpropFilter = cpuArrayKernel(filterKernel(false));
/** The wasm kernel. @internal */
export const wasmConv2DBackpropFilter = wasmArrayKernel('Conv2DBackpropFilter', filterKernel(true));

defineFastPath({
  backend: 'cpu',
  kernelName: 'Conv2DBackpropFilter',
  why: "tfjs-cpu sums every weight's gradient with TensorBuffer.get per term (7.2 of 7.8 s of an MNIST conv net's step at batch 64): im2col + the packed SIMD matmul instead",
  kernel: cpuConv2DBackpropFilter,
});
defineMissingKernel({
  backend: 'wasm',
  kernelName: 'Conv2DBackpropFilter',
  why: "tfjs-backend-wasm registers none, so every conv layer's weight gradient threw: im2col on the wasm heap + the packed SIMD matmul",
  kernel: wasmConv2DBackpropFilter,
});
