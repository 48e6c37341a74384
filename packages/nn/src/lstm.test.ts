import { zeros } from '@gradkit/initializers';
import { expectClose } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { fromValues, torchFixture, torchParitySuite } from './internal/recurrent-test-support.js';
import { lstm } from './lstm.js';
import { expectHyperError } from './test-support.js';

const { inputSize, hiddenSize } = torchFixture;

describe('lstm', () => {
  torchParitySuite(torchFixture.cases.lstm, (returnSequences) => lstm({ inputSize, hiddenSize, returnSequences, seed: 1 }));

  it('computes one step by hand: c = σ(f)c₀ + σ(i)tanh(g), h = σ(o)tanh(c), gates i, f, g, o in that order', async () => {
    // 1 input, 1 unit: W = [1, 2, 3, 4] (i, f, g, o), U = [0.5, 0.5, 0.5, 0.5], b = 0; x = 1, h₀ = 0, c₀ = 2.
    const m = lstm({
      inputSize: 1,
      hiddenSize: 1,
      kernelInitializer: fromValues([[1, 2, 3, 4]]),
      recurrentInitializer: fromValues([[0.5]]),
      unitForgetBias: false,
    });
    const σ = (v: number) => 1 / (1 + Math.exp(-v));
    const c = σ(2) * 2 + σ(1) * Math.tanh(3);
    const h = σ(4) * Math.tanh(c);
    const x = tf.tensor3d([[[1]]]);
    const init = [tf.zeros([1, 1]), tf.fill([1, 1], 2)];
    const y = m.apply(x, { initialState: init });
    await expectClose(y, [[[h]]]);
    tf.dispose([x, init, y]);
    m.dispose();
  });

  it('starts the forget gate’s bias at 1 (Jozefowicz et al. 2015) unless unitForgetBias is false; each recurrent block is orthogonal', async () => {
    const h = 6;
    const m = lstm({ inputSize: 3, hiddenSize: h, seed: 2 });
    const ones = Array.from({ length: h }, () => 1);
    const zero = Array.from({ length: h }, () => 0);
    await expectClose(m.params.bias, [...zero, ...ones, ...zero, ...zero]);
    expect(m.unitForgetBias).toBe(true);
    // Keras's unit_forget_bias: the forget block is 1 whatever the bias initializer gives there.
    const custom = lstm({ inputSize: 3, hiddenSize: h, seed: 2, biasInitializer: fromValues(Array.from({ length: 4 * h }, (_, i) => i)) });
    const b = Array.from(await custom.params.bias.data());
    expect(b.slice(h, 2 * h)).toEqual(ones);
    expect(b.slice(0, h)).toEqual([0, 1, 2, 3, 4, 5]);
    const plain = lstm({ inputSize: 3, hiddenSize: h, seed: 2, unitForgetBias: false });
    await expectClose(plain.params.bias, [...zero, ...zero, ...zero, ...zero]);
    expect(plain.unitForgetBias).toBe(false);
    const noBias = lstm({ inputSize: 3, hiddenSize: h, useBias: false, seed: 2 });
    expect(Object.keys(noBias.params)).toEqual(['kernel', 'recurrentKernel']);
    expect(noBias.unitForgetBias).toBe(false);
    expectHyperError(() => lstm({ inputSize: 3, hiddenSize: h, useBias: false, unitForgetBias: true }), 'unitForgetBias');
    expectHyperError(() => lstm({ inputSize: 3, hiddenSize: h, useBias: false, biasInitializer: zeros() }), 'biasInitializer');
    // UᵀU = I for every gate's [h, h] block (Saxe et al. 2014), and the blocks differ.
    const u = m.params.recurrentKernel;
    expect(u.shape).toEqual([h, 4 * h]);
    const blocks = tf.split(u, 4, 1);
    const eye = Array.from({ length: h }, (_, i) => Array.from({ length: h }, (_, j) => (i === j ? 1 : 0)));
    for (const block of blocks) {
      const gram = tf.matMul(block, block, true, false);
      await expectClose(gram, eye, { atol: 1e-5 });
      gram.dispose();
    }
    const [b0, b1] = await Promise.all([blocks[0]?.data(), blocks[1]?.data()]);
    expect(Array.from(b0 as Float32Array)).not.toEqual(Array.from(b1 as Float32Array));
    tf.dispose(blocks);
    for (const k of [m, custom, plain, noBias]) k.dispose();
  });

  it('same seed, same weights; the zero initial state is the default', async () => {
    const a = lstm({ inputSize: 2, hiddenSize: 3, seed: 7 });
    const b = lstm({ inputSize: 2, hiddenSize: 3, seed: 7 });
    expect(Array.from(await a.params.kernel.data())).toEqual(Array.from(await b.params.kernel.data()));
    expect(Array.from(await a.params.recurrentKernel.data())).toEqual(Array.from(await b.params.recurrentKernel.data()));
    const x = tf.randomNormal([2, 5, 2], 0, 1, 'float32', 3);
    const init = [tf.zeros([2, 3]), tf.zeros([2, 3])];
    const [y0, y1] = [a.apply(x), a.apply(x, { initialState: init })];
    await expectClose(y0, await y1.array());
    tf.dispose([x, init, y0, y1]);
    a.dispose();
    b.dispose();
  });
});
