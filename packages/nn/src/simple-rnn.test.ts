import { identity } from '@gradkit/initializers';
import { expectClose } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { fromValues, torchFixture, torchParitySuite } from './internal/recurrent-test-support.js';
import { simpleRnn } from './simple-rnn.js';
import { expectHyperError } from './test-support.js';

const { inputSize, hiddenSize } = torchFixture;

describe('simpleRnn', () => {
  for (const activation of ['tanh', 'relu'] as const)
    torchParitySuite(torchFixture.cases[activation === 'tanh' ? 'rnnTanh' : 'rnnRelu'], (returnSequences) =>
      simpleRnn({ inputSize, hiddenSize, activation, returnSequences, seed: 1 }),
    );

  it('computes hₜ = φ(xₜW + hₜ₋₁U + b) by hand over two steps', async () => {
    // 1 input, 2 units: W = [1, −1], U = [[0.5, 0], [1, 2]], b = [0.1, 0.2]; x = [1, 2], h₀ = 0.
    const m = simpleRnn({
      inputSize: 1,
      hiddenSize: 2,
      kernelInitializer: fromValues([[1, -1]]),
      recurrentInitializer: fromValues([
        [0.5, 0],
        [1, 2],
      ]),
      biasInitializer: fromValues([0.1, 0.2]),
    });
    const h1 = [Math.tanh(1.1), Math.tanh(-0.8)];
    const h2 = [Math.tanh(2.1 + 0.5 * (h1[0] as number) + (h1[1] as number)), Math.tanh(-1.8 + 2 * (h1[1] as number))];
    const x = tf.tensor3d([[[1], [2]]]);
    const y = m.apply(x);
    await expectClose(y, [[h1, h2]]);
    tf.dispose([x, y]);
    m.dispose();
  });

  it('IRNN (Le et al. 2015): relu with recurrentInitializer identity() starts as hₜ = relu(xₜW + hₜ₋₁), zero bias', async () => {
    const m = simpleRnn({ inputSize: 3, hiddenSize: 4, activation: 'relu', recurrentInitializer: identity(), seed: 1 });
    expect(m.activation).toBe('relu');
    await expectClose(m.params.recurrentKernel, [
      [1, 0, 0, 0],
      [0, 1, 0, 0],
      [0, 0, 1, 0],
      [0, 0, 0, 1],
    ]);
    await expectClose(m.params.bias, [0, 0, 0, 0]);
    // Relu and the identity: a positive state is carried forward unchanged when the input is zero.
    const x = tf.zeros([1, 5, 3]);
    const h0 = tf.tensor2d([[1, 2, 0.5, 3]]);
    const y = m.apply(x, { initialState: h0 });
    await expectClose(y, [Array.from({ length: 5 }, () => [1, 2, 0.5, 3])]);
    tf.dispose([x, h0, y]);
    m.dispose();
  });

  it('defaults: tanh, every step returned, orthogonal recurrent kernel (UᵀU = I), zero bias; activation is tanh or relu', async () => {
    const m = simpleRnn({ inputSize: 3, hiddenSize: 5, seed: 4 });
    expect(m.activation).toBe('tanh');
    expect(m.returnSequences).toBe(true);
    const gram = tf.matMul(m.params.recurrentKernel, m.params.recurrentKernel, true, false);
    await expectClose(
      gram,
      Array.from({ length: 5 }, (_, i) => Array.from({ length: 5 }, (_, j) => (i === j ? 1 : 0))),
      { atol: 1e-5 },
    );
    const limit = Math.sqrt(6 / (3 + 5)); // Glorot-uniform over [in, h]
    expect(Math.max(...Array.from(await m.params.kernel.data(), Math.abs))).toBeLessThanOrEqual(limit + 1e-6);
    expectHyperError(() => simpleRnn({ inputSize: 3, hiddenSize: 5, activation: 'gelu' as never }), 'activation', /'tanh', 'relu'/);
    gram.dispose();
    m.dispose();
  });
});
