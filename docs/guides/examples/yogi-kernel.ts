import { type FusedKernelArgs, registerFusedKernel } from '@gradkit/core';
import type { TensorInfo } from '@tensorflow/tfjs-core';

// #region kernel
/** The part of tfjs's cpu backend (MathBackendCPU) the kernel uses: its typed arrays, by dataId. */
interface CpuBackend {
  readonly data: { get(dataId: object): { values: Float32Array } };
}

/** Yogi on the cpu backend: one loop per parameter over tfjs's own arrays, written in place. */
export function yogiCpu({ backend, params, grads, slots, hyper, step }: FusedKernelArgs): void {
  const { learningRate = 0, beta1 = 0, beta2 = 0, epsilon = 0 } = hyper[0] ?? {}; // yogi's options at this step
  const view = (t: TensorInfo) => (backend as unknown as CpuBackend).data.get(t.dataId).values;
  const [ms = [], vs = []] = slots; // slots[k][i]: the k-th slot ('m', then 'v') of parameter i
  const c1 = 1 - beta1 ** (step + 1);
  const c2 = 1 - beta2 ** (step + 1);
  for (const [i, param] of params.entries()) {
    const [p, g, m, v] = [view(param), view(grads[i]!), view(ms[i]!), view(vs[i]!)];
    for (let j = 0; j < p.length; j++) {
      const gj = g[j]!;
      const g2 = gj * gj;
      m[j] = beta1 * m[j]! + (1 - beta1) * gj;
      v[j] = v[j]! - (1 - beta2) * Math.sign(v[j]! - g2) * g2;
      p[j] = p[j]! - (learningRate * (m[j]! / c1)) / (Math.sqrt(v[j]! / c2) + epsilon);
    }
  }
}
// #endregion

/** Gives `yogi` a fused kernel on the cpu backend. */
export function registerYogiKernel(): void {
  // #region register
  registerFusedKernel({
    kernelName: 'YogiCpu', // its name in tfjs's kernel registry
    backendName: 'cpu',
    pattern: ['yogi'], // the chain it implements, by the transformations' names
    slots: () => [['m', 'v']], // for each part of the pattern, the state trees it reads and writes
    supports: () => true, // look at the options here to decline some (then the reference path runs)
    kernelFunc: yogiCpu,
  });
  // #endregion
}
