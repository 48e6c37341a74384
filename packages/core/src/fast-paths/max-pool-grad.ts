// MaxPoolGrad, a max pool's input gradient: each output's dy goes to the first largest element of its
// window (row-major scan, strictly greater than the running maximum, which starts at −∞: a window of
// −∞ and NaN passes nothing on), summed where windows overlap. tfjs-cpu 4.22 recomputes the arg maxima
// through TensorBuffer and then, for every input element, visits every window that covers it: 0.2 s
// of the MNIST conv net's trainOnBatch at batch 64, 30× its forward MaxPool. tfjs-backend-wasm's does
// the same visit in C++ (14 ms, 35× its forward). Here one pass over the windows, channels innermost
// (NHWC), with the running maximum and its position kept per channel: the same tie rule and sums.
import * as tf from '@tensorflow/tfjs-core';
import { type ArrayKernel, cpuArrayKernel, wasmArrayFastPath } from './array-kernel.js';
import { defineFastPath } from './registry.js';

type Attrs = {
  filterSize: number | [number, number];
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
};

/** dx (zeros on entry) of a max pool over NHWC x with output gradient dy. @internal */
export function maxPoolGradient(info: tf.backend_util.Conv2DInfo, x: Float32Array, dy: Float32Array, dx: Float32Array): void {
  const { batchSize, inHeight: h, inWidth: w, inChannels: ch, outHeight: oh, outWidth: ow } = info;
  const [fh, fw, sh, sw] = [info.effectiveFilterHeight, info.effectiveFilterWidth, info.strideHeight, info.strideWidth];
  const [dh, dw, top, left] = [info.dilationHeight, info.dilationWidth, info.padInfo.top, info.padInfo.left];
  const best = new Float32Array(ch);
  const at = new Int32Array(ch);
  for (let b = 0; b < batchSize; b++)
    for (let oy = 0; oy < oh; oy++)
      for (let ox = 0; ox < ow; ox++) {
        best.fill(Number.NEGATIVE_INFINITY);
        at.fill(-1);
        for (let ky = 0; ky < fh; ky += dh) {
          const iy = oy * sh - top + ky;
          if (iy < 0 || iy >= h) continue;
          for (let kx = 0; kx < fw; kx += dw) {
            const ix = ox * sw - left + kx;
            if (ix < 0 || ix >= w) continue;
            const base = ((b * h + iy) * w + ix) * ch;
            for (let c = 0; c < ch; c++) {
              const v = x[base + c] as number;
              if (v > (best[c] as number)) {
                best[c] = v;
                at[c] = base + c;
              }
            }
          }
        }
        const from = ((b * oh + oy) * ow + ox) * ch;
        for (let c = 0; c < ch; c++) {
          const i = at[c] as number;
          if (i >= 0) dx[i] = (dx[i] as number) + (dy[from + c] as number);
        }
      }
}

const poolGrad: ArrayKernel = {
  output: ({ inputs }) => {
    const { dy, input } = inputs as { dy: tf.TensorInfo; input: tf.TensorInfo };
    return dy.dtype === 'float32' && input.dtype === 'float32' && input.shape.length === 4 ? { shape: [...input.shape], dtype: 'float32' } : undefined;
  },
  compute: ({ inputs, attrs }, v, out) => {
    const a = attrs as unknown as Attrs;
    const shape = (inputs.input as tf.TensorInfo).shape as [number, number, number, number];
    const info = tf.backend_util.computePool2DInfo(shape, a.filterSize, a.strides, 1, a.pad, a.dimRoundingMode);
    maxPoolGradient(info, v.input as Float32Array, v.dy as Float32Array, out as Float32Array);
    return true;
  },
};

/** The cpu fast path. @internal */
export const cpuMaxPoolGrad = cpuArrayKernel(poolGrad);
/** The wasm fast path. @internal */
export const wasmMaxPoolGrad = wasmArrayFastPath(poolGrad);

const why =
  "visits every window covering each input element (cpu: 30× its forward MaxPool, through TensorBuffer; wasm: 35×): one pass over the windows, each dy to its window's arg max";
defineFastPath({ backend: 'cpu', kernelName: 'MaxPoolGrad', why, kernel: cpuMaxPoolGrad });
defineFastPath({ backend: 'wasm', kernelName: 'MaxPoolGrad', why, kernel: wasmMaxPoolGrad });
