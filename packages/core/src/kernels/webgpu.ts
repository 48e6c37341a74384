// Plumbing for fused-kernel plugins (see optimizer/fused.ts) that run WebGPU compute shaders on
// tfjs-backend-webgpu 4.22's tensors. Neither the backend package nor @webgpu/types is imported
// (DESIGN §1): the backend instance arrives at run time, and these structural types name only what
// kernels call on it.
import type * as tf from '@tensorflow/tfjs-core';
import { GradkitError } from '../errors.js';

/**
 * A WebGPU buffer (`GPUBuffer`), the members kernels use.
 *
 * @example
 * ```ts
 * const buffer: GpuBuffer = gpuBufferOf(backend, tensor);
 * ```
 */
export interface GpuBuffer {
  /** Its size in bytes. */
  readonly size: number;
  /** Its `GPUBufferUsage` flags (see {@link GPU_BUFFER_USAGE}). */
  readonly usage: number;
  /** Frees its memory (only for a buffer the kernel created itself). */
  destroy(): void;
}

/**
 * A WebGPU object used only by identity: a bind group, a layout, a pipeline or a shader module.
 *
 * @example
 * ```ts
 * const group: GpuHandle = gpuBindGroup(device, pipe.layout, [{ buffer }]);
 * ```
 */
export type GpuHandle = object;

/**
 * One entry of `GPUDevice.createBindGroup`: a buffer binding.
 *
 * @example
 * ```ts
 * const entry: GpuBindGroupEntry = { binding: 0, resource: { buffer, offset: 256, size: 16 } };
 * ```
 */
export interface GpuBindGroupEntry {
  /** The binding number in the layout. */
  binding: number;
  /** The buffer, and the byte range of it that is bound (the whole buffer by default). */
  resource: { buffer: GpuBuffer; offset?: number; size?: number };
}

/**
 * A compute pass encoder (`GPUComputePassEncoder`).
 *
 * @example
 * ```ts
 * const pass: GpuPass = encoder.beginComputePass();
 * pass.setPipeline(pipe.pipeline);
 * pass.setBindGroup(0, group);
 * pass.dispatchWorkgroups(Math.ceil(n / 64));
 * pass.end();
 * ```
 */
export interface GpuPass {
  /** Sets the compute pipeline of the next dispatches. */
  setPipeline(pipeline: GpuHandle): void;
  /** Sets bind group `index` of the next dispatches. */
  setBindGroup(index: number, group: GpuHandle): void;
  /** Dispatches `x · y · z` workgroups. */
  dispatchWorkgroups(x: number, y?: number, z?: number): void;
  /** Ends the pass. */
  end(): void;
}

/**
 * A command encoder (`GPUCommandEncoder`): tfjs-backend-webgpu's is `backend.commandEncoder`.
 *
 * @example
 * ```ts
 * backend.ensureCommandEncoderReady();
 * const encoder = backend.commandEncoder as GpuEncoder;
 * encoder.clearBuffer(buffer);
 * ```
 */
export interface GpuEncoder {
  /** Begins a compute pass. */
  beginComputePass(descriptor?: object): GpuPass;
  /** Records a copy of `size` bytes from `src` at `srcOffset` to `dst` at `dstOffset`. */
  copyBufferToBuffer(src: GpuBuffer, srcOffset: number, dst: GpuBuffer, dstOffset: number, size: number): void;
  /** Records zeroing `size` bytes of `buffer` from `offset` (all of it by default). */
  clearBuffer(buffer: GpuBuffer, offset?: number, size?: number): void;
}

/**
 * A WebGPU device (`GPUDevice`), the calls kernels use.
 *
 * @example
 * ```ts
 * const device: GpuDevice = backend.device;
 * const scratch = device.createBuffer({ size: 256, usage: GPU_BUFFER_USAGE.STORAGE | GPU_BUFFER_USAGE.COPY_SRC });
 * ```
 */
