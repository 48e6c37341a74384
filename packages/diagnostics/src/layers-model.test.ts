import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import type { LayersModelLike } from './doctor-types.js';
import { gatedRecurrence } from './layers-edits.js';
import { copyLayersModel, type LayersConfig } from './layers-model.js';

const build = () =>
  tfl.sequential({
    layers: [
      tfl.layers.dense({ units: 4, inputShape: [3], activation: 'sigmoid', name: 'a' }),
      tfl.layers.dense({ units: 2, activation: 'softmax', name: 'b' }),
    ],
  });

describe('copyLayersModel', () => {
  it('copies the weights into a model of the same classes, not sharing them', async () => {
    const model = build();
    const copy = copyLayersModel(model as unknown as LayersModelLike);
    expect(copy).toBeInstanceOf(tfl.Sequential);
    const [w0, w1] = [model.getWeights(), copy.getWeights()];
    for (let i = 0; i < w0.length; i++) expect(await w1[i]!.data()).toEqual(await w0[i]!.data());
    copy.setWeights(w1.map((w) => tf.zerosLike(w)));
    expect(Array.from(await model.getWeights()[0]!.data()).some((v) => v !== 0)).toBe(true);
    model.dispose();
    copy.dispose();
  });

  it('applies an edit and keeps the weights of the layers that still fit', async () => {
    const model = build();
    const edit = (c: LayersConfig) => {
      const layers = c.layers as { config: { activation?: string } }[];
      layers[0]!.config.activation = 'relu';
      return c;
    };
    const copy = copyLayersModel(model as unknown as LayersModelLike, edit, new Set(['b']));
    const layers = (copy as unknown as tfl.Sequential).layers;
    expect((layers[0]!.getConfig() as { activation: string }).activation).toBe('relu');
    expect(await layers[0]!.getWeights()[0]!.data()).toEqual(await model.layers[0]!.getWeights()[0]!.data());
    expect(await layers[1]!.getWeights()[0]!.data()).not.toEqual(await model.layers[1]!.getWeights()[0]!.data());
    model.dispose();
    copy.dispose();
  });
});

describe('copyLayersModel and tensors', () => {
  it('leaves no tensor behind when a fresh LSTM layer is initialized (tfjs-layers leaves 4 with unitForgetBias outside a tidy)', async () => {
    const model = tfl.sequential({
      layers: [tfl.layers.simpleRNN({ units: 4, inputShape: [5, 1], name: 'rnn' }), tfl.layers.dense({ units: 1, name: 'out' })],
    });
    const { edit, fresh } = gatedRecurrence(['rnn'], 'LSTM', 3);
    const before = tf.memory().numTensors;
    const copy = copyLayersModel(model as unknown as LayersModelLike, edit, fresh);
    expect((copy as unknown as tfl.Sequential).layers[0]?.getClassName()).toBe('LSTM');
    copy.dispose();
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });
});
