import type { FusedKernelArgs } from '@gradkit/core';
import type { TensorInfo } from '@tensorflow/tfjs-core';
import { sgdInPlace } from '../sgd-loop.js';

/** The part of tfjs's MathBackendCPU this kernel uses: its storage of typed arrays by dataId. */
interface CpuBackend {
  readonly data: { get(dataId: object): { values: Float32Array } };
}

const view = (backend: CpuBackend, t: TensorInfo) => backend.data.get(t.dataId).values;

/**
 * Fused plain SGD on tfjs's cpu backend: loops over the backend's own Float32Arrays in place.
 * p ← p − η(g + λp), in float32 like the reference path.
 *
 * @example
 * ```ts
 * registerFusedKernel({ kernelName: 'GradkitSgd', backendName: 'cpu', pattern: ['sgd'], kernelFunc: sgdCpu });
 * ```
 */
export function sgdCpu({ backend, params, grads, hyper }: FusedKernelArgs): void {
  const { learningRate = 0, weightDecay = 0 } = hyper[0] ?? {};
  const b = backend as unknown as CpuBackend;
  for (const [i, p] of params.entries()) sgdInPlace(view(b, p), view(b, grads[i] as TensorInfo), learningRate, weightDecay);
}
