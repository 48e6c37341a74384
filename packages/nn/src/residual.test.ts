import { paths, valueAndGrad } from '@gradkit/core';
import type { Initializer } from '@gradkit/initializers';
import { expectClose } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { act } from './act.js';
import { dense } from './dense.js';
import { residual } from './residual.js';
import { sequential } from './sequential.js';
import { affine, expectHyperError, variable } from './test-support.js';

const constant =
  (values: number[][] | number[]): Initializer =>
  (shape) =>
    tf.tensor(values.flat(), [...shape]);
const X = [
  [1, -2],
  [0.5, 3],
];
const W = [
  [0.5, -1],
  [2, 0.25],
];
const B = [0.1, -0.1];

describe('residual', () => {
  it('computes y = x + inner(x) (float64 reference) and keys parameters under inner', async () => {
    const block = residual(sequential(dense({ inFeatures: 2, outFeatures: 2, kernelInitializer: constant(W), biasInitializer: constant(B) }), act('relu')));
    expect(paths(block.params)).toEqual(['inner.0.kernel', 'inner.0.bias']);
    const fx = affine(X, W, B).map((r) => r.map((v) => Math.max(0, v)));
    const x = tf.tensor2d(X);
    const y = block.apply(x);
    await expectClose(
      y,
      X.map((r, i) => r.map((v, j) => v + (fx[i]?.[j] as number))),
    );
    tf.dispose([x, y]);
    block.dispose();
  });

  it('adds a projection of the skip path when the shape changes: y = P(x) + inner(x)', async () => {
    const P = [[1], [1]];
    const W2 = [[2], [-1]];
    const block = residual(dense({ inFeatures: 2, outFeatures: 1, kernelInitializer: constant(W2), useBias: false }), {
      projection: dense({ inFeatures: 2, outFeatures: 1, kernelInitializer: constant(P), useBias: false }),
    });
    expect(paths(block.params)).toEqual(['inner.kernel', 'projection.kernel']);
    const x = tf.tensor2d(X);
    const y = block.apply(x);
    const px = affine(X, P, null);
    const fx = affine(X, W2, null);
    await expectClose(
      y,
      px.map((r, i) => [(r[0] as number) + (fx[i]?.[0] as number)]),
    );
    // gradients: L = Σ y ⇒ ∂L/∂P = ∂L/∂W2 = xᵀ·1
    const { value, grads } = valueAndGrad((_: typeof block.params) => tf.sum(block.apply(x)))(block.params);
    const colSum = [[1 + 0.5], [-2 + 3]];
    await expectClose(grads.inner.kernel, colSum);
    await expectClose(grads.projection.kernel, colSum);
    tf.dispose([x, y, value, grads]);
    block.dispose();
  });

  it('propagates the gradient through the identity path: ∂L/∂x = 1 + ∂inner/∂x', async () => {
    // inner = x·W (no bias), L = Σ (x + x·W) ⇒ ∂L/∂x_j = 1 + Σ_k W[j][k]
    const block = residual(dense({ inFeatures: 2, outFeatures: 2, kernelInitializer: constant(W), useBias: false }));
    const x = variable(() => tf.tensor2d(X));
    const { value, grads } = valueAndGrad((p: { x: tf.Tensor }) => tf.sum(block.apply(p.x)))({ x });
    const row = W.map((r) => 1 + r.reduce((s, v) => s + v, 0));
    await expectClose(grads.x, [row, row]);
    tf.dispose([x, value, grads]);
    block.dispose();
  });

  it('refuses mismatched shapes with a message that suggests a projection, and bad arguments', () => {
    const block = residual(dense({ inFeatures: 2, outFeatures: 3, seed: 1 }));
    const x = tf.tensor2d(X);
    const before = tf.memory().numTensors;
    expect(() => block.apply(x)).toThrow(/projection/);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    block.dispose();
    expectHyperError(() => residual(null as never), 'inner');
    expectHyperError(() => residual(act('relu'), { projection: 'dense' as never }), 'projection');
  });
});
