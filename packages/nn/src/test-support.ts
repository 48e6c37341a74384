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
