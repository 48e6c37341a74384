// Test support (not exported): the PyTorch reference numbers of packages/nn/fixtures/attention.py.
import { readFileSync } from 'node:fs';
import { flatten, type ParamTree } from '@gradkit/core';
import { type CloseOptions, expectClose } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';

/** Nested number arrays keyed like a parameter tree. */
export type NumberTree = { readonly [key: string]: NumberTree | number[] | number[][] };

/** One reference case: input, upstream gradient, mapped weights, output and gradients. */
export interface AttentionCase {
  readonly causal: boolean;
  /** key_padding_mask as bool rows, or null. */
  readonly padding: boolean[][] | null;
  readonly useBias?: boolean;
  readonly norm?: 'pre' | 'post';
  readonly normalization?: 'layerNorm' | 'rmsNorm';
  readonly x: number[][][];
  readonly upstream: number[][][];
  readonly params: NumberTree;
  readonly y: number[][][];
  readonly probs?: number[][][][];
  readonly grads: { readonly x: number[][][]; readonly params: NumberTree };
}

/** The fixture file: sizes, and the attention and block cases by name. */
export interface AttentionFixture {
  readonly source: string;
  readonly sizes: { readonly batch: number; readonly time: number; readonly embedDim: number; readonly numHeads: number; readonly ffnDim: number };
  readonly attention: Record<string, AttentionCase>;
  readonly block: Record<string, AttentionCase>;
}

export const fixture: AttentionFixture = JSON.parse(readFileSync(new URL('../../fixtures/attention.json', import.meta.url), 'utf8'));

/** The leaf of `tree` at a dotted `path`. */
export function leafAt(tree: NumberTree, path: string): number[] | number[][] {
  return path.split('.').reduce<unknown>((t, k) => (t as NumberTree)[k], tree) as number[] | number[][];
}

/** The dotted paths of a number tree's leaves (its arrays). */
function leafPaths(tree: NumberTree, prefix = ''): string[] {
  return Object.entries(tree).flatMap(([k, v]) => (Array.isArray(v) ? [`${prefix}${k}`] : leafPaths(v as NumberTree, `${prefix}${k}.`)));
}

/** Assigns every variable of `params` the reference value at its path (the trees must match exactly). */
export function assignParams(params: ParamTree, values: NumberTree): void {
  const paths = flatten(params).map((e) => e.path);
  const expected = leafPaths(values);
  if ([...paths].sort().join() !== [...expected].sort().join())
    throw new Error(`parameter paths ${paths.join()} do not match the fixture's ${expected.join()}`);
  for (const { path, value } of flatten(params)) {
    const t = tf.tensor(leafAt(values, path));
    (value as tf.Variable).assign(t);
    t.dispose();
  }
}

/** Compares every leaf of a gradient tree with the reference at its path. */
export async function expectTreeClose(actual: ParamTree, expected: NumberTree, tolerance: CloseOptions): Promise<void> {
  for (const { path, value } of flatten(actual)) await expectClose(value as tf.Tensor, leafAt(expected, path), { ...tolerance, what: path });
}

/** Disposes every tensor in `things` (gradient trees, tap records, tensors, undefined). */
export function release(...things: unknown[]): void {
  tf.dispose(things as tf.TensorContainer);
}

/** max |a − b| over every element. */
export async function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): Promise<number> {
  const d = tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))));
  const [v] = await d.data();
  d.dispose();
  return v as number;
}
