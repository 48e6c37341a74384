// tfjs-backend-wasm 4.22 runs a matmul through XNNPACK only when neither operand is transposed
// (tfjs PR #2532); with `transposeA` or `transposeB` it falls back to a naive loop ~10× slower. The
// gradients of every dense layer are such matmuls (dL/dW = xᵀ·dy, dL/dx = dy·Wᵀ: tfjs-core's
// BatchMatMul gradient and its fused matMul's custom gradient), so training spent ~85% of a step
// there. Transposing explicitly first (an O(n²) copy) and running the untransposed XNNPACK kernel
// gives the same products, summed in XNNPACK's order.
import * as tf from '@tensorflow/tfjs-core';
import { defineFastPath } from './registry.js';

type Backend = { disposeData(dataId: tf.DataId): boolean | undefined };

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

const why =
  'XNNPACK runs only untransposed matmuls; tfjs falls back to a naive loop for transposeA/transposeB (every dense gradient): transpose explicitly, then XNNPACK';
defineFastPath({ backend: 'wasm', kernelName: 'BatchMatMul', why, kernel: untransposed });
defineFastPath({ backend: 'wasm', kernelName: '_FusedMatMul', why, kernel: untransposed });
