import { HyperParameterError, ValueError } from '@gradkit/core';
import { expectClose, expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, it } from 'vitest';
import { batchNorm } from './batch-norm.js';
import { groupNorm } from './group-norm.js';
import { layerNorm } from './layer-norm.js';
import { expectFiniteDifferences, expectMatchesReference, expectSameGradsAsAutograd, expectTypedError, type NormFn } from './norm-test-kit.js';
import { groupLayout } from './test-kit.js';

// Reference: torch.nn.functional.group_norm(x, num_groups, weight, bias, eps) on channels-last input
// (test-kit.ts refForward/refBackward with groupLayout: statistics per sample and group of C/G
// consecutive channels over the spatial axes, biased variance; gamma/beta per channel).
const EPS = 1e-5;

/** Autograd of the textbook formula. */
const naive =
  (groups: number): NormFn =>
  (x, g, b) => {
    const c = x.shape[x.rank - 1] as number;
    const r = tf.reshape(x, [x.shape[0] as number, -1, groups, c / groups]);
    const { mean, variance } = tf.moments(r, [1, 3], true);
    const xhat = tf.reshape(tf.div(tf.sub(r, mean), tf.sqrt(tf.add(variance, EPS))), x.shape);
    return tf.add(tf.mul(xhat, g ?? 1), b ?? 0);
  };

const CASES = [
  { what: '[N, C] = [3, 6], 3 groups', shape: [3, 6], paramShape: [6], groups: 3 },
  { what: '[N, H, W, C] = [2, 3, 2, 4], 2 groups', shape: [2, 3, 2, 4], paramShape: [4], groups: 2 },
  { what: '[N, H, W, C] = [2, 2, 2, 4], 4 groups (instance norm)', shape: [2, 2, 2, 4], paramShape: [4], groups: 4 },
];

describe('groupNorm (torch.nn.functional.group_norm, channels last)', () => {
  for (const c of CASES) {
    const gn: NormFn = (x, g, b) => groupNorm(x, c.groups, g, b, { epsilon: EPS });
    for (const [affine, withGamma, withBeta] of [
      ['γ and β', true, true],
      ['no affine', false, false],
    ] as const) {
      it(`${c.what}, ${affine}: forward and gradients (x, γ, β via valueAndGrad) match the float64 reference; the reference matches finite differences`, async () => {
        await expectMatchesReference(gn, { ...c, layout: groupLayout(c.shape, c.groups), eps: EPS, withGamma, withBeta });
      });
    }
    it(`${c.what}: the closed-form backward equals autograd of the naive formula`, async () => {
      await expectSameGradsAsAutograd(gn, naive(c.groups), { ...c, layout: groupLayout(c.shape, c.groups), eps: EPS });
    });
  }

  it('with one group equals layer norm over all non-batch axes, and per-sample batch norm of one sample per channel group', async () => {
    const x = tf.randomNormal([2, 3, 4], 0, 2, 'float32', 4);
    const [g1, ln] = [groupNorm(x, 1), layerNorm(x, null, null, { normalizedShape: [3, 4] })];
    await expectClose(g1, ln);
    // groups = channels on one sample is batch norm over the spatial axes of that sample.
    const one = tf.slice(x, [0, 0, 0], [1, 3, 4]);
    const [gi, bi] = [groupNorm(one, 4), batchNorm(one)];
    await expectClose(gi, bi);
    tf.dispose([x, g1, ln, one, gi, bi]);
  });

  it('its gradient matches float32 finite differences of itself', async () => {
    await expectFiniteDifferences((x, g, b) => groupNorm(x, 2, g, b), { shape: [2, 2, 4], paramShape: [4], layout: groupLayout([2, 2, 4], 2), eps: EPS });
  });

  it('leaks no tensors, inside and outside a gradient tape', async () => {
    const x = tf.randomNormal([2, 3, 4], 0, 1, 'float32', 5);
    const g = tf.ones([4]);
    await expectNoLeaks(() => {
      for (let i = 0; i < 20; i++) {
        groupNorm(x, 2, g, g).dispose();
        tf.dispose(tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(groupNorm(a, 2, b))))([x, g]));
      }
    });
    tf.dispose([x, g]);
  });

  describe('bad input gets a typed error naming the argument', () => {
    const x = () => tf.zeros([2, 6]);
    const cases: [string, () => unknown, typeof HyperParameterError | typeof ValueError, string][] = [
      ['groups not dividing the channels', () => groupNorm(x(), 4), HyperParameterError, 'groups'],
      ['groups 0', () => groupNorm(x(), 0), HyperParameterError, 'groups'],
      ['groups not an integer', () => groupNorm(x(), 1.5), HyperParameterError, 'groups'],
      ['groups more than the channels', () => groupNorm(x(), 12), HyperParameterError, 'groups'],
      ['gamma of the wrong length', () => groupNorm(x(), 2, tf.ones([3])), HyperParameterError, 'gamma'],
      ['beta of the wrong length', () => groupNorm(x(), 2, null, tf.ones([2, 6])), HyperParameterError, 'beta'],
      ['epsilon 0', () => groupNorm(x(), 2, null, null, { epsilon: 0 }), HyperParameterError, 'epsilon'],
      ['x of rank 1 (no batch axis)', () => groupNorm(tf.zeros([6]), 2), ValueError, 'x'],
    ];
    for (const [what, run, type, field] of cases) it(what, () => expectTypedError(run, type, field));
  });
});
