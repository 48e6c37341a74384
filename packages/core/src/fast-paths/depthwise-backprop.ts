// The two gradients of a depthwise convolution (tfjs-layers' depthwiseConv2d and separableConv2d,
// tf.depthwiseConv2d), with filter [fh, fw, ci, mult] and output channel c·mult + m:
//   DepthwiseConv2dNativeBackpropFilter  dW[kh, kw, c, m] = Σ_{b, oy, ox} x[b, iy, ix, c] · dy[b, oy, ox, c·mult + m]
//   DepthwiseConv2dNativeBackpropInput   dx[b, iy, ix, c] = Σ_{oy, ox, kh, kw, m} dy[b, oy, ox, c·mult + m] · W[kh, kw, c, m]
// where iy = oy·sh + kh·dh − top and ix = ox·sw + kw·dw − left fall inside x. tfjs-backend-wasm
// 4.22 registers neither (training such a layer on wasm threw "Kernel
// 'DepthwiseConv2dNativeBackpropFilter' not registered"); these run straight float32 loops over the
// heap. tfjs-cpu has both, each reading through TensorBuffer per term: the same loops replace them.
import type * as tf from '@tensorflow/tfjs-core';
import { type ArrayKernel, cpuArrayKernel, wasmArrayKernel } from './array-kernel.js';
import { convInfo } from './im2col.js';
import { defineFastPath, defineMissingKernel } from './registry.js';

/** Calls `tap(xAt, dyAt, wAt)` for every filter tap that falls inside x: the offsets of channel 0 of x, dy and the filter row. */
function forEachTap(info: tf.backend_util.Conv2DInfo, tap: (xAt: number, dyAt: number, wAt: number) => void): void {
  const { batchSize, inHeight, inWidth, inChannels: ci, outHeight, outWidth, outChannels: co, filterHeight: fh, filterWidth: fw } = info;
  for (let b = 0; b < batchSize; b++)
    for (let oy = 0; oy < outHeight; oy++)
      for (let kh = 0; kh < fh; kh++) {
        const iy = oy * info.strideHeight + kh * info.dilationHeight - info.padInfo.top;
        if (iy < 0 || iy >= inHeight) continue;
        for (let ox = 0; ox < outWidth; ox++)
          for (let kw = 0; kw < fw; kw++) {
            const ix = ox * info.strideWidth + kw * info.dilationWidth - info.padInfo.left;
            if (ix < 0 || ix >= inWidth) continue;
            tap(((b * inHeight + iy) * inWidth + ix) * ci, ((b * outHeight + oy) * outWidth + ox) * co, (kh * fw + kw) * co);
          }
      }
}

const infoOf = (xShape: readonly number[], filterShape: readonly number[], attrs: tf.NamedAttrMap) => convInfo(xShape, filterShape, attrs, true);
const allFloat32 = (inputs: tf.NamedTensorInfoMap) => Object.values(inputs).every((t) => t?.dtype === 'float32');

/** DepthwiseConv2dNativeBackpropFilter over arrays (inputs x, dy; attrs with filterShape). */
const filterGradient: ArrayKernel = {
  output: ({ inputs, attrs = {} }) => (allFloat32(inputs) ? { shape: [...(attrs.filterShape as number[])], dtype: 'float32' } : undefined),
  compute: ({ inputs, attrs }, v, out) => {
    const info = infoOf((inputs.x as tf.TensorInfo).shape, attrs?.filterShape as number[], attrs ?? {});
    const [x, dy] = [v.x as Float32Array, v.dy as Float32Array];
    const [ci, mult] = [info.inChannels, info.outChannels / info.inChannels];
    forEachTap(info, (xAt, dyAt, wAt) => {
      for (let c = 0, o = 0; c < ci; c++) {
        const xv = x[xAt + c] as number;
        for (let m = 0; m < mult; m++, o++) out[wAt + o] = (out[wAt + o] as number) + xv * (dy[dyAt + o] as number);
      }
    });
    return true;
  },
};

/** DepthwiseConv2dNativeBackpropInput over arrays (inputs dy, filter; attrs with inputShape). */
const inputGradient: ArrayKernel = {
  output: ({ inputs, attrs = {} }) => (allFloat32(inputs) ? { shape: [...(attrs.inputShape as number[])], dtype: 'float32' } : undefined),
  compute: ({ inputs, attrs }, v, out) => {
    const info = infoOf(attrs?.inputShape as number[], (inputs.filter as tf.TensorInfo).shape, attrs ?? {});
    const [dy, w] = [v.dy as Float32Array, v.filter as Float32Array];
    const [ci, mult] = [info.inChannels, info.outChannels / info.inChannels];
    forEachTap(info, (xAt, dyAt, wAt) => {
      for (let c = 0, o = 0; c < ci; c++) {
        let sum = 0;
        for (let m = 0; m < mult; m++, o++) sum += (dy[dyAt + o] as number) * (w[wAt + o] as number);
        out[xAt + c] = (out[xAt + c] as number) + sum;
      }
    });
    return true;
  },
};

for (const [kernelName, kernel] of [
  ['DepthwiseConv2dNativeBackpropFilter', filterGradient],
  ['DepthwiseConv2dNativeBackpropInput', inputGradient],
] as const) {
  defineMissingKernel({
    backend: 'wasm',
    kernelName,
    why: 'tfjs-backend-wasm registers none, so depthwise and separable conv layers could not train: float32 loops on the wasm heap',
    kernel: wasmArrayKernel(kernelName, kernel),
  });
  defineFastPath({
    backend: 'cpu',
    kernelName,
    why: 'tfjs-cpu reads every term through TensorBuffer index arithmetic: the same sums as straight float32 loops',
    kernel: cpuArrayKernel(kernel),
  });
}
