import * as tf from '@tensorflow/tfjs-core';
import { MUON_MOMENTUM_KERNEL, type MuonMomentumAttrs } from './kernel.js';

/** What the kernel needs of tfjs-backend-webgpu 4.22: its program runner (tfjs's own batching of dispatches into submits). */
interface WebGpuBackend {
  runWebGPUProgram(program: object, inputs: tf.TensorInfo[], dtype: 'float32', uniforms: { type: 'float32'; data: number[] }[]): tf.TensorInfo;
}

const WORKGROUP = 64;

/**
 * A tfjs WebGPU program (tfjs-backend-webgpu's `WebGPUProgram` shape: flat dispatch, `size` uniform)
 * computing one output of the momentum: the new buffer, or the update.
 */
function program(shape: number[], output: 'buf' | 'update', nesterov: boolean): object {
  const n = tf.util.sizeFromShape(shape);
  const value = output === 'update' && nesterov ? 'g + (next - g) * uniforms.momentum' : 'next';
  return {
    variableNames: ['G', 'B'],
    outputShape: shape,
    shaderKey: `gradkitMuonMomentum_${output === 'update' && nesterov ? 'nesterov' : 'buf'}`,
    dispatchLayout: { x: shape.map((_, i) => i) },
    dispatch: [Math.ceil(n / WORKGROUP), 1, 1],
    workgroupSize: [WORKGROUP, 1, 1],
    size: true,
    uniforms: 'momentum : f32, keep : f32,',
    getUserCode: () => `
      fn main(index : i32) {
        if (index < uniforms.size) {
          let g = getGByOutputIndex(index);
          let b = getBByOutputIndex(index);
          let next = b + (g - b) * uniforms.keep;
          setOutputAtIndex(index, ${value});
        }
      }`,
  };
}

/**
 * `GradkitMuonMomentum` on tfjs-backend-webgpu: two dispatches through tfjs's own program runner
 * (each output one; the update recomputes the buffer's three ops rather than waiting on it), recorded
 * into tfjs's command encoder with its other ops, so they share its submits.
 */
export const muonMomentumWebgpu: tf.KernelConfig = {
  kernelName: MUON_MOMENTUM_KERNEL,
  backendName: 'webgpu',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const b = backend as unknown as WebGpuBackend;
    const { g, buf } = inputs as { g: tf.TensorInfo; buf: tf.TensorInfo };
    const a = attrs as unknown as MuonMomentumAttrs;
    const uniforms = [
      { type: 'float32' as const, data: [a.momentum] },
      { type: 'float32' as const, data: [1 - a.momentum] },
    ];
    const shape = [...g.shape];
    return [
      b.runWebGPUProgram(program(shape, 'buf', a.nesterov), [g, buf], 'float32', uniforms),
      b.runWebGPUProgram(program(shape, 'update', a.nesterov), [g, buf], 'float32', uniforms),
    ];
  },
};
