// Shared test scaffolding for the initializer tests (not part of the package's surface): sample
// statistics computed on the host in float64, the variance-law check, and error assertions.
import { HyperParameterError } from '@gradkit/core';
import { expectNoLeaks } from '@gradkit/testing';
import type * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';
import type { Initializer } from './types.js';

/** Sample statistics of a tensor's elements (float64, on the host). */
export interface Stats {
  readonly n: number;
  readonly mean: number;
  /** Population variance about the sample mean. */
  readonly variance: number;
  /** Mean of x² (the variance about 0). */
  readonly meanSquare: number;
  readonly min: number;
  readonly max: number;
}

/** Reads `t` (then disposes it) and returns its sample statistics. */
export async function statsOf(t: tf.Tensor): Promise<Stats> {
  const values = await t.data();
  t.dispose();
  let sum = 0;
  let sumSq = 0;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const v of values as Float32Array) {
    sum += v;
    sumSq += v * v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const n = values.length;
  const mean = sum / n;
  return { n, mean, variance: sumSq / n - mean * mean, meanSquare: sumSq / n, min, max };
}

/** Expects `actual` within `rel` (relative) of `expected`, with a message naming `what`. */
export function expectWithin(actual: number, expected: number, rel: number, what: string): void {
  expect(Math.abs(actual - expected), `${what}: ${actual} vs ${expected} (allowed ${rel * 100}%)`).toBeLessThanOrEqual(rel * Math.abs(expected));
}

/** Asserts that `fn` throws a HyperParameterError whose `field` is `field` (and whose message matches `says`, if given). */
export function expectHyperError(fn: () => unknown, field: string, says?: string | RegExp): void {
  let error: unknown;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  expect(error, `expected a HyperParameterError for ${field}`).toBeInstanceOf(HyperParameterError);
  expect((error as HyperParameterError).field).toBe(field);
  if (says !== undefined) expect((error as Error).message).toMatch(says);
}

/** A dense kernel [in, out] and a conv kernel [h, w, in, out], large enough for 5 % variance checks (≥ 70k elements). */
export const LAYOUTS: readonly { readonly what: string; readonly shape: readonly number[]; readonly fanIn: number; readonly fanOut: number }[] = [
  { what: 'dense [256, 512]', shape: [256, 512], fanIn: 256, fanOut: 512 },
  { what: 'conv [3, 3, 64, 128]', shape: [3, 3, 64, 128], fanIn: 576, fanOut: 1152 },
];

/** Reads a tensor's values as a plain array (then disposes it). */
export async function valuesOf(t: tf.Tensor): Promise<number[]> {
  const v = Array.from(await t.data());
  t.dispose();
  return v;
}

/** Shape and bad-input checks every initializer shares: rank 0, non-integer, zero, negative and NaN dimensions. */
export function expectShapeErrors(init: Initializer): void {
  for (const bad of [[], [2.5, 3], [0, 3], [-1, 3], [Number.NaN, 2]])
    expectHyperError(() => init(bad), 'shape', bad.length === 0 ? /rank 0/ : /positive integer/);
}

/** One call leaves exactly the returned tensor allocated (no intermediates). */
export async function expectOneTensor(init: Initializer, shape: readonly number[]): Promise<void> {
  const t = await expectNoLeaks(() => init(shape));
  expect(t.shape).toEqual([...shape]);
  expect(t.dtype).toBe('float32');
  t.dispose();
}
