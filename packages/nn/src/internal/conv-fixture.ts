// Test support: the PyTorch reference numbers of packages/nn/fixtures/conv.json (written by
// packages/nn/fixtures/conv.py, which documents the layout mapping) and a check of a module's output
// and gradients against them. Not exported by the package.
import { readFileSync } from 'node:fs';
import { type Module, valueAndGrad } from '@gradkit/core';
import type { Initializer } from '@gradkit/initializers';
import { backendTolerance, expectClose, type NestedNumbers } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';

type Nested = NestedNumbers;

/** One convolution case: options, input, weights in gradkit's layout, output, loss weights r and gradients of Σ y·r. */
export interface ConvCase {
  readonly name: string;
  readonly options: Record<string, unknown>;
  readonly x: Nested;
  readonly kernel: Nested;
  readonly bias: Nested;
  readonly y: Nested;
  readonly r: Nested;
  readonly dx: Nested;
  readonly dkernel: Nested;
  readonly dbias: Nested;
}

/** One pooling case. */
export interface PoolCase {
  readonly name: string;
  readonly kind: 'max' | 'avg';
  readonly options: Record<string, unknown>;
  readonly x: Nested;
  readonly y: Nested;
  readonly r: Nested;
  readonly dx: Nested;
}

/** The embedding case. */
export interface EmbeddingCase {
  readonly indices: number[][];
  readonly table: Nested;
  readonly y: Nested;
  readonly r: Nested;
  readonly dtable: Nested;
}

/** The whole fixture. */
export const torchReference = JSON.parse(readFileSync(new URL('../../fixtures/conv.json', import.meta.url), 'utf8')) as {
  readonly source: string;
  readonly conv2d: readonly ConvCase[];
  readonly conv1d: readonly ConvCase[];
  readonly pool: readonly PoolCase[];
  readonly embedding: EmbeddingCase;
};

/** A tensor of nested numbers (float32). */
export const tensorOf = (values: Nested): tf.Tensor => tf.tensor(values as number[]);

/** An initializer that returns `values` (checked against the requested shape by the module). */
export const initFrom =
  (values: Nested): Initializer =>
  (shape) =>
    tf.tidy(() => tf.reshape(tensorOf(values), [...shape]));

/** float32 against float64 references over sums of tens of terms: 1e-4 (webgpu 5e-4). */
export const torchTolerance = () => backendTolerance({ cpu: { rtol: 1e-4, atol: 1e-4 }, wasm: { rtol: 1e-4, atol: 1e-4 }, webgpu: { rtol: 5e-4, atol: 5e-4 } });

/**
 * Applies `module` to `x`, then checks y and the gradients of L = Σ y·r with respect to x and each
 * parameter named in `expected` against the reference.
 */
export async function expectMatchesTorch(
  module: Module,
  c: { x: Nested; y: Nested; r: Nested; dx: Nested },
  expectedParams: Record<string, Nested>,
  what: string,
): Promise<void> {
  const x = tensorOf(c.x);
  const r = tensorOf(c.r);
  const tol = torchTolerance();
  const y = module.apply(x);
  await expectClose(y, c.y, { ...tol, what: `${what}: y` });
  const params = module.params as Record<string, tf.Tensor>;
  const { value, grads } = valueAndGrad((p: { x: tf.Tensor }) => tf.sum(tf.mul(module.apply(p.x), r)))({ x, ...params });
  const g = grads as Record<string, tf.Tensor>;
  await expectClose(g.x as tf.Tensor, c.dx, { ...tol, what: `${what}: dL/dx` });
  for (const [name, expected] of Object.entries(expectedParams)) await expectClose(g[name] as tf.Tensor, expected, { ...tol, what: `${what}: dL/d${name}` });
  tf.dispose([x, r, y, value, grads as never]);
}
