import * as tf from '@tensorflow/tfjs-core';

/**
 * Called once per forward pass with the batch statistics (biased variance), shaped as `x` with the
 * normalized axes kept as size 1. It runs inside the custom-gradient kernel: nothing it does is
 * recorded on a gradient tape, and the tensors it creates are released after it returns (a variable
 * it `assign`s keeps its value).
 */
export type MomentsHook = (mean: tf.Tensor, variance: tf.Tensor) => void;

/**
 * x̂ = (x − mean) / √(var + ε), with mean and biased variance over `axes` (internal).
 *
 * Backward in closed form (saves only x̂ and 1/σ, not autograd's chain of intermediates):
 * dx = (1/σ)·(dx̂ − mean(dx̂) − x̂·mean(dx̂·x̂)), the means over `axes`.
 */
export function standardize(x: tf.Tensor, axes: readonly number[], epsilon: number, onMoments?: MomentsHook): tf.Tensor {
  const reduce = [...axes];
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const input = args[0] as tf.Tensor;
    const save = args[1] as tf.GradSaveFunc;
    const { mean, variance } = tf.moments(input, reduce, true);
    onMoments?.(mean, variance);
    const rstd = tf.rsqrt(tf.add(variance, epsilon));
    const xhat = tf.mul(tf.sub(input, mean), rstd);
    save([xhat, rstd]);
    return {
      value: xhat,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const g = Array.isArray(dy) ? (dy[0] as tf.Tensor) : dy;
        const [xh, r] = saved as [tf.Tensor, tf.Tensor];
        const meanG = tf.mean(g, reduce, true);
        const meanGX = tf.mean(tf.mul(g, xh), reduce, true);
        return tf.mul(r, tf.sub(tf.sub(g, meanG), tf.mul(xh, meanGX)));
      },
    };
  });
  return op(x);
}

/**
 * x̂ = x / √(mean(x²) + ε) over `axes` (internal).
 *
 * Backward in closed form: dx = (1/rms)·(dx̂ − x̂·mean(dx̂·x̂)), the mean over `axes`.
 */
export function rmsScale(x: tf.Tensor, axes: readonly number[], epsilon: number): tf.Tensor {
  const reduce = [...axes];
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const input = args[0] as tf.Tensor;
    const save = args[1] as tf.GradSaveFunc;
    const rrms = tf.rsqrt(tf.add(tf.mean(tf.square(input), reduce, true), epsilon));
    const xhat = tf.mul(input, rrms);
    save([xhat, rrms]);
    return {
      value: xhat,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const g = Array.isArray(dy) ? (dy[0] as tf.Tensor) : dy;
        const [xh, r] = saved as [tf.Tensor, tf.Tensor];
        return tf.mul(r, tf.sub(g, tf.mul(xh, tf.mean(tf.mul(g, xh), reduce, true))));
      },
    };
  });
  return op(x);
}

/** The axes 0 … rank−1 except those listed. */
export const allAxesBut = (rank: number, keep: readonly number[]): number[] => [...Array(rank).keys()].filter((a) => !keep.includes(a));
