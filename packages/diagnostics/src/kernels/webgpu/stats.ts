// The statistics kernel on tfjs's webgpu backend: the statistics of every requested tensor in one
// compute pass and one queue submit (per tensor, workgroups reduce grid-strided shares into partials;
// then one workgroup per tensor reduces its partials into its final row), written into ONE float32
// tensor that `readStats` reads back once. Same columns and semantics as the cpu/wasm loop
// (stats-loop.ts), in float32 on the device.
import { GPU_BUFFER_USAGE, type GpuBuffer, type GpuDevice, getOrCreate, gpuBindGroup, gpuBufferOf, gpuPipeline, type WebGpuBackend } from '@gradkit/core';
import type * as tf from '@tensorflow/tfjs-core';
import type { Profile } from '../../stats.js';
import type { StatsKernelAttrs } from '../register.js';

/** The GPUBuffer of `t`, named as this kernel in the error when it has none. */
const bufferOf = (b: WebGpuBackend, t: tf.TensorInfo): GpuBuffer => gpuBufferOf(b, t, 'webgpu statistics kernel');

/** Threads per workgroup. */
const WORKGROUP = 64;
/** Elements per thread a workgroup aims at. */
const PER_THREAD = 16;
/** u32 words of one tensor's description, and its stride in bytes (the storage offset alignment: each is bound alone for its reduction). */
const INFO_WORDS = 16;
const INFO_STRIDE = 256;
const STRIDE_WORDS = INFO_STRIDE / 4;
/** Bytes of one partial: Σx², Σx, max, min (finite, non-zero), zeros, non-finite, sigmoid- and tanh-saturated. */
const PARTIAL_BYTES = 32;

/** Columns written per profile, in `COLUMNS` order (stats.ts). */
const WIDTH: Record<Profile, number> = { norm: 1, full: 5, activation: 9 };
const PROFILE_CODE: Record<Profile, number> = { norm: 0, full: 1, activation: 2 };

// info words: 0 n, 1 units, 2 int (int32/bool input), 3 profile, 4 first partial, 5 partials,
// 6 first active-unit flag, 7 first output column, 8 low (f32 bits), 9 high (f32 bits).
const STRUCTS = `
struct Partial { s : f32, sum : f32, mx : f32, mn : f32, z : u32, nf : u32, sg : u32, th : u32 }
const BIG = 0x1.fffffep+127f;
var<workgroup> ws : array<f32, ${WORKGROUP}>;
var<workgroup> wsum : array<f32, ${WORKGROUP}>;
var<workgroup> wmx : array<f32, ${WORKGROUP}>;
var<workgroup> wmn : array<f32, ${WORKGROUP}>;
var<workgroup> wz : array<u32, ${WORKGROUP}>;
var<workgroup> wnf : array<u32, ${WORKGROUP}>;
var<workgroup> wsg : array<u32, ${WORKGROUP}>;
var<workgroup> wth : array<u32, ${WORKGROUP}>;
fn tree(li : u32, p : Partial) -> Partial {
  ws[li] = p.s; wsum[li] = p.sum; wmx[li] = p.mx; wmn[li] = p.mn; wz[li] = p.z; wnf[li] = p.nf; wsg[li] = p.sg; wth[li] = p.th;
  workgroupBarrier();
  for (var k = ${WORKGROUP / 2}u; k > 0u; k = k >> 1u) {
    if (li < k) {
      ws[li] = ws[li] + ws[li + k]; wsum[li] = wsum[li] + wsum[li + k];
      wmx[li] = max(wmx[li], wmx[li + k]); wmn[li] = min(wmn[li], wmn[li + k]);
      wz[li] = wz[li] + wz[li + k]; wnf[li] = wnf[li] + wnf[li + k]; wsg[li] = wsg[li] + wsg[li + k]; wth[li] = wth[li] + wth[li + k];
    }
    workgroupBarrier();
  }
  return Partial(ws[0], wsum[0], wmx[0], wmn[0], wz[0], wnf[0], wsg[0], wth[0]);
}
`;

