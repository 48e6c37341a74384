import {
  GPU_BUFFER_USAGE,
  type GpuBinding,
  type GpuBuffer,
  type GpuDevice,
  type GpuHandle,
  type GpuPipeline,
  getOrCreate,
  gpuBindGroup,
  gpuBufferOf,
  gpuPipeline,
  type WebGpuBackend,
} from '@gradkit/core';
import type * as tf from '@tensorflow/tfjs-core';
import { checkFusedTensors, type FusedPlan, type FusedTensors } from '../plan.js';
import { finalizeShader, GUARD_LIMIT, HYPER_FLOATS, MAX_NORM, PARTIAL_BYTES, reduceShader, ruleConstants, updateShader, WORKGROUP } from './shaders.js';

/** The GPUBuffer of `t`, named as this kernel in the error when it has none. */
const bufferOf = (b: WebGpuBackend, t: tf.TensorInfo): GpuBuffer => gpuBufferOf(b, t, 'webgpu fused step');

/** vec4s per thread a reduction workgroup aims at. */
const REDUCE_PER_THREAD = 8;

/**
 * The most workgroups one dispatch gets (each thread loops over a grid-strided share). On SwiftShader,
 * which runs workgroups on CPU threads, a few large workgroups of vec4s are several times faster than
 * one workgroup per 64 elements (measured: adam over 1M parameters, ~23 ms against ~150 ms).
 */
function caps(b: WebGpuBackend): { update: number; reduce: number } {
  const software = b.adapterInfo?.architecture === 'swiftshader' || b.adapterInfo?.vendor === 'google';
  return software ? { update: 64, reduce: 32 } : { update: b.device.limits.maxComputeWorkgroupsPerDimension, reduce: 256 };
}

/** What the step keeps per device: its uniform, step state and partials, and bind groups by buffer identity. */
interface Resources {
  readonly hyper: GpuBuffer;
  readonly state: GpuBuffer;
  readonly constants: Float32Array;
  scratch: GpuBuffer;
  /** The partials' layout last used (regions per gradient), to clear stale partials when it changes. */
  layout: string;
  /** Reduction bind groups: gradient buffer → `offset:n` → group (reset with the scratch buffer). */
  reduceGroups: WeakMap<GpuBuffer, Map<string, GpuHandle>>;
  /** Finalize bind groups: keyed by the guard's count buffer (else the clip's norm buffer, else the state buffer). */
  finalizeGroups: WeakMap<GpuBuffer, { key: readonly GpuHandle[]; group: GpuHandle }>;
  /** Update bind groups: parameter buffer → gradient buffer → one per pipeline layout (rule variant) and slot buffers. */
  readonly updateGroups: WeakMap<GpuBuffer, WeakMap<GpuBuffer, { layout: GpuHandle; key: readonly GpuBuffer[]; group: GpuHandle }[]>>;
}

const resources = new WeakMap<GpuDevice, Resources>();

function resourcesOf(device: GpuDevice): Resources {
  let r = resources.get(device);
  if (!r) {
    r = {
      hyper: device.createBuffer({ size: HYPER_FLOATS * 4, usage: GPU_BUFFER_USAGE.UNIFORM | GPU_BUFFER_USAGE.COPY_DST }),
      state: device.createBuffer({ size: 16, usage: GPU_BUFFER_USAGE.STORAGE }),
      constants: new Float32Array(HYPER_FLOATS),
      scratch: device.createBuffer({ size: 256, usage: GPU_BUFFER_USAGE.STORAGE | GPU_BUFFER_USAGE.COPY_DST }),
      layout: '',
      reduceGroups: new WeakMap(),
      finalizeGroups: new WeakMap(),
      updateGroups: new WeakMap(),
    };
    resources.set(device, r);
  }
  return r;
}