export interface GpuDevice {
  /** The device's limits that kernels size their dispatches and bindings by. */
  readonly limits: { readonly minStorageBufferOffsetAlignment: number; readonly maxComputeWorkgroupsPerDimension: number };
  /** The device's queue: writes from the CPU and submission of command buffers. */
  readonly queue: { writeBuffer(buffer: GpuBuffer, offset: number, data: ArrayBufferView): void; submit(buffers: unknown[]): void };
  /** Creates a buffer of `size` bytes with the given `GPUBufferUsage` flags. */
  createBuffer(descriptor: { size: number; usage: number }): GpuBuffer;
  /** Compiles WGSL source. */
  createShaderModule(descriptor: { code: string }): GpuHandle;
  /** Creates a bind group layout. */
  createBindGroupLayout(descriptor: { entries: object[] }): GpuHandle;
  /** Creates a pipeline layout over bind group layouts. */
  createPipelineLayout(descriptor: { bindGroupLayouts: GpuHandle[] }): GpuHandle;
  /** Creates a compute pipeline. */
  createComputePipeline(descriptor: { layout: GpuHandle; compute: { module: GpuHandle; entryPoint: string } }): GpuHandle;
  /** Creates a bind group of `layout`. */
  createBindGroup(descriptor: { layout: GpuHandle; entries: GpuBindGroupEntry[] }): GpuHandle;
}

/**
 * tfjs-backend-webgpu 4.22's `WebGPUBackend`, duck-typed: its device, command stream and tensor
 * storage. A kernel receives the backend as `unknown` (see {@link FusedKernelArgs}) and casts it.
 *
 * @example
 * ```ts
 * const b = args.backend as WebGpuBackend;
 * b.ensureCommandEncoderReady();
 * ```
 */
