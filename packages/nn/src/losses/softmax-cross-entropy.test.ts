import { ValueError, valueAndGrad } from '@gradkit/core';
import { backendTolerance, currentBackend, expectClose, expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { binaryCrossEntropyWithLogits } from './binary-cross-entropy-with-logits.js';
import { meanSquaredError } from './mean-squared-error.js';
import { crossEntropyOf, softmaxCrossEntropy } from './softmax-cross-entropy.js';
import { torchCases } from './torch-fixture.js';

// Gradients sum terms of both signs (softmax − target, scaled by upstream weights ≤ 1.5).
const gradTol = () => backendTolerance({ cpu: { atol: 2e-6 }, wasm: { atol: 2e-6 } });

/** The error `f` throws. */
const thrown = (f: () => unknown): unknown => {
  try {
    tf.tidy(() => void f());
  } catch (e) {
    return e;
  }
  return undefined;
};

describe('softmaxCrossEntropy (torch.nn.functional.cross_entropy)', () => {
  for (const c of torchCases.crossEntropy) {
    const floatLabels = c.gradLabels !== undefined;
    it(`matches PyTorch: ${c.name} (loss, ∂/∂logits${floatLabels ? ', ∂/∂labels' : ''})`, async () => {
      const logits = tf.tensor(c.logits);
      const labels = tf.tensor(c.labels as number[], undefined, floatLabels ? 'float32' : 'int32');
      const up = tf.tensor(c.upstream as number[]);
      const options = { labelSmoothing: c.labelSmoothing, reduction: c.reduction };
      const loss = softmaxCrossEntropy(logits, labels, options);
      await expectClose(loss, c.loss as number[], { ...backendTolerance(), what: 'loss' });
      if (floatLabels) {
        const { value, grads } = valueAndGrad((p: { x: tf.Tensor; t: tf.Tensor }) => tf.sum(tf.mul(up, softmaxCrossEntropy(p.x, p.t, options))))({
          x: logits,
          t: labels,
        });
        await expectClose(grads.x, c.gradLogits as number[], { ...gradTol(), what: '∂/∂logits' });
        await expectClose(grads.t, c.gradLabels as number[], { ...gradTol(), what: '∂/∂labels' });
        tf.dispose([value, grads.x, grads.t]);
      } else {
        const { value, grads } = valueAndGrad((p: { x: tf.Tensor }) => tf.sum(tf.mul(up, softmaxCrossEntropy(p.x, labels, options))))({ x: logits });
        await expectClose(grads.x, c.gradLogits as number[], { ...gradTol(), what: '∂/∂logits' });
        tf.dispose([value, grads.x]);
      }
      tf.dispose([logits, labels, up, loss]);
    });
  }

  it('is −mean log softmax(x)[label], worked by hand, and agrees with tf.losses.softmaxCrossEntropy on one-hot labels', async () => {
    const rows = [
      [2, 0.5, -1],
      [0, 3, 0],
    ];
    const lse = (r: number[]) => Math.log(r.reduce((s, v) => s + Math.exp(v), 0));
    const expected = (lse(rows[0]!) - 2 + lse(rows[1]!) - 3) / 2;
    const logits = tf.tensor2d(rows);
    const labels = tf.tensor1d([0, 1], 'int32');
    const oneHot = tf.tidy(() => tf.cast(tf.oneHot(labels, 3), 'float32'));
    const ours = softmaxCrossEntropy(logits, labels);
    const theirs = tf.losses.softmaxCrossEntropy(oneHot, logits);
    await expectClose(ours, expected);
    await expectClose(theirs, expected);
    tf.dispose([logits, labels, oneHot, ours, theirs]);
  });

  it('takes class indices of any leading shape ([batch, time]) and equals the flattened [batch·time] loss', async () => {
    const logits = tf.tensor3d([
      [
        [1, 2, 0],
        [0, 0, 5],
      ],
      [
        [-1, 4, 2],
        [3, 3, 3],
      ],
    ]);
    const labels = tf.tensor2d(
      [
        [1, 2],
        [0, 2],
      ],
      [2, 2],
      'int32',
    );
    const seq = softmaxCrossEntropy(logits, labels, { labelSmoothing: 0.1 });
    const flatLogits = tf.reshape(logits, [4, 3]);
    const flatLabels = tf.reshape(labels, [4]);
    const flat = softmaxCrossEntropy(flatLogits, flatLabels, { labelSmoothing: 0.1 });
    await expectClose(seq, flat, { rtol: 1e-6, atol: 0 });
    const perPosition = softmaxCrossEntropy(logits, labels, { reduction: 'none' });
    expect(perPosition.shape).toEqual([2, 2]);
    tf.dispose([logits, labels, seq, flatLogits, flatLabels, flat, perPosition]);
  });

  it('stays finite for logits of ±1e30 (a naive exp overflows) and its gradient is softmax − onehot', async () => {
    const logits = tf.tensor2d([[1e30, -1e30, 0]]);
    const labels = tf.tensor1d([0], 'int32');
    const { value, grads } = valueAndGrad((p: { x: tf.Tensor }) => softmaxCrossEntropy(p.x, labels))({ x: logits });
    await expectClose(value, 0);
    await expectClose(grads.x, [[0, 0, 0]]);
    const wrong = tf.tensor1d([1], 'int32');
    const big = softmaxCrossEntropy(logits, wrong);
    await expectClose(big, 2e30);
    tf.dispose([logits, labels, value, grads.x, wrong, big]);
  });

  describe('class indices out of range', () => {
    const logits = () =>
      tf.tensor2d([
        [1, 2, 3],
        [0, 1, 0],
        [2, 2, 2],
      ]);

    it('throws a ValueError naming labels and the position, before computing, where the labels can be read (cpu, wasm; webgpu when still on the CPU side)', async () => {
      const x = logits();
      const labels = tf.tensor2d([[0], [3], [1]], [3, 1], 'int32');
      const flat = tf.reshape(labels, [3]);
      const e = thrown(() => softmaxCrossEntropy(x, currentBackend() === 'webgpu' ? tf.tensor1d([0, 3, 1], 'int32') : flat));
      expect(e).toBeInstanceOf(ValueError);
      expect((e as ValueError).what).toBe('labels');
      expect((e as Error).message).toMatch(/labels\[1\] = 3 is out of range.*\[0, 3\)/);
      const negative = thrown(() => softmaxCrossEntropy(x, tf.tensor1d([0, 1, -100], 'int32')));
      expect((negative as Error).message).toMatch(/labels\[2\] = -100.*ignore_index/);
      const seq = thrown(() =>
        softmaxCrossEntropy(
          tf.zeros([2, 2, 4]),
          tf.tensor2d(
            [
              [0, 1],
              [2, 4],
            ],
            [2, 2],
            'int32',
          ),
        ),
      );
      expect((seq as Error).message).toMatch(/labels\[1, 1\] = 4/);
      tf.dispose([x, labels, flat]);
    });

    it('gives NaN loss and NaN gradient rows where the labels could not be checked (the path of GPU-resident labels)', async () => {
      const x = logits();
      const bad = tf.tensor1d([0, 3, 1], 'int32');
      const good = tf.tensor1d([0, 2, 1], 'int32');
      const lossOf = (labels: tf.Tensor) => valueAndGrad((p: { x: tf.Tensor }) => crossEntropyOf(p.x, labels, 0.1, 'mean', false))({ x });
      const b = lossOf(bad);
      const g = lossOf(good);
      expect(Number.isNaN((await b.value.data())[0])).toBe(true);
      const gb = (await b.grads.x.array()) as number[][];
      const gg = (await g.grads.x.array()) as number[][];
      expect(gb[1]!.every(Number.isNaN)).toBe(true);
      await expectClose([gb[0]!, gb[2]!], [gg[0]!, gg[2]!]);
      const checked = softmaxCrossEntropy(x, good, { labelSmoothing: 0.1 });
      await expectClose(g.value, checked);
      tf.dispose([x, bad, good, b.value, b.grads.x, g.value, g.grads.x, checked]);
    });

    it('on webgpu, labels computed on the GPU are not read synchronously: out of range gives NaN; read once with data(), they are checked', async () => {
      if (currentBackend() !== 'webgpu') return;
      // 2048 labels: above WEBGPU_CPU_HANDOFF_SIZE_THRESHOLD (1000), tf.add runs on the GPU, so its output has no CPU-side copy.
      const n = 2048;
      const x = tf.zeros([n, 3]);
      const fromJs = tf.tensor1d(
        Array.from({ length: n }, (_, i) => (i === 700 ? 3 : i % 3)),
        'int32',
      );
      const zero = tf.scalar(0, 'int32');
      const onGpu = tf.add(fromJs, zero);
      const loss = softmaxCrossEntropy(x, onGpu);
      expect(Number.isNaN((await loss.data())[0])).toBe(true);
      await onGpu.data(); // tfjs keeps the values it read on the CPU side
      expect((thrown(() => softmaxCrossEntropy(x, onGpu)) as Error).message).toMatch(/labels\[700\] = 3/);
      tf.dispose([x, fromJs, zero, onGpu, loss]);
    });
  });

  it("types as fit's loss, (prediction, target) => tf.Scalar, for every loss (a compile-time check, and a scalar at run time)", async () => {
    const losses: ((p: tf.Tensor, t: tf.Tensor) => tf.Scalar)[] = [softmaxCrossEntropy, binaryCrossEntropyWithLogits, meanSquaredError];
    const p = tf.tensor2d([[0.5, -1]]);
    const t = tf.tensor2d([[1, 0]]);
    for (const loss of losses) {
      const v = loss(p, t);
      expect(v.rank).toBe(0);
      v.dispose();
    }
    tf.dispose([p, t]);
  });

  it('leaks no tensors: class indices, probabilities, every reduction, forward and backward, and a rejected call', async () => {
    const x = tf.tensor2d([
      [1, 2, 3],
      [0, 1, 0],
    ]);
    const idx = tf.tensor1d([2, 0], 'int32');
    const probs = tf.tensor2d([
      [0.2, 0.3, 0.5],
      [1, 0, 0],
    ]);
    const once = () => {
      for (const reduction of ['mean', 'sum', 'none'] as const) {
        softmaxCrossEntropy(x, idx, { reduction, labelSmoothing: 0.1 }).dispose();
        softmaxCrossEntropy(x, probs, { reduction }).dispose();
      }
      const a = valueAndGrad((p: { x: tf.Tensor }) => softmaxCrossEntropy(p.x, idx, { labelSmoothing: 0.2 }))({ x });
      const b = valueAndGrad((p: { x: tf.Tensor; t: tf.Tensor }) => softmaxCrossEntropy(p.x, p.t))({ x, t: probs });
      const c = valueAndGrad((p: { x: tf.Tensor }) => crossEntropyOf(p.x, idx, 0, 'sum', false))({ x });
      tf.dispose([a.value, a.grads.x, b.value, b.grads.x, b.grads.t, c.value, c.grads.x]);
      expect(() => softmaxCrossEntropy(x, probs, { labelSmoothing: 1 })).toThrow();
    };
    once();
    await expectNoLeaks(() => {
      for (let i = 0; i < 3; i++) once();
    });
    tf.dispose([x, idx, probs]);
  });
});