/** Per tensor: partials of grid-strided shares, and the active-unit flags of activations. */
const REDUCE = `${STRUCTS}
@group(0) @binding(0) var<storage, read> x : array<u32>;
@group(0) @binding(1) var<storage, read> info : array<u32>;
@group(0) @binding(2) var<storage, read_write> partials : array<Partial>;
@group(0) @binding(3) var<storage, read_write> flags : array<atomic<u32>>;
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(local_invocation_index) li : u32, @builtin(workgroup_id) wid : vec3<u32>, @builtin(num_workgroups) nw : vec3<u32>) {
  let n = info[0];
  let units = info[1];
  let isInt = info[2] != 0u;
  let act = info[3] == 2u;
  let low = bitcast<f32>(info[8]);
  let high = bitcast<f32>(info[9]);
  var p = Partial(0.0, 0.0, -BIG, BIG, 0u, 0u, 0u, 0u);
  for (var i = wid.x * ${WORKGROUP}u + li; i < n; i = i + nw.x * ${WORKGROUP}u) {
    let bits = x[i];
    let v = select(bitcast<f32>(bits), f32(bitcast<i32>(bits)), isInt);
    p.s = p.s + v * v;
    p.sum = p.sum + v;
    if (v == 0.0) { p.z = p.z + 1u; }
    else if ((bitcast<u32>(v) & 0x7f800000u) == 0x7f800000u) { p.nf = p.nf + 1u; }
    else { p.mx = max(p.mx, v); p.mn = min(p.mn, v); }
    if (act) {
      if (v > 0.0) {
        let j = info[6] + i % units;
        if (atomicLoad(&flags[j]) == 0u) { atomicStore(&flags[j], 1u); }
      }
      if (v < low || v > high) { p.sg = p.sg + 1u; }
      if (v > high || v < -high) { p.th = p.th + 1u; }
    }
  }
  let r = tree(li, p);
  if (li == 0u) { partials[info[4] + wid.x] = r; }
}`;

/** One workgroup per tensor: its partials and active flags into its row of the output. */
const FINALIZE = `${STRUCTS}
@group(0) @binding(0) var<storage, read> info : array<u32>;
@group(0) @binding(1) var<storage, read> partials : array<Partial>;
@group(0) @binding(2) var<storage, read> flags : array<u32>;
@group(0) @binding(3) var<storage, read_write> out : array<f32>;
var<workgroup> wact : array<u32, ${WORKGROUP}>;
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(local_invocation_index) li : u32, @builtin(workgroup_id) wid : vec3<u32>) {
  let base = wid.x * ${STRIDE_WORDS}u;
  let profile = info[base + 3u];
  let first = info[base + 4u];
  var p = Partial(0.0, 0.0, -BIG, BIG, 0u, 0u, 0u, 0u);
  for (var j = li; j < info[base + 5u]; j = j + ${WORKGROUP}u) {
    let q = partials[first + j];
    p.s = p.s + q.s; p.sum = p.sum + q.sum; p.mx = max(p.mx, q.mx); p.mn = min(p.mn, q.mn);
    p.z = p.z + q.z; p.nf = p.nf + q.nf; p.sg = p.sg + q.sg; p.th = p.th + q.th;
  }
  var units = 0u;
  if (profile == 2u) {
    for (var j = li; j < info[base + 1u]; j = j + ${WORKGROUP}u) { units = units + flags[info[base + 6u] + j]; }
  }
  wact[li] = units;
  let r = tree(li, p);
  for (var k = ${WORKGROUP / 2}u; k > 0u; k = k >> 1u) {
    if (li < k) { wact[li] = wact[li] + wact[li + k]; }
    workgroupBarrier();
  }
  if (li == 0u) {
    let o = info[base + 7u];
    var mx = r.mx;
    var mn = r.mn;
    if (mx < mn) { mx = 0.0; mn = 0.0; }
    if (r.z > 0u && mx < 0.0) { mx = 0.0; }
    if (r.z > 0u && mn > 0.0) { mn = 0.0; }
    out[o] = r.s;
    if (profile == 1u) {
      let m = max(mx, -mn);
      out[o + 1u] = r.sum; out[o + 2u] = select(m, 0.0, m == 0.0); out[o + 3u] = f32(r.z); out[o + 4u] = f32(r.nf);
    } else if (profile == 2u) {
      out[o + 1u] = r.sum; out[o + 2u] = mx; out[o + 3u] = mn; out[o + 4u] = f32(r.z); out[o + 5u] = f32(r.nf);
      out[o + 6u] = f32(wact[0]); out[o + 7u] = f32(r.sg); out[o + 8u] = f32(r.th);
    }
  }
}`;

/** The kernel's scratch buffers on one device, grown as needed. */
interface Scratch {
  info: GpuBuffer;
  partials: GpuBuffer;
  flags: GpuBuffer;
}

const scratches = new WeakMap<GpuDevice, Scratch>();

/** `buffer` if it holds `bytes`, else a new one (the old one is destroyed once the work queued on it is done). */
function atLeast(device: GpuDevice, buffer: GpuBuffer | undefined, bytes: number, usage: number): GpuBuffer {
  if (buffer && buffer.size >= bytes) return buffer;
  buffer?.destroy();
  return device.createBuffer({ size: Math.max(256, 2 ** Math.ceil(Math.log2(bytes))), usage });
}