const sameBuffers = (a: readonly GpuHandle[], b: readonly GpuHandle[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/** The update bind group of one parameter, cached by the identity of its buffers. */
function updateGroup(device: GpuDevice, r: Resources, pipe: GpuPipeline, bindings: readonly GpuBuffer[], sized: number, bytes: number): GpuHandle {
  const [p, g, ...rest] = bindings as [GpuBuffer, GpuBuffer, ...GpuBuffer[]];
  const list = getOrCreate(
    getOrCreate(r.updateGroups, p, () => new WeakMap()),
    g,
    () => [],
  );
  const hit = list.find((e) => e.layout === pipe.layout && sameBuffers(e.key, rest));
  if (hit) return hit.group;
  const group = gpuBindGroup(
    device,
    pipe.layout,
    bindings.map((buffer, k) => (k < sized ? { buffer, size: bytes } : { buffer })),
  );
  list.push({ layout: pipe.layout, key: rest, group });
  if (list.length > 8) list.shift();
  return group;
}

/** One parameter's buffers and sizes: `n4` vec4s, then `tail` (0–3) scalars. */
interface Item {
  readonly n: number;
  readonly n4: number;
  readonly tail: number;
  readonly p: GpuBuffer;
  g: GpuBuffer;
  readonly slots: GpuBuffer[];
}

/** A partials region: its first partial, its vec4 workgroups (the tail's partial is the region's last, `groups`). */
interface Region {
  readonly offset: number;
  readonly groups: number;
}

/**
 * The fused optimizer step on tfjs's webgpu backend: one compute pass and one queue submit for all
 * parameters, no readback.
 *
 * With `maxNorm` or `guard`: reduction dispatches per gradient (sums of squares and non-finite counts
 * into per-workgroup partials), then one finalize dispatch that reduces the partials and writes the
 * step state (applies? clip? norm), applyIfFinite's scalars and clipByGlobalNorm's metrics (`norm`,
 * `clipped`) on the device; then the update
 * dispatches per parameter, which read that state. Without either, the update dispatches alone. Each
 * tensor is processed as vec4s (one dispatch over ⌊n/4⌋·4 elements) plus a scalar tail (one small
 * dispatch over the last n mod 4, when there are any). The pass is recorded into tfjs's own command
 * encoder after the commands tfjs has pending (ending its compute pass first) and submitted through
 * tfjs's `submitQueue`, so the step sees every op queued before it, every op queued after it sees the
 * step, and buffers tfjs deferred releasing are released once it is submitted.
 *
 * Pipelines are compiled once per device and rule variant; bind groups are cached by buffer identity;
 * per step one 64-byte uniform write carries the rule's constants (schedules evaluated on the host).
 *
 * @throws GradkitError (`BAD_KERNEL_INPUT`) when a parameter, its gradient or a slot is not float32 or their sizes differ.
 * @example
 * ```ts
 * webgpuStep(tf.backend(), { rule: { kind: 'lion', lr: 1e-4, beta1: 0.9, beta2: 0.99, weightDecay: 0 } }, tensors);
 * ```
 */
export function webgpuStep(backend: tf.KernelBackend, plan: FusedPlan, t: FusedTensors): void {
  const b = backend as unknown as WebGpuBackend;
  const device = b.device;
  const r = resourcesOf(device);
  const cap = caps(b);
  const decided = plan.maxNorm !== undefined || t.guard !== undefined;

  // Buffers, uploading tensors whose values are still on the CPU (tfjs records those copies first).
  const items: Item[] = [];
  const written = new Set<GpuBuffer>();
  checkFusedTensors('webgpu', plan, t);
  for (const [i, param] of t.params.entries()) {
    const n = param.shape.reduce((a, s) => a * s, 1);
    const grad = t.grads[i];
    if (n === 0) continue;
    const p = bufferOf(b, param);
    const slots = t.slots.map((s) => bufferOf(b, s[i] as tf.TensorInfo));
    for (const x of [p, ...slots]) written.add(x);
    items.push({ n, n4: n >> 2, tail: n & 3, p, g: bufferOf(b, grad as tf.TensorInfo), slots });
  }
  const guard = t.guard ? [t.guard.notfiniteCount, t.guard.totalNotfinite, t.guard.lastFinite].map((x) => bufferOf(b, x)) : [];
  const metrics = t.clipMetrics ? [t.clipMetrics.norm, t.clipMetrics.clipped].map((x) => bufferOf(b, x)) : [];
  for (const x of [...guard, ...metrics]) written.add(x);

  // The step's constants: one small uniform write.
  const k = r.constants;
  k.fill(0);
  k.set(ruleConstants(plan.rule));
  k[MAX_NORM] = plan.maxNorm ?? 0;
  k[GUARD_LIMIT] = plan.guard ?? 0;
  device.queue.writeBuffer(r.hyper, 0, k);

  // Partials: one aligned region per gradient, its vec4 workgroups' partials and then the tail's.
  const align = Math.max(device.limits.minStorageBufferOffsetAlignment, PARTIAL_BYTES) / PARTIAL_BYTES;
  const regions: Region[] = [];
  if (decided) {
    let total = 0;
    for (const { n4 } of items) {
      const groups = n4 === 0 ? 0 : Math.min(cap.reduce, Math.ceil(n4 / (WORKGROUP * REDUCE_PER_THREAD)));
      regions.push({ offset: total, groups });
      total += Math.ceil((groups + 1) / align) * align;
    }
    if (total * PARTIAL_BYTES > r.scratch.size) {
      r.scratch.destroy();
      r.scratch = device.createBuffer({ size: total * PARTIAL_BYTES, usage: GPU_BUFFER_USAGE.STORAGE | GPU_BUFFER_USAGE.COPY_DST });
      r.reduceGroups = new WeakMap();
      r.finalizeGroups = new WeakMap();
      r.layout = '';
    }
  }

  // Record after tfjs's pending commands, in its encoder.
  b.endComputePassEncoder();
  b.ensureCommandEncoderReady();
  const encoder = b.commandEncoder as NonNullable<WebGpuBackend['commandEncoder']>;
  // A gradient that is also written by the step (a parameter passed as its own gradient) is read from a copy.
  const copies: GpuBuffer[] = [];
  for (const item of items) {
    if (!written.has(item.g)) continue;
    const copy = b.bufferManager.acquireBuffer(item.g.size, GPU_BUFFER_USAGE.STORAGE | GPU_BUFFER_USAGE.COPY_SRC | GPU_BUFFER_USAGE.COPY_DST);
    encoder.copyBufferToBuffer(item.g, 0, copy, 0, item.g.size);
    copies.push(copy);
    item.g = copy;
  }
  // Stale partials of another layout would be summed: clear them when the layout changes.
  const layout = decided ? regions.map((x, i) => `${x.groups}${(items[i] as Item).tail ? '+' : ''}`).join(',') : r.layout;
  if (layout !== r.layout) {
    encoder.clearBuffer(r.scratch);
    r.layout = layout;
  }

  const pass = encoder.beginComputePass();
  if (decided) {
    for (const vec of [true, false]) {
      const shader = reduceShader(vec);
      const reduce = gpuPipeline(device, shader.code, shader.kinds);
      let set = false;
      for (const [i, { n, n4, tail, g }] of items.entries()) {
        if (vec ? n4 === 0 : tail === 0) continue;
        const { offset, groups } = regions[i] as Region;
        const bytes = vec ? n4 * 16 : n * 4;
        const group = getOrCreate(
          getOrCreate(r.reduceGroups, g, () => new Map()),
          `${vec}:${offset}:${bytes}:${groups}`,
          () =>
            gpuBindGroup(device, reduce.layout, [
              { buffer: g, size: bytes },
              { buffer: r.scratch, offset: offset * PARTIAL_BYTES, size: (groups + 1) * PARTIAL_BYTES },
            ]),
        );
        if (!set) pass.setPipeline(reduce.pipeline);
        set = true;
        pass.setBindGroup(0, group);
        pass.dispatchWorkgroups(vec ? groups : 1);
      }
    }
    const fin = finalizeShader(plan.maxNorm !== undefined, guard.length > 0, metrics.length > 0);
    const finalize = gpuPipeline(device, fin.code, fin.kinds);
    const anchor = guard[0] ?? metrics[0] ?? r.state;
    const key = [finalize.pipeline, ...guard, ...metrics];
    let fg = r.finalizeGroups.get(anchor);
    if (!fg || !sameBuffers(fg.key, key)) {
      const scalars = [...guard, ...metrics].map((buffer) => ({ buffer, size: 4 }));
      const bindings: GpuBinding[] = [{ buffer: r.scratch }, { buffer: r.state }, { buffer: r.hyper }, ...scalars];
      fg = { key, group: gpuBindGroup(device, finalize.layout, bindings) };
      r.finalizeGroups.set(anchor, fg);
    }
    pass.setPipeline(finalize.pipeline);
    pass.setBindGroup(0, fg.group);
    pass.dispatchWorkgroups(1);
  }
  for (const vec of [true, false]) {
    const shader = updateShader(plan.rule, decided, vec);
    const update = gpuPipeline(device, shader.code, shader.kinds);
    let set = false;
    for (const { n, n4, tail, p, g, slots } of items) {
      if (vec ? n4 === 0 : tail === 0) continue;
      if (!set) pass.setPipeline(update.pipeline);
      set = true;
      const buffers = [p, g, ...slots, ...(decided ? [r.state] : []), r.hyper];
      pass.setBindGroup(0, updateGroup(device, r, update, buffers, 2 + slots.length, vec ? n4 * 16 : n * 4));
      pass.dispatchWorkgroups(vec ? Math.min(cap.update, Math.ceil(n4 / WORKGROUP)) : 1);
    }
  }
  pass.end();
  b.submitQueue();
  for (const copy of copies) b.bufferManager.releaseBuffer(copy);
}