export interface WebGpuBackend {
  /** The device tfjs runs on. */
  readonly device: GpuDevice;
  /** The adapter's vendor and architecture (`'google'`, `'swiftshader'` for SwiftShader). */
  readonly adapterInfo?: { readonly vendor?: string; readonly architecture?: string };
  /** The encoder tfjs records into until its next `submitQueue`, or null. */
  readonly commandEncoder: GpuEncoder | null;
  /** tfjs's tensor storage: a tensor's GPU buffer (`resource`) or CPU copy (`values`). */
  readonly tensorMap: { get(dataId: tf.DataId): { resource?: unknown; values?: unknown; dtype: string } | undefined };
  /** tfjs's buffer pool: temporary buffers a kernel borrows and gives back. */
  readonly bufferManager: { acquireBuffer(size: number, usage: number): GpuBuffer; releaseBuffer(buffer: GpuBuffer): void };
  /** Uploads a tensor whose values are still on the CPU (records the copy into tfjs's encoder). */
  uploadToGPU(dataId: tf.DataId): void;
  /** A new tensor's entry (no buffer yet: `uploadToGPU` allocates it). */
  makeTensorInfo(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  /** Creates tfjs's command encoder when there is none. */
  ensureCommandEncoderReady(): void;
  /** Ends the compute pass tfjs left open, if any. */
  endComputePassEncoder(): void;
  /** Submits tfjs's encoder and releases what tfjs deferred until then. */
  submitQueue(): void;
}

/**
 * `GPUBufferUsage` flags (the ones kernels use), for `createBuffer` and `bufferManager.acquireBuffer`.
 *
 * @example
 * ```ts
 * const usage = GPU_BUFFER_USAGE.STORAGE | GPU_BUFFER_USAGE.COPY_DST;
 * ```
 */
export const GPU_BUFFER_USAGE = { COPY_SRC: 0x4, COPY_DST: 0x8, UNIFORM: 0x40, STORAGE: 0x80 } as const;

/**
 * `GPUShaderStage.COMPUTE`, the visibility of the layouts {@link gpuPipeline} makes.
 *
 * @example
 * ```ts
 * const entry = { binding: 0, visibility: GPU_SHADER_STAGE_COMPUTE, buffer: { type: 'storage' } };
 * ```
 */
export const GPU_SHADER_STAGE_COMPUTE = 0x4;

/**
 * A binding of a bind group layout: a read-only (`'read'`) or writable (`'write'`) storage buffer, or
 * a uniform buffer.
 *
 * @example
 * ```ts
 * const kinds: GpuBindingKind[] = ['read', 'write', 'uniform'];
 * ```
 */
export type GpuBindingKind = 'read' | 'write' | 'uniform';

/**
 * A compute pipeline and its one bind group layout (group 0).
 *
 * @example
 * ```ts
 * const { pipeline, layout }: GpuPipeline = gpuPipeline(device, wgsl, ['read', 'write']);
 * ```
 */
export interface GpuPipeline {
  /** The compute pipeline. */
  readonly pipeline: GpuHandle;
  /** Its bind group layout. */
  readonly layout: GpuHandle;
}

/** Pipelines by device, shader text and binding kinds (two levels: a caller's text is one string, whose hash is computed once). */
const pipelines = new WeakMap<GpuDevice, Map<string, Map<string, GpuPipeline>>>();

/**
 * `map.get(key)`, set to `make()` first when absent: the per-device and per-buffer caches of kernels
 * (a `Map` or a `WeakMap`).
 *
 * @example
 * ```ts
 * const scratches = new WeakMap<GpuDevice, GpuBuffer>();
 * const scratch = getOrCreate(scratches, device, () => device.createBuffer({ size: 256, usage }));
 * ```
 */
export function getOrCreate<K, V>(map: { get(key: K): V | undefined; set(key: K, value: V): unknown }, key: K, make: () => V): V {
  let value = map.get(key);
  if (value === undefined) {
    value = make();
    map.set(key, value);
  }
  return value;
}

/**
 * The compute pipeline of WGSL `code` (entry point `main`, the bindings of group 0 in `kinds` order)
 * on `device`, compiled once per device, shader text and binding kinds.
 *
 * @example
 * ```ts
 * const pipe = gpuPipeline(device, wgsl, ['read', 'write', 'uniform']);
 * pass.setPipeline(pipe.pipeline);
 * ```
 */
export function gpuPipeline(device: GpuDevice, code: string, kinds: readonly GpuBindingKind[]): GpuPipeline {
  const byCode = getOrCreate(pipelines, device, () => new Map<string, Map<string, GpuPipeline>>());
  const cache = getOrCreate(byCode, code, () => new Map<string, GpuPipeline>());
  return getOrCreate(cache, kinds.join(','), () => {
    const layout = device.createBindGroupLayout({
      entries: kinds.map((k, binding) => ({
        binding,
        visibility: GPU_SHADER_STAGE_COMPUTE,
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

/**
 * A bind group entry for {@link gpuBindGroup}: a whole buffer, or `size` bytes of it from `offset`.
 *
 * @example
 * ```ts
 * const bindings: GpuBinding[] = [{ buffer: params }, { buffer: scratch, offset: 256, size: 16 }];
 * ```
 */
export interface GpuBinding {
  /** The buffer. */
  readonly buffer: GpuBuffer;
  /** The first byte bound (0 by default). */
  readonly offset?: number;
  /** The bytes bound (the rest of the buffer by default). */
  readonly size?: number;
}

/**
 * A bind group of `layout` over `bindings`, binding `i` being `bindings[i]`.
 *
 * @example
 * ```ts
 * const group = gpuBindGroup(device, pipe.layout, [{ buffer: gpuBufferOf(backend, x) }, { buffer: out }]);
 * pass.setBindGroup(0, group);
 * ```
 */
export function gpuBindGroup(device: GpuDevice, layout: GpuHandle, bindings: readonly GpuBinding[]): GpuHandle {
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
 * `kernel` names the kernel in the error message.
 *
 * @throws GradkitError (`BAD_KERNEL_INPUT`) when the tensor is unknown or lies in a texture.
 * @example
 * ```ts
 * const p = gpuBufferOf(backend, param, 'webgpu fused step');
 * ```
 */
export function gpuBufferOf(backend: WebGpuBackend, t: tf.TensorInfo, kernel = 'webgpu kernel'): GpuBuffer {
  backend.uploadToGPU(t.dataId);
  const resource = backend.tensorMap.get(t.dataId)?.resource as Partial<GpuBuffer> | undefined;
  if (!resource || typeof resource.size !== 'number' || typeof resource.usage !== 'number' || 'createView' in resource) {
    throw new GradkitError('BAD_KERNEL_INPUT', `${kernel}: a ${t.dtype}[${t.shape.join(',')}] tensor is not in a GPU buffer`);
  }
  return resource as GpuBuffer;
}
