// Float64 references for the conv and pool gradient kernels' tests, written from the definitions
// (every output position, every filter tap), independent of tfjs's computeConv2DInfo: the padding
// arithmetic is TensorFlow's, worked out here. Also the conv cases the kernels' tests share.
import type * as tf from '@tensorflow/tfjs-core';
import { values } from './matmul-reference.js';

/** Padding as tfjs takes it: 'valid', 'same', or explicit [[top, bottom], [left, right]]. */
export type PadSpec = 'valid' | 'same' | readonly [readonly [number, number], readonly [number, number]];

/** Output size and leading pad of one spatial axis (TensorFlow's SAME/VALID rules). */
function axis(size: number, k: number, stride: number, dilation: number, pad: 'valid' | 'same' | readonly [number, number]) {
  const span = (k - 1) * dilation + 1;
  if (pad === 'valid') return { out: Math.max(0, Math.ceil((size - span + 1) / stride)), before: 0 };
  if (pad === 'same') {
    const out = Math.ceil(size / stride);
    return { out, before: Math.floor(Math.max(0, (out - 1) * stride + span - size) / 2) };
  }
  return { out: Math.floor((size + pad[0] + pad[1] - span) / stride) + 1, before: pad[0] };
}

/** A 2-D window geometry over NHWC input [b, h, w, c]. */
export interface Geometry {
  readonly b: number;
  readonly h: number;
  readonly w: number;
  readonly kh: number;
  readonly kw: number;
  readonly stride: readonly [number, number];
  readonly dilation: readonly [number, number];
  readonly pad: PadSpec;
}

/** The output size, and every tap (b, oy, ox, iy, ix, ky, kx) that falls inside the input. */
export function taps(g: Geometry) {
  const y = axis(g.h, g.kh, g.stride[0], g.dilation[0], typeof g.pad === 'string' ? g.pad : g.pad[0]);
  const x = axis(g.w, g.kw, g.stride[1], g.dilation[1], typeof g.pad === 'string' ? g.pad : g.pad[1]);
  const list: [number, number, number, number, number, number, number][] = [];
  for (let b = 0; b < g.b; b++)
    for (let oy = 0; oy < y.out; oy++)
      for (let ox = 0; ox < x.out; ox++)
        for (let ky = 0; ky < g.kh; ky++)
          for (let kx = 0; kx < g.kw; kx++) {
            const iy = oy * g.stride[0] + ky * g.dilation[0] - y.before;
            const ix = ox * g.stride[1] + kx * g.dilation[1] - x.before;
            if (iy >= 0 && iy < g.h && ix >= 0 && ix < g.w) list.push([b, oy, ox, iy, ix, ky, kx]);
          }
  return { outH: y.out, outW: x.out, list };
}

/**
 * A convolution's gradients in float64: x NHWC [b, h, w, ci], filter [kh, kw, ci, co] (depthwise:
 * [kh, kw, ci, mult], output channel c·mult + m), dy [b, outH, outW, co].
 */
export function convGrads(g: Geometry, ci: number, co: number, x: Float32Array, w: Float32Array, dy: Float32Array, depthwise = false) {
  const { outH, outW, list } = taps(g);
  const dW = new Float64Array(g.kh * g.kw * ci * (depthwise ? co / ci : co));
  const dx = new Float64Array(g.b * g.h * g.w * ci);
  for (const [b, oy, ox, iy, ix, ky, kx] of list) {
    const xAt = ((b * g.h + iy) * g.w + ix) * ci;
    const yAt = ((b * outH + oy) * outW + ox) * co;
    for (let c = 0; c < ci; c++)
      for (let o = 0; o < co; o++) {
        if (depthwise && Math.floor(o / (co / ci)) !== c) continue;
        const wAt = depthwise ? (ky * g.kw + kx) * co + o : ((ky * g.kw + kx) * ci + c) * co + o;
        dW[wAt] = (dW[wAt] as number) + (x[xAt + c] as number) * (dy[yAt + o] as number);
        dx[xAt + c] = (dx[xAt + c] as number) + (dy[yAt + o] as number) * (w[wAt] as number);
      }
  }
  return { dW, dx, outH, outW };
}

