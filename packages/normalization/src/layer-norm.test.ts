import { HyperParameterError, ValueError } from '@gradkit/core';
import { expectClose, expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, it } from 'vitest';
import { layerNorm } from './layer-norm.js';
import { expectFiniteDifferences, expectMatchesReference, expectSameGradsAsAutograd, expectTypedError, type NormFn } from './norm-test-kit.js';
import { trailingLayout } from './test-kit.js';

// Reference: torch.nn.functional.layer_norm(x, normalized_shape, weight, bias, eps) (test-kit.ts
// refForward/refBackward with trailingLayout: statistics per sample over the trailing axes, biased variance).
const EPS = 1e-5;

/** Autograd of the textbook formula over the last k axes. */
const naive =
  (k: number): NormFn =>
  (x, g, b) => {
    const axes = [...Array(k).keys()].map((i) => x.rank - k + i);
    const { mean, variance } = tf.moments(x, axes, true);
    return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, EPS))), g ?? 1), b ?? 0);
  };

const CASES = [
  { what: '[N, C] = [5, 6]', shape: [5, 6], paramShape: [6], k: 1 },
  { what: '[N, H, W, C] = [2, 2, 3, 4], last axis', shape: [2, 2, 3, 4], paramShape: [4], k: 1 },
  { what: '[N, T, C] = [2, 3, 4], normalizedShape [3, 4]', shape: [2, 3, 4], paramShape: [3, 4], k: 2 },
];

describe('layerNorm (torch.nn.functional.layer_norm)', () => {
  it('matches a hand-worked example: [1, 3] → ±1/√(1 + 1e-5), [2, 2, 2] → 0', async () => {
    const [a, b] = [tf.tensor2d([[1, 3]]), tf.tensor2d([[2, 2, 2]])];
    const s = 1 / Math.sqrt(1.00001);
    const [ya, yb] = [layerNorm(a), layerNorm(b)];
    await expectClose(ya, [[-s, s]]);
    await expectClose(yb, [[0, 0, 0]]);
    tf.dispose([a, b, ya, yb]);
  });

  for (const c of CASES) {
    const ln: NormFn = (x, g, b) => layerNorm(x, g, b, { epsilon: EPS, normalizedShape: c.paramShape });
    for (const [affine, withGamma, withBeta] of [
      ['γ and β', true, true],
      ['γ only', true, false],
      ['no affine', false, false],
    ] as const) {
      it(`${c.what}, ${affine}: forward and gradients (x, γ, β via valueAndGrad) match the float64 reference; the reference matches finite differences`, async () => {
        await expectMatchesReference(ln, { ...c, layout: trailingLayout(c.shape, c.k), eps: EPS, withGamma, withBeta });
      });
    }
    it(`${c.what}: the closed-form backward equals autograd of the naive formula`, async () => {
      await expectSameGradsAsAutograd(ln, naive(c.k), { ...c, layout: trailingLayout(c.shape, c.k), eps: EPS });
    });
  }

  it('infers the normalized shape from gamma (two trailing axes)', async () => {
    const c = CASES[2] as (typeof CASES)[number];
    await expectMatchesReference((x, g, b) => layerNorm(x, g, b), { ...c, layout: trailingLayout(c.shape, 2), eps: 1e-5 });
  });

  it('its gradient matches float32 finite differences of itself', async () => {
    await expectFiniteDifferences((x, g, b) => layerNorm(x, g, b), { shape: [3, 4], paramShape: [4], layout: trailingLayout([3, 4]), eps: EPS });
  });

  it('leaks no tensors, inside and outside a gradient tape', async () => {
    const x = tf.randomNormal([4, 6], 0, 1, 'float32', 2);
    const g = tf.ones([6]);
    await expectNoLeaks(() => {
      for (let i = 0; i < 20; i++) {
        layerNorm(x, g, g).dispose();
        tf.dispose(tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(layerNorm(a, b))))([x, g]));
      }
    });
    tf.dispose([x, g]);
  });

  describe('bad input gets a typed error naming the argument', () => {
    const x = () => tf.zeros([4, 3]);
    const cases: [string, () => unknown, typeof HyperParameterError | typeof ValueError, string][] = [
      ['gamma of the wrong length', () => layerNorm(x(), tf.ones([2])), HyperParameterError, 'gamma'],
      ['beta of the wrong length', () => layerNorm(x(), tf.ones([3]), tf.zeros([4])), HyperParameterError, 'beta'],
      ['beta alone of the wrong length', () => layerNorm(x(), null, tf.zeros([4])), HyperParameterError, 'beta'],
      ['gamma of more axes than x', () => layerNorm(x(), tf.ones([2, 4, 3])), HyperParameterError, 'gamma'],
      ['normalizedShape not the trailing axes', () => layerNorm(x(), null, null, { normalizedShape: [4] }), HyperParameterError, 'normalizedShape'],
      ['normalizedShape empty', () => layerNorm(x(), null, null, { normalizedShape: [] }), HyperParameterError, 'normalizedShape'],
      ['normalizedShape not integers', () => layerNorm(x(), null, null, { normalizedShape: [1.5] }), HyperParameterError, 'normalizedShape'],
      ['gamma not of normalizedShape', () => layerNorm(tf.zeros([2, 4, 3]), tf.ones([3]), null, { normalizedShape: [4, 3] }), HyperParameterError, 'gamma'],
      ['epsilon 0', () => layerNorm(x(), null, null, { epsilon: 0 }), HyperParameterError, 'epsilon'],
      ['epsilon < 0', () => layerNorm(x(), null, null, { epsilon: -1 }), HyperParameterError, 'epsilon'],
      ['x int32', () => layerNorm(tf.zeros([4, 3], 'int32')), ValueError, 'x'],
      ['x a scalar', () => layerNorm(tf.scalar(1)), ValueError, 'x'],
    ];
    for (const [what, run, type, field] of cases) it(what, () => expectTypedError(run, type, field));
  });
});
