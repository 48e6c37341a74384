// Test support of the cnn and transformer tasks (not part of the lab).
import { type GradientTransformation, type Module, Optimizer, valueAndGrad } from '@gradkit/core';
import { softmaxCrossEntropy } from '@gradkit/nn';
import * as tf from '@tensorflow/tfjs-core';

/**
 * Runs `fn` with tfjs-webgpu's matMul fixed to its small-output program (2) while the backend is
 * webgpu, then restores tfjs's choice: the reduce program it picks for tiny products is ~30× slower on
 * SwiftShader. Same trick as @gradkit/nn's test-support `withSmallOutputMatMul`.
 */
export async function withSmallMatMul<T>(fn: () => Promise<T>): Promise<T> {
  if (tf.getBackend() !== 'webgpu') return fn();
  const flag = 'WEBGPU_MATMUL_PROGRAM_TYPE';
  const before = tf.env().getNumber(flag);
  tf.env().set(flag, 2);
  try {
    return await fn();
  } finally {
    tf.env().set(flag, before);
  }
}

/** The losses of `steps` optimizer steps of `net` on one batch (softmax cross-entropy against int32 `y`), read back one by one; disposes the net. */
export async function lossesOnOneBatch(net: Module, transform: GradientTransformation, x: tf.Tensor, y: tf.Tensor, steps: number): Promise<number[]> {
  const opt = new Optimizer(net.params, transform);
  const losses: number[] = [];
  try {
    for (let i = 0; i < steps; i++) {
      const { value, grads } = valueAndGrad(() => softmaxCrossEntropy(net.apply(x), y))(net.params);
      opt.step(grads);
      losses.push((await value.data())[0] as number);
      tf.dispose([value, grads as tf.TensorContainer]);
    }
    return losses;
  } finally {
    opt.dispose();
    net.dispose();
  }
}
