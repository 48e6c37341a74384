// The patch layout shared by the conv gradient kernels (conv2d-backprop-filter.ts,
// conv2d-backprop-input.ts): output positions P = (b, oy, ox) in row-major order, each a row of
// K = fh·fw·ci values, column (kh·fw + kw)·ci + c holding x[b, oy·sh + kh·dh − top, ox·sw + kw·dw − left, c]
// (zero where that falls outside x). Rows are taken in chunks of at most CHUNK_FLOATS values.
import * as tf from '@tensorflow/tfjs-core';

/** The attrs of tfjs's Conv2DBackpropFilter/Input (`dilations` too, which tfjs's gradients never pass yet: read when present). */
interface ConvAttrs {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat?: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  dilations?: number | [number, number];
}

/** The convolution geometry of a conv gradient kernel's call, as tfjs's computeConv2DInfo reads its attrs (a depthwise filter is [fh, fw, ci, mult]). */
export function convInfo(xShape: readonly number[], filterShape: readonly number[], attrs: tf.NamedAttrMap, depthwise = false): tf.backend_util.Conv2DInfo {
  const a = attrs as unknown as ConvAttrs;
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    a.strides,
    a.dilations ?? 1,
    a.pad,
    a.dimRoundingMode,
    depthwise,
    tf.backend_util.convertConv2DDataFormat(a.dataFormat ?? 'NHWC'),
  );
}

/** Patch values per chunk (4 MiB of float32): bounds the scratch memory whatever the batch. */
export const CHUNK_FLOATS = 2 ** 20;

/** Element strides (batch, row, column, channel) of x and of dy in `info`'s data format. */
export function layout(info: tf.backend_util.Conv2DInfo) {
  const { inHeight: h, inWidth: w, inChannels: ci, outHeight: oh, outWidth: ow, outChannels: co } = info;
  const last = info.dataFormat === 'channelsLast';
  return {
    x: last ? [h * w * ci, w * ci, ci, 1] : [ci * h * w, w, 1, h * w],
    dy: last ? [oh * ow * co, ow * co, co, 1] : [co * oh * ow, ow, 1, oh * ow],
    K: info.filterHeight * info.filterWidth * ci,
    positions: info.batchSize * oh * ow,
  } as const;
}

/** Rows per chunk for patches of K values. */
export const chunkRows = (K: number, positions: number) => Math.max(1, Math.min(positions, Math.floor(CHUNK_FLOATS / Math.max(1, K))));

/**
 * Calls `tap(rowAt, xAt)` for every filter tap of the positions start … start + count − 1 that falls
 * inside x: rowAt is the patch matrix offset of the tap's channel 0 (row r = position − start), xAt
 * that of x's channel 0 (channel c lies at xAt + c·(x's channel stride)).
 */
export function forEachTap(info: tf.backend_util.Conv2DInfo, start: number, count: number, tap: (rowAt: number, xAt: number) => void): void {
  const { inHeight, inWidth, inChannels: ci, outHeight, outWidth, filterHeight: fh, filterWidth: fw } = info;
  const [xb, xr, xc] = layout(info).x as [number, number, number, number];
  const K = fh * fw * ci;
  for (let r = 0; r < count; r++) {
    const pos = start + r;
    const ox = pos % outWidth;
    const oy = Math.floor(pos / outWidth) % outHeight;
    const b = Math.floor(pos / (outWidth * outHeight));
    for (let kh = 0; kh < fh; kh++) {
      const iy = oy * info.strideHeight + kh * info.dilationHeight - info.padInfo.top;
      if (iy < 0 || iy >= inHeight) continue;
      for (let kw = 0; kw < fw; kw++) {
        const ix = ox * info.strideWidth + kw * info.dilationWidth - info.padInfo.left;
        if (ix >= 0 && ix < inWidth) tap(r * K + (kh * fw + kw) * ci, b * xb + iy * xr + ix * xc);
      }
    }
  }
}

/** dy's rows [count, co] for positions start …: a view in NHWC, gathered into `scratch` in NCHW. */
export function dyRows(info: tf.backend_util.Conv2DInfo, dy: Float32Array, start: number, count: number, scratch: Float32Array): Float32Array {
  const co = info.outChannels;
  if (info.dataFormat === 'channelsLast') return dy.subarray(start * co, (start + count) * co);
  const [yb, yr, yc, ych] = layout(info).dy as [number, number, number, number];
  const [ow, oh] = [info.outWidth, info.outHeight];
  for (let r = 0; r < count; r++) {
    const pos = start + r;
    const from = Math.floor(pos / (ow * oh)) * yb + (Math.floor(pos / ow) % oh) * yr + (pos % ow) * yc;
    for (let c = 0; c < co; c++) scratch[r * co + c] = dy[from + c * ych] as number;
  }
  return scratch.subarray(0, count * co);
}
