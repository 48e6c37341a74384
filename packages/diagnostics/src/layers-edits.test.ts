import { expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import type { LayersModelLike } from './doctor-types.js';
import { gatedRecurrence, hiddenKernelLayers, insertBatchNorm, outputLayers, reinitKernels, switchActivation } from './layers-edits.js';
import { copyLayersModel } from './layers-model.js';

const mlp = (activation: 'sigmoid' | 'tanh' = 'sigmoid', width = 32) =>
  tfl.sequential({
    layers: [
      tfl.layers.dense({ units: width, inputShape: [8], activation, name: 'h1' }),
      tfl.layers.dense({ units: width, activation, name: 'h2' }),
      tfl.layers.dense({ units: 3, activation: 'softmax', name: 'out' }),
    ],
  });
const like = (m: tfl.LayersModel) => m as unknown as LayersModelLike;
const asModel = (m: LayersModelLike) => m as unknown as tfl.LayersModel;
const layer = (m: LayersModelLike, name: string) => asModel(m).getLayer(name);
const values = async (m: tfl.LayersModel) => Promise.all(m.getWeights().map((w) => w.data()));
const cfg = (m: LayersModelLike, name: string) =>
  layer(m, name).getConfig() as Record<string, unknown> & { kernelInitializer: { className: string; config: { scale?: number; mode?: string } } };

/** Population std of a tensor's values. */
async function std(t: tf.Tensor): Promise<number> {
  const v = Array.from(await t.data());
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  return Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length);
}

describe('layers edits', () => {
  it('finds the hidden kernel layers and the output layer', () => {
    const model = mlp();
    expect(outputLayers(like(model))).toEqual(['out']);
    expect(hiddenKernelLayers(like(model), ['sigmoid', 'tanh'])).toEqual(['h1', 'h2']);
    expect(hiddenKernelLayers(like(model), ['relu'])).toEqual([]);
    model.dispose();
  });

  it('switchActivation: relu + He on the hidden layers, the output layer keeps its weights, the original is unchanged', async () => {
    const model = mlp();
    const before = await values(model);
    const e = switchActivation(['h1', 'h2'], 'relu', 'he');
    const copy = copyLayersModel(like(model), e.edit, e.fresh);
    expect(cfg(copy, 'h1').activation).toBe('relu');
    // tfjs-layers serializes HeNormal as VarianceScaling(scale 2, fanIn).
    expect(cfg(copy, 'h2').kernelInitializer.config).toMatchObject({ scale: 2, mode: 'fanIn' });
    expect(cfg(copy, 'out').activation).toBe('softmax');
    expect(await layer(copy, 'out').getWeights()[0]!.data()).toEqual(await model.getLayer('out').getWeights()[0]!.data());
    // A fresh He kernel: tfjs draws a normal of σ = √(2/fanIn) = √(2/32) = 0.25 truncated at ±2σ (not rescaled, unlike
    // Keras), whose std is 0.8796·σ = 0.2199 (the std of N(0,1) truncated at ±2); 1,024 draws: within 8%.
    const k2 = layer(copy, 'h2').getWeights()[0]!;
    expect(Math.abs((await std(k2)) / (0.25 * 0.87962566) - 1)).toBeLessThan(0.08);
    expect(await k2.data()).not.toEqual(await model.getLayer('h2').getWeights()[0]!.data());
    expect((model.getLayer('h1').getConfig() as { activation: string }).activation).toBe('sigmoid');
    expect(await values(model)).toEqual(before);
    copy.dispose();
    model.dispose();
  });

  it('reinitKernels: orthogonal kernels (WᵀW = I for a square one) in the named layer only', async () => {
    const model = mlp('tanh', 8); // small: tfjs's Gram–Schmidt is slow on webgpu
    const e = reinitKernels(['h2'], 'orthogonal');
    const copy = copyLayersModel(like(model), e.edit, e.fresh);
    expect(cfg(copy, 'h2').kernelInitializer.className).toBe('Orthogonal');
    const gram = tf.tidy(() => {
      const w = layer(copy, 'h2').getWeights()[0]!;
      return tf.max(tf.abs(tf.sub(tf.matMul(w, w, true, false), tf.eye(8))));
    });
    expect((await gram.data())[0]).toBeLessThan(1e-4);
    gram.dispose();
    expect(await layer(copy, 'h1').getWeights()[0]!.data()).toEqual(await model.getLayer('h1').getWeights()[0]!.data());
    copy.dispose();
    model.dispose();
  });

  it('insertBatchNorm: Dense → BN → Activation, same prediction at initialization (BN at mean 0, variance 1), weights kept', async () => {
    const model = mlp();
    const before = await values(model);
    const e = insertBatchNorm(['h1', 'h2']);
    const copy = copyLayersModel(like(model), e.edit, e.fresh);
    expect(asModel(copy).layers.map((l) => l.getClassName())).toEqual([
      'Dense',
      'BatchNormalization',
      'Activation',
      'Dense',
      'BatchNormalization',
      'Activation',
      'Dense',
    ]);
    expect(asModel(copy).layers.map((l) => l.name)).toEqual(['h1', 'h1_bn', 'h1_act', 'h2', 'h2_bn', 'h2_act', 'out']);
    expect(cfg(copy, 'h1').activation).toBe('linear');
    expect(cfg(copy, 'h1_act').activation).toBe('sigmoid');
    expect(cfg(copy, 'h1_bn').momentum).toBe(0.9); // PyTorch's default: the moving statistics settle within a short trial
    // Inference-mode BN at initialization is x / √(1 + ε), ε = 1e-3: the prediction moves by well under 1e-3.
    const x = tf.randomNormal([5, 8], 0, 1, 'float32', 3);
    const [p0, p1] = [model.predict(x) as tf.Tensor, copy.predict(x) as tf.Tensor];
    const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(p0, p1))));
    expect((await diff.data())[0]).toBeLessThan(1e-3);
    expect((await diff.data())[0]).toBeGreaterThan(0); // the BN layers are really there
    tf.dispose([x, p0, p1, diff]);
    expect(await values(model)).toEqual(before);
    expect(model.layers.length).toBe(3);
    copy.dispose();
    model.dispose();
  });

  it('gatedRecurrence: SimpleRNN → GRU or LSTM with the same units, the head keeps its weights', async () => {
    const model = tfl.sequential({
      layers: [tfl.layers.simpleRNN({ units: 6, inputShape: [10, 2], name: 'rnn' }), tfl.layers.dense({ units: 1, name: 'head' })],
    });
    for (const to of ['GRU', 'LSTM'] as const) {
      const e = gatedRecurrence(['rnn'], to);
      const copy = copyLayersModel(like(model), e.edit, e.fresh);
      expect(layer(copy, 'rnn').getClassName()).toBe(to);
      expect(layer(copy, 'rnn').getWeights()[0]!.shape).toEqual([2, (to === 'GRU' ? 3 : 4) * 6]);
      expect(await layer(copy, 'head').getWeights()[0]!.data()).toEqual(await model.getLayer('head').getWeights()[0]!.data());
      copy.dispose();
    }
    expect(model.getLayer('rnn').getClassName()).toBe('SimpleRNN');
    model.dispose();
  });

  it('leaves no tensors behind once the copy is disposed', async () => {
    const model = mlp();
    await expectNoLeaks(() => {
      const e = insertBatchNorm(['h1']);
      copyLayersModel(like(model), e.edit, e.fresh).dispose();
    });
    model.dispose();
  });
});