/**
 * tfjs kernel function of `GradkitTensorStats` on webgpu: inputs `t0`, `t1` … (float32, int32 or bool,
 * any shape), attributes `{ profiles, margin }`; returns one float32 tensor of every tensor's
 * statistics in `COLUMNS` order, concatenated. Σx² and Σx are float32 sums (NaN and ±Infinity
 * propagate); max |x|, max and min are over the finite elements (0 when there is none); the counts
 * (zeros, non-finite, active units, saturated outputs) are exact up to 2²⁴. One compute pass and one
 * queue submit for all tensors, recorded after tfjs's pending commands; nothing is read back here.
 *
 * @example
 * ```ts
 * tf.registerKernel({ kernelName: 'GradkitTensorStats', backendName: 'webgpu', kernelFunc: webgpuStatsKernel });
 * ```
 */
export const webgpuStatsKernel: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const b = backend as unknown as WebGpuBackend;
  const device = b.device;
  const { profiles, margin } = attrs as unknown as StatsKernelAttrs;
  const software = b.adapterInfo?.architecture === 'swiftshader' || b.adapterInfo?.vendor === 'google';
  const cap = software ? 32 : 1024;
  const tensors = profiles.map((_, i) => (inputs as Record<string, tf.TensorInfo>)[`t${i}`] as tf.TensorInfo);
  const info = new Uint32Array(Math.max(1, profiles.length) * STRIDE_WORDS);
  const floats = new Float32Array(info.buffer);
  const groups: number[] = [];
  let [partials, flags, columns] = [0, 0, 0];
  for (const [i, t] of tensors.entries()) {
    const profile = profiles[i] as Profile;
    const n = t.shape.reduce((a, s) => a * s, 1);
    const units = t.shape.length === 0 ? 1 : (t.shape[t.shape.length - 1] as number);
    const g = n === 0 ? 0 : Math.min(cap, Math.ceil(n / (WORKGROUP * PER_THREAD)));
    const w = i * STRIDE_WORDS;
    info.set([n, units, t.dtype === 'float32' ? 0 : 1, PROFILE_CODE[profile], partials, g, flags, columns], w);
    floats[w + 8] = margin;
    floats[w + 9] = 1 - margin;
    groups.push(g);
    partials += g;
    if (profile === 'activation') flags += units;
    columns += WIDTH[profile];
  }
  const s = getOrCreate(scratches, device, () => ({}) as Scratch);
  s.info = atLeast(device, s.info, info.byteLength, GPU_BUFFER_USAGE.STORAGE | GPU_BUFFER_USAGE.COPY_DST);
  s.partials = atLeast(device, s.partials, partials * PARTIAL_BYTES, GPU_BUFFER_USAGE.STORAGE);
  s.flags = atLeast(device, s.flags, flags * 4, GPU_BUFFER_USAGE.STORAGE | GPU_BUFFER_USAGE.COPY_DST);
  const out = b.makeTensorInfo([columns], 'float32');
  const outBuffer = bufferOf(b, out);
  const buffers = tensors.map((t) => bufferOf(b, t));
  device.queue.writeBuffer(s.info, 0, info);

  b.endComputePassEncoder();
  b.ensureCommandEncoderReady();
  const encoder = b.commandEncoder as NonNullable<WebGpuBackend['commandEncoder']>;
  if (flags > 0) encoder.clearBuffer(s.flags, 0, flags * 4);
  const pass = encoder.beginComputePass();
  const reduce = gpuPipeline(device, REDUCE, ['read', 'read', 'write', 'write']);
  pass.setPipeline(reduce.pipeline);
  for (const [i, t] of tensors.entries()) {
    const g = groups[i] as number;
    if (g === 0) continue;
    const n = t.shape.reduce((a, d) => a * d, 1);
    pass.setBindGroup(
      0,
      gpuBindGroup(device, reduce.layout, [
        { buffer: buffers[i] as GpuBuffer, size: n * 4 },
        { buffer: s.info, offset: i * INFO_STRIDE, size: INFO_WORDS * 4 },
        { buffer: s.partials },
        { buffer: s.flags },
      ]),
    );
    pass.dispatchWorkgroups(g);
  }
  const finalize = gpuPipeline(device, FINALIZE, ['read', 'read', 'read', 'write']);
  pass.setPipeline(finalize.pipeline);
  pass.setBindGroup(0, gpuBindGroup(device, finalize.layout, [{ buffer: s.info }, { buffer: s.partials }, { buffer: s.flags }, { buffer: outBuffer }]));
  pass.dispatchWorkgroups(tensors.length);
  pass.end();
  b.submitQueue();
  return out;
};
