import * as tf from '@tensorflow/tfjs-core';
import { MUON_MOMENTUM_KERNEL, type MuonMomentumAttrs, muonMomentumF32 } from './kernel.js';

/** The part of tfjs's MathBackendCPU used here. */
interface CpuBackend {
  readonly data: { get(dataId: object): { values: Float32Array } };
  makeTensorInfo(shape: number[], dtype: 'float32', values: Float32Array): tf.TensorInfo;
}

/** `GradkitMuonMomentum` on tfjs's cpu backend: one JavaScript pass writing both outputs. */
export const muonMomentumCpu: tf.KernelConfig = {
  kernelName: MUON_MOMENTUM_KERNEL,
  backendName: 'cpu',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const b = backend as unknown as CpuBackend;
    const { g, buf } = inputs as { g: tf.TensorInfo; buf: tf.TensorInfo };
    const n = tf.util.sizeFromShape(g.shape);
    const [outB, outU] = [new Float32Array(n), new Float32Array(n)];
    muonMomentumF32(b.data.get(g.dataId).values, b.data.get(buf.dataId).values, outB, outU, attrs as unknown as MuonMomentumAttrs);
    return [b.makeTensorInfo([...g.shape], 'float32', outB), b.makeTensorInfo([...g.shape], 'float32', outU)];
  },
};
