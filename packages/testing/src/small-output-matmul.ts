// tfjs-webgpu's matMul program for small outputs, for the tests of tiny nets on SwiftShader.
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll } from 'vitest';

const FLAG = 'WEBGPU_MATMUL_PROGRAM_TYPE';
/** tfjs-webgpu's MatMulProgramType.MatMulSmallOutputSizeProgram. */
const SMALL_OUTPUT_MATMUL = 2;

/**
 * Makes the tests of the enclosing `describe` (or file) run tfjs-webgpu's matMul with its
 * small-output program while the backend is webgpu, and puts tfjs's own choice back afterwards. For
 * a product of at most 128 output elements tfjs picks MatMulReduceProgram, whose workgroup barriers
 * SwiftShader (the software WebGPU CI has) runs ~30× slower: Muon's Newton–Schulz iteration on a
 * 4×16 matrix took 200–320 ms a call instead of 30–90 ms for 16×16. Both programs compute the same
 * products.
 *
 * @example
 * ```ts
 * describe('muon', () => {
 *   smallOutputMatMul();
 *   it(...);
 * });
 * ```
 */
export function smallOutputMatMul(): void {
  let before: number | undefined;
  beforeAll(() => {
    if (tf.getBackend() !== 'webgpu') return;
    before = tf.env().getNumber(FLAG);
    tf.env().set(FLAG, SMALL_OUTPUT_MATMUL);
  });
  afterAll(() => {
    if (before !== undefined) tf.env().set(FLAG, before);
    before = undefined;
  });
}
