// tfjs-backend-cpu 4.22 computes every element of a broadcasting binary op through index
// arithmetic (`indexToLoc`, `slice`, `locToIndex` per element: ~13 ns each for a dense layer's bias
// add), same-shape ones through `i % length` and a closure call, a sum over the batch axis by
// transposing first, and a transpose through the same per-element index arithmetic. Training a dense
// net runs these in every layer, forward and backward (bias add, ReLU, its gradient's Step and
// Multiply, the bias gradient's Sum over the batch), and tf.train's optimizers run them per
// variable. These replacements run the common float32 layouts as straight loops, and hand anything else to tfjs's kernel; the arithmetic is the same
// float32 operation on the same pairs, so results are bit for bit tfjs's (sums: the same order).
import type * as tf from '@tensorflow/tfjs-core';
import { defineFastPath } from './registry.js';

/** The parts of tfjs-backend-cpu 4.22 the kernels use. */
interface CpuBackend {
  readonly data: { get(dataId: tf.DataId): { values: unknown } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array): tf.TensorInfo;
}

const valuesOf = (backend: unknown, t: tf.TensorInfo) => (backend as unknown as CpuBackend).data.get(t.dataId).values as Float32Array;
const sizeOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
const make = (backend: unknown, shape: number[], values: Float32Array) => (backend as unknown as CpuBackend).makeTensorInfo(shape, 'float32', values);

/** Whether `short` is a suffix of `long` (e.g. [256] of [128, 256], or [] of anything): b repeats along a's leading axes. */
function isSuffix(short: readonly number[], long: readonly number[]): boolean {
  if (short.length > long.length) return false;
  const off = long.length - short.length;
  return short.every((d, i) => d === long[off + i]);
}

type BinaryOp = 'add' | 'sub' | 'mul' | 'div';

/**
 * out = a ∘ b with `rep` (the operand whose shape is a suffix of the other's) repeating every
 * `rep.length` elements. One monomorphic loop per operation: a callback per element would keep V8
 * from inlining it, which costs as much as tfjs's own index arithmetic.
 */
function broadcastLoop(op: BinaryOp, full: Float32Array, rep: Float32Array, repFirst: boolean, out: Float32Array): void {
  const n = rep.length;
  for (let base = 0; base < full.length; base += n) {
    if (op === 'add') for (let j = 0; j < n; j++) out[base + j] = (full[base + j] as number) + (rep[j] as number);
    else if (op === 'mul') for (let j = 0; j < n; j++) out[base + j] = (full[base + j] as number) * (rep[j] as number);
    else if (op === 'div' && repFirst) for (let j = 0; j < n; j++) out[base + j] = (rep[j] as number) / (full[base + j] as number);
    else if (op === 'div') for (let j = 0; j < n; j++) out[base + j] = (full[base + j] as number) / (rep[j] as number);
    else if (repFirst) for (let j = 0; j < n; j++) out[base + j] = (rep[j] as number) - (full[base + j] as number);
    else for (let j = 0; j < n; j++) out[base + j] = (full[base + j] as number) - (rep[j] as number);
  }
}

/** a ∘ b in float32 where one operand's shape is a suffix of the other's (same shape, a bias, a scalar). */
function binary(original: tf.KernelFunc, op: BinaryOp): tf.KernelFunc {
  return (args) => {
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    if (a.dtype !== 'float32' || b.dtype !== 'float32') return original(args);
    const av = valuesOf(args.backend, a);
    const bv = valuesOf(args.backend, b);
    if (!(av instanceof Float32Array) || !(bv instanceof Float32Array)) return original(args);
    const bInA = isSuffix(b.shape, a.shape);
    if (!bInA && !isSuffix(a.shape, b.shape)) return original(args);
    const [full, rep, shape] = bInA ? [av, bv, a.shape] : [bv, av, b.shape];
    const out = new Float32Array(full.length);
    if (rep.length > 0) broadcastLoop(op, full, rep, !bInA, out);
    return make(args.backend, [...shape], out);
  };
}

/** An elementwise float32 function of x alone: ReLU, Step with its alpha, square, square root. */
function unary(original: tf.KernelFunc, kind: 'relu' | 'step' | 'square' | 'sqrt'): tf.KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const xv = x.dtype === 'float32' ? valuesOf(args.backend, x) : null;
    if (!(xv instanceof Float32Array)) return original(args);
    const out = new Float32Array(xv.length);
    if (kind === 'relu') for (let i = 0; i < xv.length; i++) out[i] = Math.max(0, xv[i] as number);
    else if (kind === 'square') for (let i = 0; i < xv.length; i++) out[i] = (xv[i] as number) * (xv[i] as number);
    else if (kind === 'sqrt') for (let i = 0; i < xv.length; i++) out[i] = Math.sqrt(xv[i] as number);
    else {
      const alpha = (args.attrs as { alpha: number }).alpha;
      for (let i = 0; i < xv.length; i++) {
        const v = xv[i] as number;
        out[i] = v > 0 ? 1 : Number.isNaN(v) ? Number.NaN : alpha;
      }
    }
    return make(args.backend, [...x.shape], out);
  };
}

