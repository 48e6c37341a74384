// The plumbing shared by the training kernels that compute on plain typed arrays (conv and pool
// gradients, segment sums): one `ArrayKernel` says what the output is and how to fill it, and becomes
// a cpu fast path (tfjs-cpu's arrays in, a new array out, tfjs's kernel for what it declines) and a
// wasm kernel (views of the wasm heap in, an output allocated on the heap first).
import * as tf from '@tensorflow/tfjs-core';

/** The typed arrays the kernels read and write. */
export type Values = Float32Array | Int32Array;

/** What the kernels use of tfjs-backend-cpu 4.22's MathBackendCPU (duck-typed: DESIGN §1). @internal */
export interface CpuBackend {
  readonly data: { get(dataId: tf.DataId): { values?: unknown } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: Values): tf.TensorInfo;
}

/** What the kernels use of tfjs-backend-wasm 4.22's BackendWasm (duck-typed: DESIGN §1). */
interface WasmBackend {
  typedArrayFromHeap(t: tf.TensorInfo): Values;
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  disposeData(dataId: tf.DataId): boolean | undefined;
}

/** A kernel over typed arrays. @internal */
export interface ArrayKernel {
  /** The output's shape and dtype, or undefined for a call it does not compute (cpu: tfjs's kernel runs; wasm: an error). */
  output(args: Parameters<tf.KernelFunc>[0]): { shape: number[]; dtype: 'float32' | 'int32' } | undefined;
  /** Fills `out` (zeros on entry) from the inputs' values; false when it cannot now (cpu: tfjs's kernel runs). */
  compute(args: Parameters<tf.KernelFunc>[0], inputs: Readonly<Record<string, Values>>, out: Values): boolean;
}

/** Whether `v` is an array the kernels read (tfjs-cpu holds other dtypes in other arrays). @internal */
export const isValues = (v: unknown): v is Values => v instanceof Float32Array || v instanceof Int32Array;
const zeros = (dtype: 'float32' | 'int32', size: number): Values => (dtype === 'int32' ? new Int32Array(size) : new Float32Array(size));

/** The kernel as a cpu fast path: tfjs's `original` runs for any input not in a Float32Array/Int32Array and for what the kernel declines. @internal */
export function cpuArrayKernel(kernel: ArrayKernel): (original: tf.KernelFunc) => tf.KernelFunc {
  return (original) => (args) => {
    const backend = args.backend as unknown as CpuBackend;
    const inputs: Record<string, Values> = {};
    for (const [name, t] of Object.entries(args.inputs)) {
      const values = t && backend.data.get(t.dataId).values;
      if (!isValues(values)) return original(args);
      inputs[name] = values;
    }
    const o = kernel.output(args);
    if (!o) return original(args);
    const out = zeros(o.dtype, tf.util.sizeFromShape(o.shape));
    if (!kernel.compute(args, inputs, out)) return original(args);
    return backend.makeTensorInfo(o.shape, o.dtype, out);
  };
}

/** Runs the kernel on the wasm backend's heap, or returns what `decline()` gives for a call it does not compute. */
function onWasm(kernel: ArrayKernel, args: Parameters<tf.KernelFunc>[0], decline: () => tf.TensorInfo): tf.TensorInfo {
  const backend = args.backend as unknown as WasmBackend;
  const o = kernel.output(args);
  if (!o) return decline();
  // The output first: allocating may grow the heap, which detaches earlier views of it.
  const out = backend.makeOutput(o.shape, o.dtype);
  const inputs: Record<string, Values> = {};
  for (const [key, t] of Object.entries(args.inputs)) if (t) inputs[key] = backend.typedArrayFromHeap(t);
  const values = backend.typedArrayFromHeap(out);
  values.fill(0);
  if (kernel.compute(args, inputs, values)) return out;
  backend.disposeData(out.dataId);
  return decline();
}

/** The kernel on the wasm backend's heap, for a kernel the backend lacks (`name` in the error for what it declines). @internal */
export function wasmArrayKernel(name: string, kernel: ArrayKernel): tf.KernelFunc {
  return (args) =>
    onWasm(kernel, args, () => {
      throw new Error(`gradkit's ${name} for the wasm backend does not compute this case (its inputs' dtypes or data format, or no WebAssembly memory)`);
    });
}

/** The kernel as a wasm fast path: tfjs's `original` runs for what it declines. @internal */
export function wasmArrayFastPath(kernel: ArrayKernel): (original: tf.KernelFunc) => tf.KernelFunc {
  return (original) => (args) => onWasm(kernel, args, () => original(args) as tf.TensorInfo);
}
