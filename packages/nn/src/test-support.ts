import { HyperParameterError } from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';

/** Asserts that `fn` throws a HyperParameterError whose `field` is `field` (and whose message matches `message`). */
export function expectHyperError(fn: () => unknown, field: string, message?: RegExp): void {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  expect(thrown, `expected a HyperParameterError naming '${field}'`).toBeInstanceOf(HyperParameterError);
  expect((thrown as HyperParameterError).field).toBe(field);
  if (message) expect((thrown as Error).message).toMatch(message);
}

/** y = x·W + b in float64, row by row (the reference for dense layers). */
export function affine(x: number[][], w: number[][], b: number[] | null): number[][] {
  return x.map((row) => (w[0] as number[]).map((_, j) => row.reduce((s, xi, i) => s + xi * ((w[i] as number[])[j] as number), b ? (b[j] as number) : 0)));
}

/** A trainable variable made from `make()`, releasing the initial tensor (tf.variable keeps its own reference). */
export const variable = (make: () => tf.Tensor): tf.Variable => tf.tidy(() => tf.variable(make()));

/** tfjs-webgpu's MatMulProgramType.MatMulSmallOutputSizeProgram. */
const SMALL_OUTPUT_MATMUL = 2;

/**
 * Runs `fn` with tfjs-webgpu's matMul fixed to its small-output program while the backend is webgpu
 * (elsewhere it just runs `fn`), then puts tfjs's own choice back. For a product of at most 128
 * output elements (every matMul of the tiny nets the training and leak tests use, gradients
 * included) tfjs picks MatMulReduceProgram, whose workgroup barriers SwiftShader (the software
 * WebGPU CI has) runs ~30× slower: 15 ms against 0.5 ms for [6, 8]·[8, 8], so that a training step
 * of a tiny LSTM, attention or transformer block takes 190–490 ms instead of 11–25 ms. Both
 * programs compute the same products; the tests against PyTorch keep tfjs's choice.
 */
export async function withSmallOutputMatMul<T>(fn: () => Promise<T>): Promise<T> {
  if (tf.getBackend() !== 'webgpu') return fn();
  const flag = 'WEBGPU_MATMUL_PROGRAM_TYPE';
  const before = tf.env().getNumber(flag);
  tf.env().set(flag, SMALL_OUTPUT_MATMUL);
  try {
    return await fn();
  } finally {
    tf.env().set(flag, before);
  }
}
