// The remedies the findings offer: only those gradient-lab confirms, never one the report can see in place.
import { chain, type GradientTransformation, map } from '@gradkit/core';
import { sgd } from '@gradkit/optimizers';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { inspectGradients } from './index.js';
import { chainNames, remediesFor } from './remedies.js';
import type { ActivationKind, ActivationReport, LayerReport } from './report.js';

const layer = (name: string): LayerReport => ({
  name,
  shape: [4, 4],
  size: 16,
  isWeight: true,
  gradNorm: 1,
  gradMean: 0,
  gradStd: 0.25,
  gradMaxAbs: 0.5,
  gradZeroFraction: 0,
  nonFinite: 0,
});
const tap = (name: string, kind: ActivationKind): ActivationReport => ({
  name,
  kind,
  shape: [2, 4],
  units: 4,
  deadFraction: 0,
  saturationFraction: 0,
  mean: 0,
  std: 1,
  min: -1,
  max: 1,
  nonFinite: 0,
});
/** The first words of each remedy, enough to tell them apart. */
const heads = (remedies: readonly string[]) => remedies.map((r) => r.split(/[:(]/)[0]?.trim());
/** A transformation that only has a name (what the rules look at). */
const named = (name: string): GradientTransformation => ({ name, options: {}, init: () => ({}), update: (g, s) => ({ updates: map(g, (x) => x), state: s }) });

describe('remediesFor', () => {
  const sigmoidNet = { layers: [layer('0.kernel'), layer('2.kernel')], taps: [tap('0.dense', 'linear'), tap('1.sigmoid', 'sigmoid')] };

  it('a sigmoid net: the vanishing remedies of gradient-lab (relu-he, tanh-glorot, batchnorm, residual), no adaptive optimizer', () => {
    const r = remediesFor(sigmoidNet.layers, sigmoidNet.taps, []);
    expect(heads(r.vanishing)).toEqual([
      'relu activations with heNormal initialization',
      'tanh instead of sigmoid, with glorotUniform initialization',
      'add BatchNorm between each dense layer and its activation',
      'residual blocks with LayerNorm, x + act',
    ]);
    expect(heads(r.exploding)).toEqual([
      'clip the gradients',
      'a variance-preserving initialization at scale 1',
      'add BatchNorm or LayerNorm between each dense layer and its activation',
    ]);
    expect(heads(r.nonfinite)).toEqual(['guard the step', 'clip the gradients', 'a variance-preserving initialization at scale 1']);
    // refuted by the lab: adam, rmsprop (vanishing), schedule (a larger rate), exploding-lr and exploding-warmup (a lower rate)
    for (const list of [r.vanishing, r.exploding, r.nonfinite, r.deadUnits, r.saturation])
      expect(list.join('\n')).not.toMatch(/adam|rmsprop|adaptive|learning rate|warm/i);
    // the update sizes alone (healthy gradients): the learning rate (large-lr, tiny-lr); not clipping or a warm-up (large-lr-clip, large-lr-warmup)
    expect(heads(r.largeUpdates)).toEqual(['a lower learning rate']);
    expect(heads(r.smallUpdates)).toEqual(['a higher learning rate']);
    // saturation: relu + He (relu-he), tanh + Glorot (tanh-glorot), BatchNorm (tanh-saturated-batchnorm)
    expect(heads(r.saturation)).toEqual([
      'relu activations with heNormal initialization',
      'tanh instead of sigmoid, with glorotUniform initialization',
      'add BatchNorm between each dense layer and its activation',
    ]);
  });

  it('the guard is valid code that says what it does', () => {
    const [guard] = remediesFor([], [], []).nonfinite;
    expect(guard).toMatch(/applyIfFinite\(yourOptimizer\) \(@gradkit\/clipping\) skips a step whose gradients hold NaN or ±Infinity/);
    expect(guard).toMatch(/maxConsecutiveErrors/);
  });

  it('a relu net is told to fix its initialization, not to use relu', () => {
    const r = remediesFor([layer('0.kernel')], [tap('1.relu', 'relu')], []);
    expect(heads(r.vanishing)[0]).toBe('heNormal initialization at scale 1 for the relu layers');
    expect(heads(r.deadUnits)).toEqual(['heNormal initialization at scale 1 for the relu layers', 'add BatchNorm between each dense layer and its activation']);
    const tanh = remediesFor([layer('0.kernel')], [tap('1.tanh', 'tanh')], []);
    expect(heads(tanh.vanishing).slice(0, 2)).toEqual(['relu activations with heNormal initialization', 'glorotUniform initialization for the tanh layers']);
  });

  it('does not offer what the chain already does: clipping, a finite guard', () => {
    const r = remediesFor(sigmoidNet.layers, sigmoidNet.taps, ['chain', 'applyIfFinite', 'clipByGlobalNorm', 'sgd']);
    expect(heads(r.exploding)).toEqual([
      'a variance-preserving initialization at scale 1',
      'add BatchNorm or LayerNorm between each dense layer and its activation',
    ]);
    expect(heads(r.nonfinite)).toEqual(['a variance-preserving initialization at scale 1']);
    for (const clip of ['clipByNorm', 'adaptiveGradClip', 'clipByValue'])
      expect(remediesFor([], [], [clip]).exploding.join()).not.toMatch(/clip the gradients/);
    expect(remediesFor([], [], ['zeroNans']).nonfinite.join()).not.toMatch(/guard the step/);
  });

  it('does not offer normalization or residual blocks the taps or parameters show in place', () => {
    const withBatchNorm = remediesFor([layer('0.kernel')], [tap('0.dense', 'linear'), tap('1.batchNorm', 'linear'), tap('2.sigmoid', 'sigmoid')], []);
    expect(withBatchNorm.vanishing.join()).not.toMatch(/BatchNorm/);
    expect(withBatchNorm.exploding.join()).not.toMatch(/BatchNorm or LayerNorm/);
    // LayerNorm (or a norm seen only through its gamma) is normalization, but not the BatchNorm that fixes vanishing gradients (gradient-lab: layernorm)
    const withLayerNorm = remediesFor(
      [layer('0.kernel'), layer('1.gamma')],
      [tap('0.dense', 'linear'), tap('1.layerNorm', 'linear'), tap('2.sigmoid', 'sigmoid')],
      [],
    );
    expect(withLayerNorm.vanishing.join()).toMatch(/add BatchNorm between/);
    expect(withLayerNorm.exploding.join()).not.toMatch(/BatchNorm or LayerNorm/);
    expect(remediesFor([layer('1.gamma')], [], []).exploding.join()).not.toMatch(/BatchNorm or LayerNorm/);
    const taps = [
      tap('0.dense', 'linear'),
      tap('1.layerNorm', 'linear'),
      tap('2.sigmoid', 'sigmoid'),
      tap('3.inner.1.dense', 'linear'),
      tap('3.residual', 'linear'),
    ];
    const residual = remediesFor([layer('0.kernel')], taps, []);
    expect(heads(residual.vanishing)).toEqual([
      'relu activations with heNormal initialization',
      'tanh instead of sigmoid, with glorotUniform initialization',
      'add BatchNorm between each dense layer and its activation',
    ]);
  });

  it('chainNames lists a chain’s parts and wrappers’ inner transformations; a factory is a typed error', () => {
    const wrapper: GradientTransformation = { ...named('applyIfFinite'), inner: chain(named('clipByGlobalNorm'), sgd({ learningRate: 0.1 })) };
    expect(chainNames(chain(named('monitorGradients'), wrapper))).toEqual(['chain', 'monitorGradients', 'applyIfFinite', 'chain', 'clipByGlobalNorm', 'sgd']);
    expect(() => chainNames(sgd as never)).toThrow(/factory/);
  });
});

describe('inspectGradients with the training transform', () => {
  it('an exploding report of a net trained with clipByGlobalNorm does not tell it to clip', async () => {
    const grads = { a: tf.fill([4, 4], 1e4), b: tf.fill([4, 4], 1) };
    const plain = await inspectGradients(grads);
    const clipped = await inspectGradients(grads, { transform: chain(named('clipByGlobalNorm'), sgd({ learningRate: 0.1 })) });
    expect(plain.verdict).toBe('exploding');
    expect(plain.findings[0]?.toTry[0]).toMatch(/^clip the gradients/);
    expect(clipped.verdict).toBe('exploding');
    expect(clipped.findings[0]?.toTry.join('\n')).not.toMatch(/clip/);
    tf.dispose(grads as unknown as tf.TensorContainer);
  });
});

describe('remediesFor: transformers and recurrent nets get the remedies their lab task confirms', () => {
  const layers = [layer('0.kernel'), layer('1.kernel')];
  // Tap names as transformerBlock and multiHeadAttention record them (packages/nn/src/transformer-block.ts).
  const postLn = ['0.dense', '1.attention.multiHeadAttention.logits', '1.attention.multiHeadAttention.probs', '1.norm1.layerNorm', '2.dense'];
  const preLn = ['0.dense', '1.norm1.layerNorm', '1.attention.multiHeadAttention.logits', '1.attention.multiHeadAttention.probs', '2.dense'];

  it('a Post-LN transformer: Pre-LN, a warm-up, a lower rate (gradient-lab --task transformer), no MLP remedy', () => {
    const r = remediesFor(
      layers,
      postLn.map((n) => tap(n, 'linear')),
      [],
    );
    expect(heads(r.vanishing)).toEqual(['Pre-LN blocks', 'a learning-rate warm-up', 'a lower learning rate']);
  });

  it('a Pre-LN transformer is not offered Pre-LN again', () => {
    const r = remediesFor(
      layers,
      preLn.map((n) => tap(n, 'linear')),
      [],
    );
    expect(heads(r.vanishing)).toEqual(['a learning-rate warm-up', 'a lower learning rate']);
  });

  it('a tanh RNN: a gated layer or IRNN (gradient-lab --task adding); an LSTM: nothing the lab confirms', () => {
    const rnn = remediesFor(layers, [tap('0.simpleRnn.t0', 'tanh'), tap('0.simpleRnn.t1', 'tanh'), tap('1.dense', 'linear')], []);
    expect(heads(rnn.vanishing)).toEqual(['a gated recurrent layer', 'IRNN']);
    // its saturated tanh steps too: no MLP remedy (relu + He, BatchNorm between dense layers)
    expect(heads(rnn.saturation)).toEqual(['a gated recurrent layer', 'IRNN']);
    const lstm = remediesFor(layers, [tap('0.lstm.t0', 'linear'), tap('0.lstm.t1', 'linear'), tap('1.dense', 'linear')], []);
    expect(lstm.vanishing).toEqual([]);
  });
});
