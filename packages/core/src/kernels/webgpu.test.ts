import type * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { GradkitError } from '../errors.js';
import { type GpuBuffer, type GpuDevice, getOrCreate, gpuBindGroup, gpuBufferOf, gpuPipeline, type WebGpuBackend } from './webgpu.js';

// The WebGPU plumbing of fused-kernel plugins against a recording fake device and backend (the kernels
// that use it run on tfjs-backend-webgpu's device in @gradkit/optimizers and @gradkit/diagnostics).
function fakeDevice() {
  const calls: { method: string; descriptor: unknown }[] = [];
  const record = (method: string) => (descriptor: unknown) => {
    calls.push({ method, descriptor });
    return { method, descriptor };
  };
  const device = {
    createShaderModule: record('createShaderModule'),
    createBindGroupLayout: record('createBindGroupLayout'),
    createPipelineLayout: record('createPipelineLayout'),
    createComputePipeline: record('createComputePipeline'),
    createBindGroup: record('createBindGroup'),
  } as unknown as GpuDevice;
  return { device, calls, count: (method: string) => calls.filter((c) => c.method === method).length };
}
const buffer = (size: number): GpuBuffer => ({ size, usage: 0x80, destroy() {} });

describe('getOrCreate', () => {
  it('makes a missing value once and returns the stored one after', () => {
    const map = new Map<string, number[]>();
    let made = 0;
    const make = (value: number) => () => {
      made++;
      return [value];
    };
    const a = getOrCreate(map, 'a', make(1));
    expect(getOrCreate(map, 'a', make(2))).toBe(a);
    expect(a).toEqual([1]);
    expect(made).toBe(1);
  });
});

describe('gpuPipeline', () => {
  it('lays group 0 out in binding order and compiles once per device, code and binding kinds', () => {
    const { device, calls, count } = fakeDevice();
    const pipe = gpuPipeline(device, 'code A', ['read', 'write', 'uniform']);
    expect(calls.find((c) => c.method === 'createBindGroupLayout')?.descriptor).toEqual({
      entries: [
        { binding: 0, visibility: 4, buffer: { type: 'read-only-storage' } },
        { binding: 1, visibility: 4, buffer: { type: 'storage' } },
        { binding: 2, visibility: 4, buffer: { type: 'uniform' } },
      ],
    });
    expect(calls.find((c) => c.method === 'createShaderModule')?.descriptor).toEqual({ code: 'code A' });
    expect((pipe.pipeline as { descriptor: { compute: { entryPoint: string } } }).descriptor.compute.entryPoint).toBe('main');
    expect(gpuPipeline(device, 'code A', ['read', 'write', 'uniform'])).toBe(pipe);
    expect(count('createComputePipeline')).toBe(1);
    expect(gpuPipeline(device, 'code A', ['read', 'write'])).not.toBe(pipe);
    expect(gpuPipeline(device, 'code B', ['read', 'write', 'uniform'])).not.toBe(pipe);
    expect(count('createComputePipeline')).toBe(3);
    expect(gpuPipeline(fakeDevice().device, 'code A', ['read', 'write', 'uniform'])).not.toBe(pipe);
  });
});

describe('gpuBindGroup', () => {
  it('binds buffers in order, with an offset and size only where given', () => {
    const { device, calls } = fakeDevice();
    const [a, b, layout] = [buffer(64), buffer(512), {}];
    gpuBindGroup(device, layout, [{ buffer: a }, { buffer: b, offset: 256, size: 16 }]);
    expect(calls[0]?.descriptor).toEqual({
      layout,
      entries: [
        { binding: 0, resource: { buffer: a } },
        { binding: 1, resource: { buffer: b, offset: 256, size: 16 } },
      ],
    });
  });
});

describe('gpuBufferOf', () => {
  const info = { dataId: {}, shape: [2, 3], dtype: 'float32' } as tf.TensorInfo;
  const backendWith = (resource: unknown, uploads: unknown[] = []) =>
    ({ uploadToGPU: (id: tf.DataId) => uploads.push(id), tensorMap: { get: () => ({ resource, dtype: 'float32' }) } }) as unknown as WebGpuBackend;

  it("uploads the tensor first, then returns tfjs's buffer of it", () => {
    const uploads: unknown[] = [];
    const gpu = buffer(24);
    expect(gpuBufferOf(backendWith(gpu, uploads), info)).toBe(gpu);
    expect(uploads).toEqual([info.dataId]);
  });

  it('names the kernel and the tensor when the tensor has no buffer or lies in a texture', () => {
    for (const resource of [undefined, { size: 24, usage: 4, createView() {} }]) {
      const error = (() => {
        try {
          gpuBufferOf(backendWith(resource), info, 'my kernel');
        } catch (e) {
          return e;
        }
      })();
      expect(error).toBeInstanceOf(GradkitError);
      expect((error as GradkitError).code).toBe('BAD_KERNEL_INPUT');
      expect((error as GradkitError).message).toBe('my kernel: a float32[2,3] tensor is not in a GPU buffer');
    }
  });
});
