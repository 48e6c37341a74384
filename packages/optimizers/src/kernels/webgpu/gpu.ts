// The parts of WebGPU and of tfjs-backend-webgpu 4.22's `WebGPUBackend` the fused step uses. Neither
// the backend package nor @webgpu/types is imported (DESIGN §1): the backend instance arrives at run
// time, and these structural types name only what is called on it.
import { GradkitError } from '@gradkit/core';
import type * as tf from '@tensorflow/tfjs-core';

/** A WebGPU buffer (`GPUBuffer`). */
export interface GpuBuffer {
  readonly size: number;
  readonly usage: number;
  destroy(): void;
}

/** A WebGPU object used only by identity (bind group, layouts, pipeline). */
export type GpuHandle = object;

/** One entry of `createBindGroup`. */
interface BindGroupEntry {
  binding: number;
  resource: { buffer: GpuBuffer; offset?: number; size?: number };
}

/** A compute pass encoder (`GPUComputePassEncoder`). */
export interface GpuPass {
  setPipeline(pipeline: GpuHandle): void;
  setBindGroup(index: number, group: GpuHandle): void;
  dispatchWorkgroups(x: number, y?: number, z?: number): void;
  end(): void;
}

/** A command encoder (`GPUCommandEncoder`). */
export interface GpuEncoder {
  beginComputePass(descriptor?: object): GpuPass;
  copyBufferToBuffer(src: GpuBuffer, srcOffset: number, dst: GpuBuffer, dstOffset: number, size: number): void;
  clearBuffer(buffer: GpuBuffer, offset?: number, size?: number): void;
}

/** A WebGPU device (`GPUDevice`), the calls used here. */
export interface GpuDevice {
  readonly limits: { readonly minStorageBufferOffsetAlignment: number; readonly maxComputeWorkgroupsPerDimension: number };
  readonly queue: { writeBuffer(buffer: GpuBuffer, offset: number, data: ArrayBufferView): void; submit(buffers: unknown[]): void };
  createBuffer(descriptor: { size: number; usage: number }): GpuBuffer;
  createShaderModule(descriptor: { code: string }): GpuHandle;
  createBindGroupLayout(descriptor: { entries: object[] }): GpuHandle;
  createPipelineLayout(descriptor: { bindGroupLayouts: GpuHandle[] }): GpuHandle;
  createComputePipeline(descriptor: { layout: GpuHandle; compute: { module: GpuHandle; entryPoint: string } }): GpuHandle;
  createBindGroup(descriptor: { layout: GpuHandle; entries: BindGroupEntry[] }): GpuHandle;
}

/** tfjs-backend-webgpu 4.22's `WebGPUBackend`: its device, command stream and tensor storage. */
export interface WebGpuBackend {
  readonly device: GpuDevice;
  /** The adapter's vendor and architecture (`'google'`, `'swiftshader'` for SwiftShader). */
  readonly adapterInfo?: { readonly vendor?: string; readonly architecture?: string };
  /** The encoder tfjs records into until its next `submitQueue`, or null. */
  readonly commandEncoder: GpuEncoder | null;
  readonly tensorMap: { get(dataId: tf.DataId): { resource?: unknown; values?: unknown; dtype: string } | undefined };
  readonly bufferManager: { acquireBuffer(size: number, usage: number): GpuBuffer; releaseBuffer(buffer: GpuBuffer): void };
  /** Uploads a tensor whose values are still on the CPU (records the copy into tfjs's encoder). */
  uploadToGPU(dataId: tf.DataId): void;
  ensureCommandEncoderReady(): void;
  endComputePassEncoder(): void;
  /** Submits tfjs's encoder and releases what tfjs deferred until then. */
  submitQueue(): void;
}

/** `GPUBufferUsage` flags. */
export const USAGE = { COPY_SRC: 0x4, COPY_DST: 0x8, UNIFORM: 0x40, STORAGE: 0x80 } as const;
/** `GPUShaderStage.COMPUTE`. */
export const COMPUTE = 0x4;

/** A binding of a bind group layout: a read-only or writable storage buffer, or a uniform buffer. */
export type BindingKind = 'read' | 'write' | 'uniform';

/** A compute pipeline and its one bind group layout. */
export interface Pipeline {
  readonly pipeline: GpuHandle;
  readonly layout: GpuHandle;
}

const pipelines = new WeakMap<GpuDevice, Map<string, Pipeline>>();

/** `map.get(key)`, set to `make()` first when absent. */
export function cached<K, V>(map: { get(key: K): V | undefined; set(key: K, value: V): unknown }, key: K, make: () => V): V {
  let value = map.get(key);
  if (value === undefined) {
    value = make();
    map.set(key, value);
  }
  return value;
}

/**
 * The pipeline of `code` (entry point `main`, bindings of group 0 in `kinds` order) on `device`,
 * compiled once per device and shader text.
 */
export function pipelineOf(device: GpuDevice, code: string, kinds: readonly BindingKind[]): Pipeline {
  const cache = cached(pipelines, device, () => new Map<string, Pipeline>());
  return cached(cache, `${kinds.join(',')}\n${code}`, () => {
    const layout = device.createBindGroupLayout({
      entries: kinds.map((k, binding) => ({
        binding,
        visibility: COMPUTE,
        buffer: { type: k === 'uniform' ? 'uniform' : k === 'read' ? 'read-only-storage' : 'storage' },
      })),
    });
    const pipeline = device.createComputePipeline({
      layout: device.createPipelineLayout({ bindGroupLayouts: [layout] }),
      compute: { module: device.createShaderModule({ code }), entryPoint: 'main' },
    });
    return { pipeline, layout };
  });
}

/** A bind group entry: a whole buffer, or `size` bytes of it from `offset`. */
export interface Binding {
  readonly buffer: GpuBuffer;
  readonly offset?: number;
  readonly size?: number;
}

/** A bind group of `layout` over `bindings`, in binding order. */
export function bindGroup(device: GpuDevice, layout: GpuHandle, bindings: readonly Binding[]): GpuHandle {
  return device.createBindGroup({
    layout,
    entries: bindings.map((b, binding) => ({
      binding,
      resource: { buffer: b.buffer, ...(b.offset !== undefined ? { offset: b.offset } : {}), ...(b.size !== undefined ? { size: b.size } : {}) },
    })),
  });
}

/**
 * The GPUBuffer holding `t` on tfjs's webgpu backend, uploading it first when its values are still
 * on the CPU (tfjs's own `uploadToGPU`, which records the copy into tfjs's pending encoder).
 *
 * @throws GradkitError (`BAD_KERNEL_INPUT`) when the tensor is unknown or lies in a texture.
 */
export function bufferOf(backend: WebGpuBackend, t: tf.TensorInfo): GpuBuffer {
  backend.uploadToGPU(t.dataId);
  const resource = backend.tensorMap.get(t.dataId)?.resource as Partial<GpuBuffer> | undefined;
  if (!resource || typeof resource.size !== 'number' || typeof resource.usage !== 'number' || 'createView' in resource) {
    throw new GradkitError('BAD_KERNEL_INPUT', `webgpu fused step: a ${t.dtype}[${t.shape.join(',')}] tensor is not in a GPU buffer`);
  }
  return resource as GpuBuffer;
}
