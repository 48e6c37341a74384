// Which apply options reach which module: a nameScope passes nothing on, containers pass on what
// their children use and never initialState (each check names the option, before anything runs).
import { HyperParameterError } from '@gradkit/core';
import { expectClose, expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { dense } from './dense.js';
import { embedding } from './embedding.js';
import { gru } from './gru.js';
import { nameScope } from './name-scope.js';
import { residual } from './residual.js';
import { sequential } from './sequential.js';
import { transformerBlock } from './transformer-block.js';

/** The HyperParameterError `fn` throws (failing the test when it throws another or none). */
function hyperError(fn: () => unknown): HyperParameterError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(HyperParameterError);
    return e as HyperParameterError;
  }
  throw new Error('expected a HyperParameterError, nothing was thrown');
}

describe('apply options', () => {
  it('inside a nameScope, a module still rejects an option it does not use', () => {
    const layer = dense({ inFeatures: 3, outFeatures: 2, seed: 1 });
    const [x, h0] = [tf.ones([2, 3]), tf.zeros([2, 2])];
    const e = hyperError(() => nameScope('enc', () => layer.apply(x, { initialState: h0 })));
    expect(e.field).toBe('initialState');
    tf.dispose([x, h0]);
    layer.dispose();
  });

  it('a container never passes initialState on (it would reach every recurrent layer): a typed error saying to apply the recurrent module directly', async () => {
    const [a, b] = [gru({ inputSize: 2, hiddenSize: 2, seed: 1 }), gru({ inputSize: 2, hiddenSize: 2, seed: 2 })];
    const net = sequential(a, b);
    const block = residual(sequential(gru({ inputSize: 2, hiddenSize: 2, seed: 3 })));
    const [x, h0] = [tf.ones([1, 3, 2]), tf.fill([1, 2], 0.5)];
    for (const run of [
      () => nameScope('enc', () => net.apply(x, { initialState: h0 })),
      () => net.apply(x, { initialState: h0 }),
      () => block.apply(x, { initialState: h0 }),
    ]) {
      const e = hyperError(run);
      expect(e.field).toBe('initialState');
      expect(e.message).toMatch(/apply the recurrent module directly/);
    }
    // Applied directly, the recurrent module takes it (and it matters).
    const [given, zero] = await expectNoLeaks(() => [a.apply(x, { initialState: h0 }), a.apply(x)]);
    expect(Math.max(...(await tf.tidy(() => tf.abs(tf.sub(given, zero))).data()))).toBeGreaterThan(1e-3);
    tf.dispose([x, h0, given, zero]);
    net.dispose();
    block.dispose();
  });

  it('a container takes the options its children use: keyPaddingMask reaches the attention layers, and is an error where no child uses it', async () => {
    const mlp = sequential(dense({ inFeatures: 4, outFeatures: 4, seed: 1 }));
    const x = tf.ones([1, 3, 4]);
    const mask = tf.tensor2d([[0, 0, 1]]);
    expect(hyperError(() => mlp.apply(x, { keyPaddingMask: mask })).field).toBe('keyPaddingMask');
    expect(hyperError(() => residual(mlp).apply(x, { keyPaddingMask: mask })).field).toBe('keyPaddingMask');

    const emb = embedding({ numEmbeddings: 5, embeddingDim: 4, seed: 2 });
    const block = transformerBlock({ embedDim: 4, numHeads: 2, ffnDim: 8, seed: 3 });
    const encoder = sequential(emb, block, dense({ inFeatures: 4, outFeatures: 4, seed: 4 }));
    const tokens = tf.tensor2d([[1, 2, 3]], [1, 3], 'int32');
    // The reference: the block given the mask directly, after the same embedding.
    const expected = tf.tidy(() => encoder.layers[2].apply(block.apply(emb.apply(tokens), { keyPaddingMask: mask })));
    const unmasked = tf.tidy(() => encoder.layers[2].apply(block.apply(emb.apply(tokens))));
    const y = encoder.apply(tokens, { keyPaddingMask: mask });
    await expectClose(y, await expected.array());
    expect(Math.max(...(await tf.tidy(() => tf.abs(tf.sub(y, unmasked))).data()))).toBeGreaterThan(1e-4); // the mask mattered
    tf.dispose([x, mask, tokens, expected, unmasked, y]);
    mlp.dispose();
    encoder.dispose();
  });
});
