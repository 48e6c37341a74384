// `cautious(rule)` on tfjs's webgpu backend: θ and g copied on the device, the rule's fused step
// (webgpuStep), then per tensor a count of the agreeing signs (one atomic counter per tensor) and the
// masked step (see ../cautious.ts for the formula), in one more compute pass and submit.
import { GPU_BUFFER_USAGE, type GpuBuffer, type GpuDevice, gpuBindGroup, gpuBufferOf, gpuPipeline, type WebGpuBackend } from '@gradkit/core';
import type * as tf from '@tensorflow/tfjs-core';
import { checkFusedTensors, type FusedPlan, type FusedTensors } from '../plan.js';
import { webgpuStep } from './step.js';

const WORKGROUP = 64;
/** Workgroups per tensor at most (threads loop over a grid-strided share). */
const MAX_GROUPS = 256;

/** Counts, per workgroup, the elements whose update u = θ' − θ₀ agrees with −g (u·g < 0), into the tensor's counter. */
const COUNT = `
@group(0) @binding(0) var<storage, read> p : array<f32>;
@group(0) @binding(1) var<storage, read> p0 : array<f32>;
@group(0) @binding(2) var<storage, read> g : array<f32>;
@group(0) @binding(3) var<storage, read_write> counter : array<atomic<u32>>;
var<workgroup> sc : array<u32, ${WORKGROUP}>;
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid : vec3<u32>, @builtin(local_invocation_index) li : u32, @builtin(num_workgroups) nw : vec3<u32>) {
  let n = arrayLength(&p);
  var c = 0u;
  for (var i = gid.x; i < n; i = i + nw.x * ${WORKGROUP}u) {
    if ((p[i] - p0[i]) * g[i] < 0.0) { c = c + 1u; }
  }
  sc[li] = c;
  workgroupBarrier();
  for (var k = ${WORKGROUP / 2}u; k > 0u; k = k >> 1u) {
    if (li < k) { sc[li] = sc[li] + sc[li + k]; }
    workgroupBarrier();
  }
  if (li == 0u) { atomicAdd(&counter[0], sc[0]); }
}`;

/** θ = θ₀ + u·(m·scale), scale = 1 / max(Σm/n, 10⁻³). */
const APPLY = `
@group(0) @binding(0) var<storage, read_write> p : array<f32>;
@group(0) @binding(1) var<storage, read> p0 : array<f32>;
@group(0) @binding(2) var<storage, read> g : array<f32>;
@group(0) @binding(3) var<storage, read> counter : array<u32>;
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid : vec3<u32>, @builtin(num_workgroups) nw : vec3<u32>) {
  let n = arrayLength(&p);
  let scale = 1.0 / max(f32(counter[0]) / f32(n), 0.001);
  for (var i = gid.x; i < n; i = i + nw.x * ${WORKGROUP}u) {
    let b = p0[i];
    let u = p[i] - b;
    p[i] = b + u * select(0.0, scale, u * g[i] < 0.0);
  }
}`;

/**
 * The cautious fused step on webgpu (see the file's head).
 *
 * @example
 * ```ts
 * webgpuCautiousStep(tf.backend(), { rule }, tensors);
 * ```
 */
export function webgpuCautiousStep(backend: tf.KernelBackend, plan: FusedPlan, t: FusedTensors): void {
  // The rule's step checks again; checked here first so that nothing is recorded for inputs it refuses.
  checkFusedTensors('webgpu', plan, t);
  const b = backend as unknown as WebGpuBackend;
  const device = b.device;
  const items = t.params
    .map((p, i) => ({
      n: p.shape.reduce((a, d) => a * d, 1),
      p: gpuBufferOf(b, p, 'webgpu cautious step'),
      g: gpuBufferOf(b, t.grads[i] as tf.TensorInfo, 'webgpu cautious step'),
    }))
    .filter((x) => x.n > 0);
  const usage = GPU_BUFFER_USAGE.STORAGE | GPU_BUFFER_USAGE.COPY_SRC | GPU_BUFFER_USAGE.COPY_DST;
  const copies: GpuBuffer[] = [];
  const copy = (src: GpuBuffer, bytes: number) => {
    const dst = b.bufferManager.acquireBuffer(src.size, usage);
    (b.commandEncoder as NonNullable<WebGpuBackend['commandEncoder']>).copyBufferToBuffer(src, 0, dst, 0, bytes);
    copies.push(dst);
    return dst;
  };
  // θ₀ and g, copied before the rule writes (in tfjs's encoder, after its pending commands).
  b.endComputePassEncoder();
  b.ensureCommandEncoderReady();
  // A gradient that is also a parameter or a slot is read from a copy (the step writes it).
  const written = new Set<GpuBuffer>([...items.map((x) => x.p), ...t.slots.flat().map((s) => gpuBufferOf(b, s, 'webgpu cautious step'))]);
  const saved = items.map((x) => ({ ...x, p0: copy(x.p, x.n * 4), g0: written.has(x.g) ? copy(x.g, x.n * 4) : x.g }));
  const counters = countersOf(device, saved.length * 256);
  (b.commandEncoder as NonNullable<WebGpuBackend['commandEncoder']>).clearBuffer(counters, 0, saved.length * 256);
  webgpuStep(backend, plan, t);
  const count = gpuPipeline(device, COUNT, ['read', 'read', 'read', 'write']);
  const apply = gpuPipeline(device, APPLY, ['write', 'read', 'read', 'read']);
  b.ensureCommandEncoderReady();
  const pass = (b.commandEncoder as NonNullable<WebGpuBackend['commandEncoder']>).beginComputePass();
  for (const [pipe, items2] of [
    [count, saved],
    [apply, saved],
  ] as const) {
    pass.setPipeline(pipe.pipeline);
    for (const [k, x] of items2.entries()) {
      const bytes = x.n * 4;
      pass.setBindGroup(
        0,
        gpuBindGroup(device, pipe.layout, [
          { buffer: x.p, size: bytes },
          { buffer: x.p0, size: bytes },
          { buffer: x.g0, size: bytes },
          { buffer: counters, offset: k * 256, size: 4 },
        ]),
      );
      pass.dispatchWorkgroups(Math.min(MAX_GROUPS, Math.ceil(x.n / WORKGROUP)));
    }
  }
  pass.end();
  b.submitQueue();
  for (const c of copies) b.bufferManager.releaseBuffer(c);
}

/** The counters buffer of a device (one 256-byte-aligned u32 per tensor), grown when a step needs more. */
const counterBuffers = new WeakMap<GpuDevice, GpuBuffer>();
function countersOf(device: GpuDevice, bytes: number): GpuBuffer {
  let c = counterBuffers.get(device);
  if (!c || c.size < bytes) {
    c?.destroy();
    c = device.createBuffer({ size: Math.max(256, bytes), usage: GPU_BUFFER_USAGE.STORAGE | GPU_BUFFER_USAGE.COPY_DST });
    counterBuffers.set(device, c);
  }
  return c;
}
