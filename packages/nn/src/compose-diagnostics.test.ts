// The modules compose with the Optimizer's fused path and with inspectGradients: one small net per
// family (conv, recurrent, attention), one step of chain(clipByGlobalNorm(1), adam()) from the taps
// of withTaps, and a gradient report whose layers and activations are named and ordered as the net.
import { clipByGlobalNorm } from '@gradkit/clipping';
import { chain, flatten, type Module, Optimizer, type ParamTree, valueAndGrad, withTaps } from '@gradkit/core';
import { inspectGradients } from '@gradkit/diagnostics';
import { adam } from '@gradkit/optimizers';
import { expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { conv2d } from './conv2d.js';
import { dense } from './dense.js';
import { flatten as flattenLayer } from './flatten.js';
import { lstm } from './lstm.js';
import { maxPool2d } from './max-pool2d.js';
import { sequential } from './sequential.js';
import { transformerBlock } from './transformer-block.js';

/** WebGPU in software (SwiftShader) is slow on a busy machine. */
const SLOW = 120_000;

interface Family {
  readonly name: string;
  readonly net: () => Module<ParamTree>;
  readonly x: () => tf.Tensor;
  /** The parameter paths, input to output (inspectGradients' layers). */
  readonly layers: readonly string[];
  /** The tap names, input to output (inspectGradients' activations). */
  readonly taps: readonly string[];
}

const FAMILIES: readonly Family[] = [
  {
    name: 'a small conv net (conv2d, maxPool2d, flatten, dense)',
    net: () =>
      sequential(
        conv2d({ inChannels: 2, outChannels: 3, kernelSize: 3, padding: 'same', activation: 'relu', seed: 1 }),
        maxPool2d({ kernelSize: 2 }),
        flattenLayer(),
        dense({ inFeatures: 27, outFeatures: 2, seed: 2 }),
      ),
    x: () => tf.randomNormal([2, 6, 6, 2], 0, 1, 'float32', 3),
    layers: ['0.kernel', '0.bias', '3.kernel', '3.bias'],
    taps: ['0.conv2d', '1.maxPool2d', '2.flatten', '3.dense'],
  },
  {
    name: 'an LSTM feeding a dense head',
    net: () => sequential(lstm({ inputSize: 2, hiddenSize: 4, returnSequences: false, seed: 1 }), dense({ inFeatures: 4, outFeatures: 1, seed: 2 })),
    x: () => tf.randomNormal([2, 3, 2], 0, 1, 'float32', 3),
    layers: ['0.kernel', '0.recurrentKernel', '0.bias', '1.kernel', '1.bias'],
    taps: ['0.lstm.t0', '0.lstm.t1', '0.lstm.t2', '0.lstm', '1.dense'],
  },
  {
    name: 'a transformer block',
    net: () => sequential(transformerBlock({ embedDim: 8, numHeads: 2, ffnDim: 8, seed: 1 })),
    x: () => tf.randomNormal([2, 3, 8], 0, 1, 'float32', 3),
    layers: [
      '0.norm1.gamma',
      '0.norm1.beta',
      ...['query', 'key', 'value', 'output'].flatMap((p) => [`0.attention.${p}.kernel`, `0.attention.${p}.bias`]),
      '0.norm2.gamma',
      '0.norm2.beta',
      '0.linear1.kernel',
      '0.linear1.bias',
      '0.linear2.kernel',
      '0.linear2.bias',
    ],
    taps: [
      '0.transformerBlock.norm1.layerNorm',
      '0.transformerBlock.attention.multiHeadAttention.logits',
      '0.transformerBlock.attention.multiHeadAttention.probs',
      '0.transformerBlock.attention.multiHeadAttention',
      '0.transformerBlock.norm2.layerNorm',
      '0.transformerBlock.linear1.dense',
      '0.transformerBlock.linear2.dense',
      '0.transformerBlock',
    ],
  },
];

describe('modules with the Optimizer (fused path) and inspectGradients', { timeout: SLOW }, () => {
  for (const f of FAMILIES)
    it(`${f.name}: one fused step of chain(clipByGlobalNorm(1), adam()); a report named and ordered as the net`, async () => {
      const net = f.net();
      const x = f.x();
      const opt = new Optimizer(net.params, chain(clipByGlobalNorm(1), adam()));
      const first = flatten(net.params)[0]?.value as tf.Tensor;
      const initial = await first.data();
      const report = await expectNoLeaks(async () => {
        const loss = () => tf.mean(tf.square(net.apply(x))) as tf.Scalar;
        const {
          result: { value, grads },
          taps,
        } = withTaps(valueAndGrad(loss))(net.params);
        try {
          const r = await inspectGradients(grads, { params: net.params, activations: taps });
          opt.step(grads, { loss: value });
          return r;
        } finally {
          tf.dispose([value, grads as tf.TensorContainer, taps as unknown as tf.TensorContainer]);
        }
      });
      expect(opt.lastStepPath).toBe('fused:GradkitClippedAdam');
      expect(report.layers.map((l) => l.name)).toEqual(f.layers);
      expect(report.activations.map((a) => a.name)).toEqual(f.taps);
      for (const a of report.activations) expect(a.gradNorm, a.name).toBeGreaterThan(0); // every tap got its ∂L/∂h
      for (const l of report.layers) expect(Number.isFinite(l.gradNorm), l.name).toBe(true);
      expect(report.verdict).not.toBe('nonfinite');
      // The step moved the first parameter (adam's first step moves an element with a gradient by ~lr).
      const after = await first.data();
      expect(Array.from(after).some((v, i) => v !== initial[i])).toBe(true);
      opt.dispose();
      x.dispose();
      net.dispose();
    });
});
