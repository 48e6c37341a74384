import { GradkitError } from '@gradkit/core';
import type * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { layerRelativeNames } from './tf-optimizer-names.js';

describe('layerRelativeNames', () => {
  it('replaces automatic layer counters by ordinals among the layers of the class, in order, and keeps given names', () => {
    expect(
      layerRelativeNames([
        'dense_Dense7/kernel',
        'dense_Dense7/bias',
        'conv2d_Conv2D12/kernel',
        'head/kernel',
        'dense_Dense9/kernel',
        'lstm_LSTM3/recurrent_kernel',
      ]),
    ).toEqual(['dense_Dense#1/kernel', 'dense_Dense#1/bias', 'conv2d_Conv2D#1/kernel', 'head/kernel', 'dense_Dense#2/kernel', 'lstm_LSTM#1/recurrent_kernel']);
  });

  it("drops tfjs-layers' suffix for a name taken twice, on the weight only", () => {
    expect(layerRelativeNames(['dense_Dense1/kernel_1', 'dense_Dense1/bias_1', 'block_2/kernel_3'])).toEqual([
      'dense_Dense#1/kernel',
      'dense_Dense#1/bias',
      'block_2/kernel',
    ]);
  });

  it('numbers weights of one layer that differ only by a trailing _<digits>, and keeps names without a layer', () => {
    expect(layerRelativeNames(['custom/w_1', 'custom/w_2', 'custom/w', '17', 'w_1'])).toEqual(['custom/w@0', 'custom/w@1', 'custom/w@2', '17', 'w_1']);
  });

  it('keeps a name that only looks automatic (the prefix is not the snake case of the class)', () => {
    expect(layerRelativeNames(['my_Dense3/kernel', 'private_MyLayer1/kernel'])).toEqual(['my_Dense3/kernel', 'private_MyLayer1/kernel']);
  });

  it('gives the same names to two instances of one architecture built at different times', () => {
    const build = () =>
      tfl.sequential({
        layers: [
          tfl.layers.dense({ units: 2, inputShape: [3] }),
          tfl.layers.dense({ units: 2 }),
          tfl.layers.dense({ units: 1, name: `out${Math.random()}`.replace('.', '') }),
        ],
      });
    const variableNames = (m: tfl.LayersModel) => m.trainableWeights.map((w) => (w.read() as tf.Variable).name);
    const names = (m: tfl.LayersModel) => layerRelativeNames(variableNames(m)).slice(0, 4);
    const a = build();
    const b = build();
    expect(variableNames(b)[0]).not.toBe(variableNames(a)[0]);
    expect(names(b)).toEqual(names(a));
    expect(names(a)).toEqual(['dense_Dense#1/kernel', 'dense_Dense#1/bias', 'dense_Dense#2/kernel', 'dense_Dense#2/bias']);
    a.dispose();
    b.dispose();
  });

  it('throws a typed error rather than give two variables one name', () => {
    expect(() => layerRelativeNames(['a/w', 'a/w_1'])).not.toThrow(); // numbered, distinct
    expect(() => layerRelativeNames(['x', 'x'])).toThrow(GradkitError);
  });
});
