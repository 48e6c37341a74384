// Slice and SplitV on the cpu backend: tfjs-backend-cpu 4.22 copies a slice that is not one
// contiguous run element by element through TensorBuffer index arithmetic (≈1 µs per element). An
// LSTM or GRU step splits its gate pre-activations along the last axis (tfjs-layers' lstm: 4 SplitV
// slices per step, forward and backward), so a 100-step LSTM's trainOnBatch spent 4.2 of 5.2 s in
// SplitV once its matmuls had fast paths. Here each run along the last axis is one typed-array copy.
import * as tf from '@tensorflow/tfjs-core';
import { type ArrayKernel, type CpuBackend, cpuArrayKernel, isValues, type Values } from './array-kernel.js';
import { defineFastPath } from './registry.js';

/** x[begin … begin + size) of x (`shape`, row-major), copied run by run along the last axis into `out`. @internal */
export function sliceInto(x: Values, shape: readonly number[], begin: readonly number[], size: readonly number[], out: Values): void {
  const rank = shape.length;
  if (rank === 0 || out.length === 0) {
    out.set(x.subarray(0, out.length));
    return;
  }
  const strides = tf.util.computeStrides([...shape]);
  const run = size[rank - 1] as number;
  const index = new Array<number>(rank - 1).fill(0);
  for (let o = 0; o < out.length; o += run) {
    let from = begin[rank - 1] as number;
    for (let d = 0; d < rank - 1; d++) from += ((begin[d] as number) + (index[d] as number)) * (strides[d] as number);
    out.set(x.subarray(from, from + run), o);
    for (let d = rank - 2; d >= 0; d--) {
      index[d] = (index[d] as number) + 1;
      if ((index[d] as number) < (size[d] as number)) break;
      index[d] = 0;
    }
  }
}

const slice: ArrayKernel = {
  output: ({ inputs, attrs = {} }) => {
    const x = inputs.x as tf.TensorInfo;
    if (x.dtype !== 'float32' && x.dtype !== 'int32') return undefined;
    const [, size] = tf.slice_util.parseSliceParams(x, attrs.begin as number[], attrs.size as number[]) as [number[], number[]];
    return { shape: size, dtype: x.dtype };
  },
  compute: ({ inputs, attrs = {} }, v, out) => {
    const x = inputs.x as tf.TensorInfo;
    const [begin, size] = tf.slice_util.parseSliceParams(x, attrs.begin as number[], attrs.size as number[]) as [number[], number[]];
    sliceInto(v.x as Values, x.shape, begin, size, out);
    return true;
  },
};

/** The cpu Slice fast path. @internal */
export const cpuSlice = cpuArrayKernel(slice);

/** The cpu SplitV fast path: each piece a slice along `axis` (tfjs's `original` for other dtypes). @internal */
export function cpuSplitV(original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const backend = args.backend as unknown as CpuBackend;
    const x = args.inputs.x as tf.TensorInfo;
    const values = backend.data.get(x.dataId).values;
    if (!isValues(values) || (x.dtype !== 'float32' && x.dtype !== 'int32')) return original(args);
    const { numOrSizeSplits, axis } = args.attrs as { numOrSizeSplits: number | number[]; axis: number | number[] };
    const $axis = tf.util.parseAxisParam(axis, x.shape)[0] as number;
    const begin = new Array<number>(x.shape.length).fill(0);
    return tf.backend_util.prepareSplitSize(x as tf.Tensor, numOrSizeSplits, $axis).map((s) => {
      const size = [...x.shape];
      size[$axis] = s;
      const out = x.dtype === 'int32' ? new Int32Array(tf.util.sizeFromShape(size)) : new Float32Array(tf.util.sizeFromShape(size));
      sliceInto(values, x.shape, begin, size, out);
      begin[$axis] = (begin[$axis] as number) + s;
      return backend.makeTensorInfo(size, x.dtype, out);
    });
  };
}

const why =
  'tfjs-cpu copies a non-contiguous slice element by element through TensorBuffer (an LSTM step splits its gates: 80% of its trainOnBatch): one copy per run along the last axis';
defineFastPath({ backend: 'cpu', kernelName: 'Slice', why, kernel: cpuSlice });
defineFastPath({ backend: 'cpu', kernelName: 'SplitV', why, kernel: cpuSplitV });
