// The statistics kernel: one registered tfjs kernel that computes the statistics of every requested
// tensor in one pass over the backend's own data (one kernel launch per observation) and returns them
// as one float32 tensor. On cpu and wasm the pass is WebAssembly SIMD (wasm/stats.wat): on wasm over
// tfjs's heap, where the tensors lie; on cpu over chunks copied into a small memory (cpu/stats.ts);
// the JavaScript loop (stats-loop.ts) serves int32 tensors and engines without WebAssembly. On webgpu,
// one compute pass over every tensor (webgpu/stats.ts). Registered at module load, for backend names
// only: no backend package is imported.
import * as tf from '@tensorflow/tfjs-core';
import type { Profile } from '../stats.js';
import { cpuStats } from './cpu/stats.js';
import { statsLoop } from './stats-loop.js';
import { wasmStats } from './wasm/stats.js';
import { webgpuStatsKernel } from './webgpu/stats.js';

/** The kernel's name in tfjs's registry. */
export const STATS_KERNEL = 'GradkitTensorStats';

/** The kernel's attributes: the profile of each input `t0`, `t1` …, and the saturation margin. */
export interface StatsKernelAttrs {
  readonly profiles: readonly Profile[];
  readonly margin: number;
}

type Values = Float32Array | Int32Array | Uint8Array;

/** What the kernel needs of tfjs's MathBackendCPU. */
interface CpuBackend {
  readonly data: { get(dataId: object): { values: Values } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array): tf.TensorInfo;
}

/** What the kernel needs of tfjs-backend-wasm's BackendWasm. */
interface WasmBackend {
  typedArrayFromHeap(t: tf.TensorInfo): Values;
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
}

/** A backend's faster statistics of one tensor, or undefined where it has none for that tensor. */
type FastStats = (backend: unknown, t: tf.TensorInfo, profile: Profile, margin: number) => number[] | undefined;

function kernelFunc(
  read: (backend: unknown, t: tf.TensorInfo) => Values,
  write: (backend: unknown, values: Float32Array) => tf.TensorInfo,
  fast?: FastStats,
): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { profiles, margin } = attrs as unknown as StatsKernelAttrs;
    const out: number[] = [];
    profiles.forEach((profile, i) => {
      const t = (inputs as Record<string, tf.TensorInfo>)[`t${i}`] as tf.TensorInfo;
      for (const v of fast?.(backend, t, profile, margin) ?? statsLoop(read(backend, t), profile, t.shape, margin)) out.push(v);
    });
    return write(backend, Float32Array.from(out));
  };
}

const backends: Record<string, tf.KernelFunc> = {
  cpu: kernelFunc(
    (b, t) => (b as CpuBackend).data.get(t.dataId).values,
    (b, values) => (b as CpuBackend).makeTensorInfo([values.length], 'float32', values),
    cpuStats,
  ),
  wasm: kernelFunc(
    (b, t) => (b as WasmBackend).typedArrayFromHeap(t),
    (b, values) => {
      const output = (b as WasmBackend).makeOutput([values.length], 'float32');
      (b as WasmBackend).typedArrayFromHeap(output).set(values);
      return output;
    },
    wasmStats,
  ),
  webgpu: webgpuStatsKernel,
};

for (const [backendName, func] of Object.entries(backends)) {
  if (!tf.getKernel(STATS_KERNEL, backendName)) tf.registerKernel({ kernelName: STATS_KERNEL, backendName, kernelFunc: func });
}
