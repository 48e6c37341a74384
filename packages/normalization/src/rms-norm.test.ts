import { HyperParameterError, ValueError } from '@gradkit/core';
import { expectClose, expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, it } from 'vitest';
import { expectFiniteDifferences, expectMatchesReference, expectSameGradsAsAutograd, expectTypedError, type NormFn } from './norm-test-kit.js';
import { rmsNorm } from './rms-norm.js';
import { trailingLayout } from './test-kit.js';

// Reference: torch.nn.RMSNorm / torch.nn.functional.rms_norm: y = x * rsqrt(mean(x², normalized dims) + eps) * weight
// (test-kit.ts refForward/refBackward with rms = true).
const EPS = 1e-6;

/** Autograd of the textbook formula over the last k axes. */
const naive =
  (k: number): NormFn =>
  (x, g) => {
    const axes = [...Array(k).keys()].map((i) => x.rank - k + i);
    return tf.mul(tf.div(x, tf.sqrt(tf.add(tf.mean(tf.square(x), axes, true), EPS))), g ?? 1);
  };

const CASES = [
  { what: '[N, C] = [5, 6]', shape: [5, 6], paramShape: [6], k: 1 },
  { what: '[N, H, W, C] = [2, 2, 3, 4], last axis', shape: [2, 2, 3, 4], paramShape: [4], k: 1 },
  { what: '[N, T, C] = [2, 3, 4], normalizedShape [3, 4]', shape: [2, 3, 4], paramShape: [3, 4], k: 2 },
];

describe('rmsNorm (torch.nn.RMSNorm)', () => {
  it('matches a hand-worked example: [3, 4] → [3, 4]/√(12.5 + 1e-6)', async () => {
    const x = tf.tensor2d([[3, 4]]);
    const y = rmsNorm(x);
    const r = Math.sqrt(12.5 + 1e-6);
    await expectClose(y, [[3 / r, 4 / r]]);
    tf.dispose([x, y]);
  });

  for (const c of CASES) {
    const rn: NormFn = (x, g) => rmsNorm(x, g, { epsilon: EPS, normalizedShape: c.paramShape });
    for (const [affine, withGamma] of [
      ['γ', true],
      ['no affine', false],
    ] as const) {
      it(`${c.what}, ${affine}: forward and gradients (x, γ via valueAndGrad) match the float64 reference; the reference matches finite differences`, async () => {
        await expectMatchesReference(rn, { ...c, layout: trailingLayout(c.shape, c.k), eps: EPS, rms: true, withGamma });
      });
    }
    it(`${c.what}: the closed-form backward equals autograd of the naive formula`, async () => {
      await expectSameGradsAsAutograd(rn, naive(c.k), { ...c, layout: trailingLayout(c.shape, c.k), eps: EPS, rms: true });
    });
  }

  it('its gradient matches float32 finite differences of itself', async () => {
    await expectFiniteDifferences((x, g) => rmsNorm(x, g), { shape: [3, 4], paramShape: [4], layout: trailingLayout([3, 4]), eps: EPS, rms: true });
  });

  it('leaks no tensors, inside and outside a gradient tape', async () => {
    const x = tf.randomNormal([4, 6], 0, 1, 'float32', 3);
    const g = tf.ones([6]);
    await expectNoLeaks(() => {
      for (let i = 0; i < 20; i++) {
        rmsNorm(x, g).dispose();
        tf.dispose(tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(rmsNorm(a, b))))([x, g]));
      }
    });
    tf.dispose([x, g]);
  });

  describe('bad input gets a typed error naming the argument', () => {
    const x = () => tf.zeros([4, 3]);
    const cases: [string, () => unknown, typeof HyperParameterError | typeof ValueError, string][] = [
      ['gamma of the wrong length', () => rmsNorm(x(), tf.ones([4])), HyperParameterError, 'gamma'],
      ['normalizedShape not the trailing axes', () => rmsNorm(x(), null, { normalizedShape: 4 }), HyperParameterError, 'normalizedShape'],
      ['epsilon 0', () => rmsNorm(x(), null, { epsilon: 0 }), HyperParameterError, 'epsilon'],
      ['epsilon a string', () => rmsNorm(x(), null, { epsilon: '1e-6' as unknown as number }), HyperParameterError, 'epsilon'],
      ['x int32', () => rmsNorm(tf.zeros([4, 3], 'int32')), ValueError, 'x'],
    ];
    for (const [what, run, type, field] of cases) it(what, () => expectTypedError(run, type, field));
  });
});
