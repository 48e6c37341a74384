// tfjs-backend-wasm 4.22 runs a matmul through XNNPACK only when neither operand is transposed
// (tfjs PR #2532); with `transposeA` or `transposeB` it falls back to a naive loop ~10× slower. The
// gradients of every dense layer are such matmuls (dL/dW = xᵀ·dy, dL/dx = dy·Wᵀ: tfjs-core's
// BatchMatMul gradient and its fused matMul's custom gradient), so training spent ~85% of a step
// there. Transposing explicitly first (an O(n²) copy) and running the untransposed XNNPACK kernel
// gives the same products, summed in XNNPACK's order.
import * as tf from '@tensorflow/tfjs-core';
import { multiply, productOf } from './cpu-matmul.js';
import { defineFastPath } from './registry.js';

/** What the kernels use of tfjs-backend-wasm 4.22's BackendWasm (duck-typed: DESIGN §1). */
type Backend = {
  disposeData(dataId: tf.DataId): boolean | undefined;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array;
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  readonly wasm: { readonly tfjs: { getThreadsCount?: () => number } };
};

/** Transposes the last two axes of `x` with the backend's own Transpose kernel. */
function transposeLast2(x: tf.TensorInfo, backend: unknown): tf.TensorInfo {
  const transpose = tf.getKernel('Transpose', 'wasm')?.kernelFunc;
  if (!transpose) throw new Error("tfjs-backend-wasm registers no 'Transpose' kernel");
  const rank = x.shape.length;
  const perm = [...Array(rank).keys()];
  [perm[rank - 2], perm[rank - 1]] = [rank - 1, rank - 2];
  return transpose({ inputs: { x }, backend: backend as tf.KernelBackend, attrs: { perm } }) as tf.TensorInfo;
}

/** A matmul kernel (`BatchMatMul` or `_FusedMatMul`) that hands XNNPACK untransposed operands. */
function untransposed(original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
    if (!transposeA && !transposeB) return original(args);
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const temps: tf.TensorInfo[] = [];
    const put = (x: tf.TensorInfo, flip: boolean) => {
      if (!flip) return x;
      const t = transposeLast2(x, args.backend);
      temps.push(t);
      return t;
    };
    try {
      return original({
        ...args,
        inputs: { ...args.inputs, a: put(a, transposeA), b: put(b, transposeB) },
        attrs: { ...args.attrs, transposeA: false, transposeB: false },
      });
    } finally {
      for (const t of temps) (args.backend as unknown as Backend).disposeData(t.dataId);
    }
  };
}

/**
 * `BatchMatMul` on the single-threaded backend: cpu-matmul.wat's SIMD kernel reads transposed operands
 * through its packing strides and needs no XNNPACK operator, which tfjs creates and packs anew for
 * every weight matrix a training step changed (so every forward and backward product). Measured on
 * the 784-256-256-10 MLP's step it is the faster of the two; the threaded build keeps XNNPACK, which
 * splits a product over its threads.
 */
function viaModule(original: tf.KernelFunc): tf.KernelFunc {
  const xnn = untransposed(original);
  return (args) => {
    const backend = args.backend as unknown as Backend;
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
    if (a.dtype !== 'float32' || b.dtype !== 'float32' || (backend.wasm.tfjs.getThreadsCount?.() ?? 1) > 1) return xnn(args);
    const p = productOf(a, b, transposeA, transposeB);
    if (!p) return xnn(args);
    // The output first: allocating may grow the heap, which detaches earlier views of it.
    const out = backend.makeOutput(p.outShape, 'float32');
    if (multiply(p, backend.typedArrayFromHeap(a), backend.typedArrayFromHeap(b), undefined, 0, backend.typedArrayFromHeap(out))) return out;
    backend.disposeData(out.dataId);
    return xnn(args);
  };
}

const why =
  'XNNPACK runs only untransposed matmuls; tfjs falls back to a naive loop for transposeA/transposeB (every dense gradient): transpose explicitly, then XNNPACK';
defineFastPath({
  backend: 'wasm',
  kernelName: 'BatchMatMul',
  why: `${why}; single-threaded, a SIMD kernel that packs transposed operands by stride and builds no XNNPACK operator per changed weight`,
  kernel: viaModule,
});
defineFastPath({ backend: 'wasm', kernelName: '_FusedMatMul', why, kernel: untransposed });
