// tfjs-layers on @tensorflow/tfjs-core alone needs the chained tensor methods that only the full
// @tensorflow/tfjs registers (issue 12: the LSTM's orthogonal initializer crashed with
// "rMat.flatten is not a function"). Importing gradkit registers them.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import './index.js';

describe('tfjs-core chained tensor methods', () => {
  it('are there, and compute what the ops do', async () => {
    const t = tf.tensor1d([1, -2, 3, -4, 5, -6]);
    const chained = t as unknown as { as3D(a: number, b: number, c: number): tf.Tensor & { flatten(): tf.Tensor & { abs(): tf.Tensor } } };
    const r = chained.as3D(1, 2, 3);
    expect(r.shape).toEqual([1, 2, 3]);
    expect(Array.from(await r.flatten().abs().data())).toEqual([1, 2, 3, 4, 5, 6]);
    tf.dispose([t, r]);
  });

  it('let a tfjs-layers LSTM (orthogonal recurrent initializer) build and fit', async () => {
    const model = tfl.sequential({ layers: [tfl.layers.lstm({ units: 3, inputShape: [4, 2] }), tfl.layers.dense({ units: 1 })] });
    // the recurrent kernel [3, 12] is orthogonal: its rows are orthonormal, U·Uᵀ = I
    const u = model.layers[0]?.getWeights()[1] as tf.Tensor2D;
    expect(u.shape).toEqual([3, 12]);
    const uut = tf.matMul(u, u, false, true);
    const eye = [1, 0, 0, 0, 1, 0, 0, 0, 1];
    for (const [i, v] of Array.from(await uut.data()).entries()) expect(v).toBeCloseTo(eye[i] as number, 4);
    uut.dispose();
    model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    const x = tf.randomNormal([4, 4, 2], 0, 1, 'float32', 1);
    const y = tf.randomNormal([4, 1], 0, 1, 'float32', 2);
    const h = await model.fit(x, y, { epochs: 1, batchSize: 4, verbose: 0 });
    expect(Number.isFinite(h.history.loss?.[0] as number)).toBe(true);
    model.dispose();
    tf.dispose([x, y]);
  });
});
