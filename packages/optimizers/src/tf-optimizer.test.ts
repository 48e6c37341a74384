import { GradkitError } from '@gradkit/core';
import { expectClose } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { sgd, toTfOptimizer } from './index.js';

// Reference: tfjs's own optimizers, in the same model.fit, from the same initial weights.
const x = () =>
  tf.tensor2d([
    [0, 1],
    [1, 0],
    [1, 1],
    [0.5, -1],
    [-1, 0.25],
    [2, 1],
  ]);
const y = () => tf.tensor2d([[1], [-1], [0.5], [2], [0], [-0.5]]);

function model(optimizer: tf.Optimizer): tfl.Sequential {
  const m = tfl.sequential({
    layers: [
      tfl.layers.dense({
        units: 3,
        inputShape: [2],
        activation: 'tanh',
        kernelInitializer: tfl.initializers.constant({ value: 0.3 }),
        biasInitializer: 'zeros',
      }),
      tfl.layers.dense({ units: 1, kernelInitializer: tfl.initializers.constant({ value: -0.2 }), biasInitializer: 'zeros' }),
    ],
  });
  m.compile({ optimizer, loss: 'meanSquaredError' });
  return m;
}

async function fitWeights<O extends tf.Optimizer>(optimizer: O, check?: (o: O) => void): Promise<number[][]> {
  const m = model(optimizer);
  const [xs, ys] = [x(), y()];
  await m.fit(xs, ys, { epochs: 4, batchSize: 3, shuffle: false, verbose: 0 });
  check?.(optimizer);
  const weights = await Promise.all(m.getWeights().map(async (w) => Array.from(await w.data())));
  tf.dispose([xs, ys]);
  m.dispose();
  optimizer.dispose();
  return weights;
}

describe('toTfOptimizer (tfjs-layers adapter)', () => {
  it('trains a tfjs-layers model with model.fit exactly like tf.train.momentum', async () => {
    const ours = await fitWeights(toTfOptimizer(sgd({ learningRate: 0.05, momentum: 0.9 })));
    const theirs = await fitWeights(tf.train.momentum(0.05, 0.9));
    for (const [i, w] of ours.entries()) await expectClose(w, theirs[i] as number[], { rtol: 1e-5, atol: 1e-6 });
    // and it did train
    expect(ours[0]?.some((v) => Math.abs(v - 0.3) > 1e-3)).toBe(true);
  });

  it('plain sgd matches tf.train.sgd, through the fused kernel', async () => {
    const opt = toTfOptimizer(sgd({ learningRate: 0.1 }));
    const ours = await fitWeights(opt, (o) => {
      expect(o.runner?.lastStepPath).toBe('fused:GradkitSgd');
      expect(o.iterations).toBe(8);
    });
    const theirs = await fitWeights(tf.train.sgd(0.1));
    for (const [i, w] of ours.entries()) await expectClose(w, theirs[i] as number[], { rtol: 1e-5, atol: 1e-6 });
  });

  it('refuses gradients for another set of variables after its first step', () => {
    const a = tf.variable(tf.scalar(1));
    const b = tf.variable(tf.scalar(2));
    const opt = toTfOptimizer(sgd({ learningRate: 0.1 }));
    const ga = tf.scalar(1);
    opt.applyGradients({ [a.name]: ga });
    expect(() => opt.applyGradients({ [b.name]: ga })).toThrow(GradkitError);
    expect(() => opt.applyGradients({ [b.name]: ga })).toThrow(/bound to variables .* is missing/);
    opt.dispose();
    tf.dispose([a, b, ga]);
  });
});
