import { expectClose } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { gru } from './gru.js';
import { fromValues, torchFixture, torchParitySuite } from './internal/recurrent-test-support.js';

const { inputSize, hiddenSize } = torchFixture;

describe('gru', () => {
  for (const c of [torchFixture.cases.gru, torchFixture.cases.gruLong])
    torchParitySuite(c, (returnSequences) => gru({ inputSize, hiddenSize, returnSequences, seed: 1 }));

  it('computes one step by hand: n = tanh(xₙ + r·(hₙ + b_hn)), h = (1 − z)n + z·h₀, gates r, z, n in that order', async () => {
    // 1 input, 1 unit: W = [1, 2, 3] (r, z, n), U = [0.5, −0.5, 2], b = [0, 0, 0.1], b_h = [0, 0, 0.3]; x = 1, h₀ = 0.4.
    const m = gru({
      inputSize: 1,
      hiddenSize: 1,
      kernelInitializer: fromValues([[1, 2, 3]]),
      biasInitializer: fromValues([0, 0, 0.1]),
    });
    // The recurrent initializer fills one [h, h] block per gate: set the whole kernel instead.
    tf.tidy(() => m.params.recurrentKernel.assign(tf.tensor2d([[0.5, -0.5, 2]])));
    tf.tidy(() => m.params.recurrentBias.assign(tf.tensor1d([0, 0, 0.3])));
    const σ = (v: number) => 1 / (1 + Math.exp(-v));
    const h0 = 0.4;
    const r = σ(1 + 0.5 * h0);
    const z = σ(2 - 0.5 * h0);
    const n = Math.tanh(3 + 0.1 + r * (2 * h0 + 0.3));
    const x = tf.tensor3d([[[1]]]);
    const init = tf.tensor2d([[h0]]);
    const y = m.apply(x, { initialState: init });
    await expectClose(y, [[[(1 - z) * n + z * h0]]]);
    tf.dispose([x, init, y]);
    m.dispose();
  });

  it('holds { kernel [in, 3h], recurrentKernel [h, 3h], bias [3h], recurrentBias [3h] }, zero biases, each recurrent block orthogonal', async () => {
    const m = gru({ inputSize: 2, hiddenSize: 4, seed: 3 });
    expect(Object.fromEntries(Object.entries(m.params).map(([k, v]) => [k, v.shape]))).toEqual({
      kernel: [2, 12],
      recurrentKernel: [4, 12],
      bias: [12],
      recurrentBias: [12],
    });
    await expectClose(m.params.recurrentBias, new Array(12).fill(0));
    const eye = Array.from({ length: 4 }, (_, i) => Array.from({ length: 4 }, (_, j) => (i === j ? 1 : 0)));
    for (const block of tf.split(m.params.recurrentKernel, 3, 1)) {
      const gram = tf.matMul(block, block, true, false);
      await expectClose(gram, eye, { atol: 1e-5 });
      tf.dispose([gram, block]);
    }
    const noBias = gru({ inputSize: 2, hiddenSize: 4, useBias: false, seed: 3 });
    expect(Object.keys(noBias.params)).toEqual(['kernel', 'recurrentKernel']);
    const x = tf.randomNormal([2, 3, 2], 0, 1, 'float32', 1);
    const y = noBias.apply(x);
    expect(y.shape).toEqual([2, 3, 4]);
    tf.dispose([x, y]);
    m.dispose();
    noBias.dispose();
  });
});
