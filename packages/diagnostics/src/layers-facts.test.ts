// What gradientCallback reads of a tfjs-layers model: layers, initializers, activations, optimizer.

import { clipByGlobalNorm } from '@gradkit/clipping';
import { chain } from '@gradkit/core';
import { adam, toTfOptimizer } from '@gradkit/optimizers';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { learningRateOfOptimizer, modelFacts, optimizerFacts } from './layers-facts.js';

describe('modelFacts', () => {
  it('a functional model with LayerNormalization and Add: normalization and residual in place, not BatchNorm; tanh kinds from the Activation layer after a linear Dense', () => {
    const x = tfl.input({ shape: [4] });
    const h = tfl.layers.dense({ units: 4, kernelInitializer: 'glorotUniform' }).apply(x) as tfl.SymbolicTensor;
    const a = tfl.layers.activation({ activation: 'tanh' }).apply(tfl.layers.layerNormalization().apply(h)) as tfl.SymbolicTensor;
    const out = tfl.layers.dense({ units: 2, activation: 'softmax' }).apply(tfl.layers.add().apply([x, a]) as tfl.SymbolicTensor) as tfl.SymbolicTensor;
    const m = tfl.model({ inputs: x, outputs: out });
    const facts = modelFacts(m.layers, [out.sourceLayer.name], 'adam()');
    expect(facts).toMatchObject({ dialect: 'layers', batchNorm: false, normalization: true, residual: true, glorotForTanh: true, heForRelu: false });
    expect(facts.kinds).toEqual(['tanh']); // the softmax output is not a hidden layer
    m.dispose();
  });

  it('He on every relu layer (heNormal, or varianceScaling at scale 2 fanIn), not at scale 8', () => {
    const net = (init: () => ReturnType<typeof tfl.initializers.heNormal>) =>
      tfl.sequential({
        layers: [
          tfl.layers.dense({ units: 4, inputShape: [3], activation: 'relu', kernelInitializer: init() }),
          tfl.layers.batchNormalization(),
          tfl.layers.dense({ units: 2 }),
        ],
      });
    for (const [init, he] of [
      [() => tfl.initializers.heNormal({}), true],
      [() => tfl.initializers.varianceScaling({ scale: 2, mode: 'fanIn', distribution: 'uniform' }), true],
      [() => tfl.initializers.varianceScaling({ scale: 8, mode: 'fanIn', distribution: 'normal' }), false],
      [() => tfl.initializers.glorotUniform({}), false],
    ] as const) {
      const m = net(init);
      expect(modelFacts(m.layers, [], 'adam()')).toMatchObject({ heForRelu: he, batchNorm: true, kinds: ['relu', 'linear'] });
      m.dispose();
    }
  });
});

describe('optimizerFacts and learningRateOfOptimizer', () => {
  it("tf.train optimizers get gradkit's names and spelling; gradkit's adapter its chain's names", () => {
    const a = tf.train.adam(0.01);
    expect(optimizerFacts(a)).toEqual({ inChain: ['adam'], call: 'adam({ learningRate: 0.01 })' });
    expect(optimizerFacts(tf.train.momentum(0.1, 0.9))).toEqual({ inChain: ['sgd'], call: 'sgd({ learningRate: 0.1, momentum: 0.9 })' });
    expect(learningRateOfOptimizer(a)).toBe(0.01);
    const adapter = toTfOptimizer(chain(clipByGlobalNorm(1), adam({ learningRate: 3e-4 })));
    expect(optimizerFacts(adapter).inChain).toEqual(['chain', 'clipByGlobalNorm', 'adam']);
    expect(learningRateOfOptimizer(adapter)).toBeCloseTo(3e-4, 12);
    a.dispose();
    adapter.dispose();
  });
});