/**
 * Sum of float32 over its leading axes (the batch axis of a bias gradient): column sums, each
 * accumulated in float64 in index order and rounded once, as tfjs-cpu does after its transpose.
 * Other axis sets go to tfjs.
 */
function sumLeading(original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const { axis, keepDims } = args.attrs as { axis: number | number[]; keepDims: boolean };
    const rank = x.shape.length;
    const axes = [...new Set((Array.isArray(axis) ? axis : [axis]).map((a) => (a < 0 ? a + rank : a)))].sort((p, q) => p - q);
    const xv = x.dtype === 'float32' ? valuesOf(args.backend, x) : null;
    if (!(xv instanceof Float32Array) || axes.length === 0 || axes.length === rank || axes.some((a, i) => a !== i)) return original(args);
    const kept = x.shape.slice(axes.length);
    const inner = sizeOf(kept);
    const outer = sizeOf(x.shape.slice(0, axes.length));
    const acc = new Float64Array(inner);
    for (let r = 0; r < outer; r++) {
      const base = r * inner;
      for (let j = 0; j < inner; j++) acc[j] = (acc[j] as number) + (xv[base + j] as number);
    }
    const out = Float32Array.from(acc);
    const shape = keepDims ? [...axes.map(() => 1), ...kept] : [...kept];
    return make(args.backend, shape, out);
  };
}

/** Transpose of the last two axes only (any leading batch axes kept in place), float32. */
function transposeLast2(original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const { perm } = args.attrs as { perm: number[] };
    const rank = x.shape.length;
    const swapsLast2 = rank >= 2 && perm.every((p, i) => (i < rank - 2 ? p === i : i === rank - 2 ? p === rank - 1 : p === rank - 2));
    const xv = x.dtype === 'float32' ? valuesOf(args.backend, x) : null;
    if (!swapsLast2 || !(xv instanceof Float32Array)) return original(args);
    const rows = x.shape[rank - 2] as number;
    const cols = x.shape[rank - 1] as number;
    const out = new Float32Array(xv.length);
    const B = 32; // blocks of 32×32 keep both sides in the L1 cache
    for (let base = 0; base < xv.length; base += rows * cols)
      for (let i0 = 0; i0 < rows; i0 += B)
        for (let j0 = 0; j0 < cols; j0 += B) {
          const iEnd = Math.min(rows, i0 + B);
          const jEnd = Math.min(cols, j0 + B);
          for (let i = i0; i < iEnd; i++) for (let j = j0; j < jEnd; j++) out[base + j * rows + i] = xv[base + i * cols + j] as number;
        }
    const shape = [...x.shape];
    [shape[rank - 2], shape[rank - 1]] = [cols, rows];
    return make(args.backend, shape, out);
  };
}

const loops = 'tfjs-cpu computes each element through per-element index arithmetic; straight float32 loops, the same arithmetic';
defineFastPath({ backend: 'cpu', kernelName: 'Add', why: `bias add and gradient sums: ${loops}`, kernel: (o) => binary(o, 'add') });
defineFastPath({ backend: 'cpu', kernelName: 'Sub', why: loops, kernel: (o) => binary(o, 'sub') });
defineFastPath({ backend: 'cpu', kernelName: 'Multiply', why: `activation gradients: ${loops}`, kernel: (o) => binary(o, 'mul') });
defineFastPath({ backend: 'cpu', kernelName: 'RealDiv', why: `tf.train optimizers' updates: ${loops}`, kernel: (o) => binary(o, 'div') });
defineFastPath({ backend: 'cpu', kernelName: 'Relu', why: loops, kernel: (o) => unary(o, 'relu') });
defineFastPath({ backend: 'cpu', kernelName: 'Square', why: `tf.train optimizers' second moments: ${loops}`, kernel: (o) => unary(o, 'square') });
defineFastPath({ backend: 'cpu', kernelName: 'Sqrt', why: `tf.train optimizers' updates: ${loops}`, kernel: (o) => unary(o, 'sqrt') });
defineFastPath({
  backend: 'cpu',
  kernelName: 'Step',
  why: `ReLU's gradient: ${loops}`,
  kernel: (o) => unary(o, 'step'),
});
defineFastPath({
  backend: 'cpu',
  kernelName: 'Sum',
  why: 'bias gradients sum over the batch axis; tfjs-cpu transposes first: column sums in place',
  kernel: sumLeading,
});
defineFastPath({ backend: 'cpu', kernelName: 'Transpose', why: `matmul gradients: ${loops}; blocked for the cache`, kernel: transposeLast2 });