/** A convolution in float64: x NHWC [b, h, w, ci] with filter [kh, kw, ci, co], out [b, outH, outW, co]. */
export function convForward(g: Geometry, ci: number, co: number, x: Float32Array, w: Float32Array): Float64Array {
  const { outH, outW, list } = taps(g);
  const out = new Float64Array(g.b * outH * outW * co);
  for (const [b, oy, ox, iy, ix, ky, kx] of list)
    for (let c = 0; c < ci; c++)
      for (let o = 0; o < co; o++) {
        const at = ((b * outH + oy) * outW + ox) * co + o;
        out[at] = (out[at] as number) + (x[((b * g.h + iy) * g.w + ix) * ci + c] as number) * (w[((ky * g.kw + kx) * ci + c) * co + o] as number);
      }
  return out;
}

export interface Case extends Geometry {
  readonly ci: number;
  readonly co: number;
}
const c = (
  b: number,
  h: number,
  w: number,
  ci: number,
  co: number,
  kh: number,
  kw: number,
  stride: [number, number],
  dilation: [number, number],
  pad: PadSpec,
): Case => ({
  b,
  h,
  w,
  ci,
  co,
  kh,
  kw,
  stride,
  dilation,
  pad,
});
export const cases: Case[] = [
  c(2, 5, 5, 1, 1, 3, 3, [1, 1], [1, 1], 'valid'),
  c(2, 7, 6, 3, 4, 3, 3, [1, 1], [1, 1], 'same'),
  c(1, 9, 7, 2, 5, 3, 2, [2, 2], [1, 1], 'same'),
  c(3, 8, 8, 3, 2, 2, 3, [2, 1], [1, 1], 'valid'),
  c(2, 10, 9, 2, 3, 3, 3, [1, 1], [2, 2], 'valid'),
  c(1, 11, 10, 3, 3, 3, 2, [2, 3], [2, 1], 'same'),
  c(
    2,
    6,
    7,
    5,
    7,
    3,
    3,
    [1, 2],
    [1, 1],
    [
      [1, 2],
      [0, 1],
    ],
  ),
  c(1, 4, 4, 2, 3, 5, 5, [1, 1], [1, 1], 'same'),
  c(1, 1, 9, 3, 4, 1, 3, [1, 2], [1, 1], 'valid'), // conv1d as tfjs runs it
  c(3, 32, 32, 64, 4, 3, 3, [1, 1], [1, 1], 'valid'), // K = 576: 2700 positions over two chunks
];
export const label = (k: Case) =>
  `x [${k.b},${k.h},${k.w},${k.ci}], ${k.kh}×${k.kw}→${k.co}, stride ${k.stride}, dilation ${k.dilation}, pad ${JSON.stringify(k.pad)}`;
export const attrsOf = (k: Case, dataFormat: 'NHWC' | 'NCHW' = 'NHWC'): tf.NamedAttrMap => ({
  strides: [...k.stride],
  dilations: [...k.dilation],
  pad:
    typeof k.pad === 'string' ? k.pad : dataFormat === 'NHWC' ? [[0, 0], [...k.pad[0]], [...k.pad[1]], [0, 0]] : [[0, 0], [0, 0], [...k.pad[0]], [...k.pad[1]]],
  dataFormat,
  filterShape: [k.kh, k.kw, k.ci, k.co],
  inputShape: dataFormat === 'NHWC' ? [k.b, k.h, k.w, k.ci] : [k.b, k.ci, k.h, k.w],
});
/** Inputs (x, filter w, dy) and the float64 dW and dx of one case. */
export function data(k: Case) {
  const x = values(k.b * k.h * k.w * k.ci, 7);
  const w = values(k.kh * k.kw * k.ci * k.co, 5);
  const { outH, outW } = taps(k);
  const dy = values(k.b * outH * outW * k.co, 11);
  return { x, w, dy, dyShape: [k.b, outH, outW, k.co], ...convGrads(k, k.ci, k.co, x, w, dy) };
}
/** NHWC values as NCHW. */
export function toNchw(v: Float32Array, shape: number[]): Float32Array {
  const [b, h, w, ch] = shape as [number, number, number, number];
  const out = new Float32Array(v.length);
  for (let i = 0; i < b; i++)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) for (let q = 0; q < ch; q++) out[((i * ch + q) * h + y) * w + x] = v[((i * h + y) * w + x) * ch + q] as number;
  return out;
}
