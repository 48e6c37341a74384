import { ValueError, valueAndGrad } from '@gradkit/core';
import { currentBackend, expectClose, expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { embedding } from './embedding.js';
import { initFrom, torchReference, torchTolerance } from './internal/conv-fixture.js';
import { expectHyperError } from './test-support.js';

const ref = torchReference.embedding;

describe('embedding', () => {
  // Reference: packages/nn/fixtures/conv.py (PyTorch 1.13, F.embedding, float64) → conv.json; the
  // table has PyTorch's layout [num, dim]. Index 2 appears three times: its row's gradient sums three rows of r.
  it('looks rows up and sums their gradients as nn.Embedding', async () => {
    const emb = embedding({ numEmbeddings: 7, embeddingDim: 3, initializer: initFrom(ref.table) });
    const x = tf.tensor2d(ref.indices, undefined, 'int32');
    const r = tf.tensor(ref.r as number[]);
    const y = emb.apply(x);
    expect(y.shape).toEqual([2, 3, 3]);
    await expectClose(y, ref.y, torchTolerance());
    const { value, grads } = valueAndGrad<typeof emb.params>(() => tf.sum(tf.mul(emb.apply(x), r)))(emb.params);
    await expectClose(grads.table, ref.dtable, torchTolerance());
    tf.dispose([x, r, y, value, grads.table]);
    emb.dispose();
  });

  it('takes indices of any shape, default init N(0, 1) seeded, params { table [num, dim] }', async () => {
    const a = embedding({ numEmbeddings: 50, embeddingDim: 40, seed: 2 });
    const b = embedding({ numEmbeddings: 50, embeddingDim: 40, seed: 2 });
    expect(a.params.table.shape).toEqual([50, 40]);
    const [ta, tb] = [Array.from(await a.params.table.data()), Array.from(await b.params.table.data())];
    expect(ta).toEqual(tb);
    const mean = ta.reduce((s, v) => s + v, 0) / ta.length;
    const variance = ta.reduce((s, v) => s + (v - mean) ** 2, 0) / ta.length;
    expect(Math.abs(mean)).toBeLessThan(0.1); // 2000 draws: σ/√n ≈ 0.022
    expect(variance).toBeGreaterThan(0.85);
    expect(variance).toBeLessThan(1.15);
    const scalar = tf.scalar(3, 'int32');
    const cube = tf.zeros([2, 2, 2], 'int32');
    const [ys, yc] = [a.apply(scalar), a.apply(cube)];
    expect(ys.shape).toEqual([40]);
    expect(yc.shape).toEqual([2, 2, 2, 40]);
    tf.dispose([scalar, cube, ys, yc]);
    a.dispose();
    b.dispose();
  });

  it('rejects float indices and, before computing, indices out of range, naming x', () => {
    const emb = embedding({ numEmbeddings: 5, embeddingDim: 2, seed: 1 });
    const floats = tf.tensor1d([1, 2]);
    expect(() => emb.apply(floats)).toThrow(/must be an int32 tensor, got float32.*'int32'/);
    for (const bad of [
      [0, 5],
      [-1, 2],
    ]) {
      const x = tf.tensor1d(bad, 'int32');
      const before = tf.memory().numTensors;
      let thrown: unknown;
      try {
        emb.apply(x);
      } catch (e) {
        thrown = e;
      }
      expect(thrown).toBeInstanceOf(ValueError);
      expect((thrown as ValueError).what).toBe('x');
      expect((thrown as Error).message).toMatch(new RegExp(`index ${bad.find((v) => v < 0 || v >= 5)} .*numEmbeddings = 5 rows, 0 … 4`));
      expect(tf.memory().numTensors).toBe(before);
      x.dispose();
    }
    floats.dispose();
    emb.dispose();
  });

  it('indices a kernel computed: an error on cpu and wasm; on webgpu (no synchronous read) NaN rows, never a wrong row', async () => {
    const emb = embedding({ numEmbeddings: 4, embeddingDim: 2, initializer: initFrom([0, 1, 2, 3, 4, 5, 6, 7]) });
    // 1024 elements: past webgpu's CPU hand-off threshold (1000), so the sum is computed on the GPU.
    const computed = tf.tidy(() => {
      const big = tf.add(tf.fill([1024], 1, 'int32'), tf.zeros([1024], 'int32'));
      return tf.add(tf.slice(big, [0], [2]), tf.tensor1d([0, 3], 'int32')); // [1, 4]: 4 is out of range
    });
    if (currentBackend() === 'webgpu') {
      const y = emb.apply(computed);
      await expectClose(y, [
        [2, 3],
        [Number.NaN, Number.NaN],
      ]);
      const fine = tf.tidy(() => tf.sub(computed, tf.scalar(1, 'int32'))); // [0, 3], also GPU-only: exact rows
      const yf = emb.apply(fine);
      await expectClose(yf, [
        [0, 1],
        [6, 7],
      ]);
      tf.dispose([y, fine, yf]);
    } else expect(() => emb.apply(computed)).toThrow(/index 4 \(element 1 of the input\) is out of range/);
    computed.dispose();
    emb.dispose();
  });

  it('rejects bad options naming them, and leaks nothing over training steps', async () => {
    expectHyperError(() => embedding({ num_embeddings: 5, embeddingDim: 2 } as never), 'num_embeddings', /numEmbeddings/);
    expectHyperError(() => embedding({ numEmbeddings: 5, output_dim: 2 } as never), 'output_dim');
    expectHyperError(() => embedding({ numEmbeddings: 0, embeddingDim: 2 }), 'numEmbeddings');
    expectHyperError(() => embedding({ numEmbeddings: 5, embeddingDim: 2, seed: 1, initializer: initFrom([0]) }), 'seed');
    expectHyperError(() => embedding({ numEmbeddings: 5, embeddingDim: 2, initializer: null as never }), 'initializer');
    const emb = embedding({ numEmbeddings: 5, embeddingDim: 2, seed: 1 });
    const x = tf.tensor2d([[0, 4, 4]], undefined, 'int32');
    await expectNoLeaks(() => {
      for (let i = 0; i < 10; i++) {
        const { value, grads } = valueAndGrad<typeof emb.params>(() => tf.sum(emb.apply(x)))(emb.params);
        tf.dispose([value, grads.table]);
      }
    });
    x.dispose();
    emb.dispose();
  });
});
