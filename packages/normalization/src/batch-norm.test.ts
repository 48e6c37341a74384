import { HyperParameterError, ValueError } from '@gradkit/core';
import { expectClose, expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { batchNorm } from './batch-norm.js';
import { expectFiniteDifferences, expectMatchesReference, expectSameGradsAsAutograd, expectTypedError, type NormFn } from './norm-test-kit.js';
import { batchLayout } from './test-kit.js';

// Reference: torch.nn.functional.batch_norm(x, None, None, weight, bias, training=True, eps=eps) on
// channels-last input (test-kit.ts refForward/refBackward with batchLayout: statistics per channel
// over every other axis, biased variance).
const EPS = 1e-5;
const bn: NormFn = (x, g, b) => batchNorm(x, g, b, { epsilon: EPS });

/** Autograd of the textbook formula, for comparison with the closed-form backward. */
const naive: NormFn = (x, g, b) => {
  const axes = [...Array(x.rank - 1).keys()];
  const { mean, variance } = tf.moments(x, axes, true);
  const xhat = tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, EPS)));
  return tf.add(tf.mul(xhat, g ?? 1), b ?? 0);
};

const CASES = [
  { what: '[N, C] = [6, 4]', shape: [6, 4], paramShape: [4] },
  { what: '[N, H, W, C] = [2, 3, 2, 3]', shape: [2, 3, 2, 3], paramShape: [3] },
];

describe('batchNorm (torch.nn.functional.batch_norm, training=True, channels last)', () => {
  it('matches a hand-worked example: x = [1, 3] on one feature, γ = 2, β = 0.5', async () => {
    // mean 2, biased variance 1 → x̂ = ±1/√(1 + 1e-5), y = 0.5 ± 2/√(1.00001)
    const [x, g, b] = [tf.tensor2d([[1], [3]]), tf.tensor1d([2]), tf.tensor1d([0.5])];
    const y = batchNorm(x, g, b);
    const s = 2 / Math.sqrt(1.00001);
    await expectClose(y, [[0.5 - s], [0.5 + s]]);
    tf.dispose([x, g, b, y]);
  });

  for (const c of CASES) {
    for (const [affine, withGamma, withBeta] of [
      ['γ and β', true, true],
      ['no affine', false, false],
    ] as const) {
      it(`${c.what}, ${affine}: forward and gradients (x, γ, β via valueAndGrad) match the float64 reference; the reference matches finite differences`, async () => {
        await expectMatchesReference(bn, { ...c, layout: batchLayout(c.shape), eps: EPS, withGamma, withBeta });
      });
    }
    it(`${c.what}: the closed-form backward equals autograd of the naive formula`, async () => {
      await expectSameGradsAsAutograd(bn, naive, { ...c, layout: batchLayout(c.shape), eps: EPS });
    });
  }

  it('its gradient matches float32 finite differences of itself', async () => {
    await expectFiniteDifferences(bn, { shape: [4, 3], paramShape: [3], layout: batchLayout([4, 3]), eps: EPS });
  });

  it('keeps one x-sized buffer on the gradient tape (x̂) where autograd of the naive formula keeps three', async () => {
    const x = tf.tensor(
      Array.from({ length: 24 }, (_, i) => Math.sin(i)),
      [6, 4],
    );
    const g = tf.ones([4]);
    const b = tf.zeros([4]);
    const savedBuffers = (f: NormFn) => {
      let count = 0;
      const { value, grads } = tf.engine().gradients(() => {
        const y = tf.sum(tf.square(f(x, g, b)));
        const tape = (tf.engine() as unknown as { state: { activeTape: { saved?: tf.Tensor[] }[] } }).state.activeTape;
        count = new Set(
          tape
            .flatMap((n) => n.saved ?? [])
            .filter((t) => t.size === x.size && t.dataId !== x.dataId)
            .map((t) => t.dataId),
        ).size;
        return y as tf.Scalar;
      }, [x, g, b]);
      tf.dispose([value, ...grads]);
      return count;
    };
    // Beyond what the affine part and the loss save (x·γ + β, then Σ(·)²), which is the same for both.
    const baseline = savedBuffers((x, g, b) => tf.add(tf.mul(x, g ?? 1), b ?? 0));
    expect(savedBuffers(bn) - baseline).toBe(1);
    expect(savedBuffers(naive) - baseline).toBeGreaterThanOrEqual(3);
    tf.dispose([x, g, b]);
  });

  it('leaks no tensors, inside and outside a gradient tape', async () => {
    const x = tf.randomNormal([8, 5], 0, 1, 'float32', 1);
    const g = tf.ones([5]);
    await expectNoLeaks(() => {
      for (let i = 0; i < 20; i++) {
        batchNorm(x, g, null).dispose();
        const grads = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(batchNorm(a, b))))([x, g]);
        tf.dispose(grads);
      }
    });
    tf.dispose([x, g]);
  });

  describe('bad input gets a typed error naming the argument', () => {
    const x = () => tf.zeros([4, 3]);
    const cases: [string, () => unknown, typeof HyperParameterError | typeof ValueError, string][] = [
      ['gamma of the wrong length', () => batchNorm(x(), tf.ones([2])), HyperParameterError, 'gamma'],
      ['beta of the wrong length', () => batchNorm(x(), tf.ones([3]), tf.zeros([4])), HyperParameterError, 'beta'],
      ['gamma of rank 2', () => batchNorm(x(), tf.ones([1, 3])), HyperParameterError, 'gamma'],
      ['gamma not a tensor', () => batchNorm(x(), [1, 1, 1] as unknown as tf.Tensor), HyperParameterError, 'gamma'],
      ['epsilon 0', () => batchNorm(x(), null, null, { epsilon: 0 }), HyperParameterError, 'epsilon'],
      ['epsilon < 0', () => batchNorm(x(), null, null, { epsilon: -1e-5 }), HyperParameterError, 'epsilon'],
      ['epsilon NaN', () => batchNorm(x(), null, null, { epsilon: Number.NaN }), HyperParameterError, 'epsilon'],
      ['x of rank 1 (no batch axis)', () => batchNorm(tf.zeros([3])), ValueError, 'x'],
      ['one value per feature', () => batchNorm(tf.zeros([1, 3])), ValueError, 'x'],
      ['x int32', () => batchNorm(tf.zeros([4, 3], 'int32')), ValueError, 'x'],
      ['x not a tensor', () => batchNorm([[1], [2]] as unknown as tf.Tensor), ValueError, 'x'],
    ];
    for (const [what, run, type, field] of cases) it(what, () => expectTypedError(run, type, field));
  });
});
