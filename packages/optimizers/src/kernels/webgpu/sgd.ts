import { type FusedKernelArgs, GradkitError } from '@gradkit/core';
import type * as tf from '@tensorflow/tfjs-core';

// The parts of tfjs-backend-webgpu 4.22's `WebGPUBackend` and `WebGPUProgram` this kernel uses. The
// backend package is never imported (DESIGN §1): the instance arrives at run time as `args.backend`.

/** A uniform appended after tfjs's own ones (NAN, INFINITY, shapes, strides, size). */
interface ProgramUniform {
  type: 'float32' | 'int32' | 'uint32';
  data: number[];
}

/** tfjs's `WebGPUProgram` contract, for a flat element-wise program. */
interface WebGpuProgram {
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  variableNames: string[];
  uniforms: string;
  workgroupSize: [number, number, number];
  size: boolean;
  getUserCode(): string;
}

interface WebGpuBackend {
  runWebGPUProgram(program: WebGpuProgram, inputs: tf.TensorInfo[], outputDtype: 'float32', uniforms: ProgramUniform[], output: tf.TensorInfo): tf.TensorInfo;
}

const WORKGROUP = 128;

/**
 * The program for one parameter of `n` elements. Its binding 0, `result`, is tfjs's output buffer,
 * declared `var<storage, read_write>`: the shader reads p from it and writes the new p back. `G` is
 * the gradient, or absent when the gradient *is* the parameter (one buffer cannot be bound both
 * read_write and read in one dispatch). Four shader variants; tfjs caches each pipeline by
 * `shaderKey` (+ ranks, dtypes, workgroup size), so each compiles once per backend.
 */
function sgdProgram(n: number, decay: boolean, aliased: boolean): WebGpuProgram {
  const g = aliased ? 'result[index]' : 'G[index]';
  // Same float32 op order as the reference tf-ops path, one rounding per op.
  const update = decay ? `let t = p * uniforms.wd; let d = ${g} + t; let u = d * uniforms.negLr;` : `let u = ${g} * uniforms.negLr;`;
  return {
    outputShape: [n],
    shaderKey: `gradkitSgd_${decay ? 'wd' : 'plain'}_${aliased ? 'self' : 'grad'}`,
    dispatchLayout: { x: [0] },
    // tfjs's `reshapeDispatch` folds this into 2-D/3-D beyond maxComputeWorkgroupsPerDimension, and
    // its `getGlobalIndex()` unfolds it again.
    dispatch: [Math.ceil(n / WORKGROUP), 1, 1],
    variableNames: aliased ? [] : ['G'],
    uniforms: 'negLr : f32, wd : f32,',
    workgroupSize: [WORKGROUP, 1, 1],
    size: true,
    getUserCode: () => `
      fn main(index : i32) {
        if (index < uniforms.size) {
          let p = result[index];
          ${update}
          result[index] = p + u;
        }
      }`,
  };
}

/**
 * Plain SGD with optional L2 weight decay as a fused WebGPU kernel: updates every parameter in place,
 * in one dispatch per parameter recorded into tfjs's own command stream (no readback, no sync).
 *
 * θ ← θ + u,  u = −η·g  (λ = 0),  or  u = −η·(g + λθ)  (λ > 0), in float32 with the reference path's
 * op order (`t = θ·λ; d = g + t; u = d·(−η); θ = θ + u`), η = `hyper[0].learningRate`,
 * λ = `hyper[0].weightDecay`. No slots (momentum is not fused here).
 *
 * Reference: PyTorch `torch.optim.SGD` with `momentum=0`; optax `sgd` + `add_decayed_weights` (as L2).
 *
 * How: each parameter runs as a tfjs `WebGPUProgram` through `backend.runWebGPUProgram(program,
 * [grad], 'float32', uniforms, param)`. Passing the parameter as `output` makes tfjs bind its existing
 * buffer as `result` (read_write) without allocating a new one or touching the tensorMap entry's
 * refCount, upload it first if its values are still on the CPU, order the dispatch after every op
 * queued before it and before every op queued after it, and defer releasing buffers until submit.
 * The `Optimizer` runner then keeps tfjs's CPU read cache from serving pre-step values.
 * Requires every parameter buffer to be exclusive (the `Optimizer` runner's copy-on-write does that).
 *
 * @throws GradkitError (`BAD_KERNEL_INPUT`) when a parameter or gradient is not float32 or their sizes differ.
 * @example
 * ```ts
 * registerFusedKernel({
 *   kernelName: 'GradkitSgd', backendName: 'webgpu', pattern: ['sgd'],
 *   supports: ([o]) => (o as ResolvedSgdOptions).momentum === 0,
 *   kernelFunc: sgdWebGpu,
 * });
 * ```
 */
export function sgdWebGpu(args: FusedKernelArgs): void {
  const backend = args.backend as unknown as WebGpuBackend;
  const hyper = args.hyper[0];
  const lr = hyper?.learningRate ?? Number.NaN;
  const wd = hyper?.weightDecay ?? 0;
  const uniforms: ProgramUniform[] = [
    { type: 'float32', data: [-lr] },
    { type: 'float32', data: [wd] },
  ];
  for (const [i, param] of args.params.entries()) {
    const grad = args.grads[i];
    const n = param.shape.reduce((a, b) => a * b, 1);
    if (grad === undefined || grad.shape.reduce((a, b) => a * b, 1) !== n || param.dtype !== 'float32' || grad.dtype !== 'float32') {
      throw new GradkitError(
        'BAD_KERNEL_INPUT',
        `sgdWebGpu: parameter ${i} and its gradient must be float32 tensors of the same size; got ${param.dtype}[${param.shape.join(',')}] and ${grad ? `${grad.dtype}[${grad.shape.join(',')}]` : 'no gradient'}`,
      );
    }
    if (n === 0) continue;
    const aliased = grad.dataId === param.dataId;
    // Both as flat [n] views of the same dataIds: one shader for every rank (0-d included).
    const output: tf.TensorInfo = { dataId: param.dataId, shape: [n], dtype: 'float32' };
    const inputs: tf.TensorInfo[] = aliased ? [] : [{ dataId: grad.dataId, shape: [n], dtype: 'float32' }];
    backend.runWebGPUProgram(sgdProgram(n, wd !== 0, aliased), inputs, 'float32', uniforms, output);
  }
}
