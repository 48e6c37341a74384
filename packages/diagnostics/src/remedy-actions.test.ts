import { UnknownOptionError } from '@gradkit/core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { asTarget } from './doctor-test-support.js';
import type { RemedyAction } from './doctor-types.js';
import { percentile, remedyAction, remedyActions } from './remedy-actions.js';
import { fakeDiagnosis, fakeModule, finding } from './remedy-test-support.js';

const net = (activation: string, kernelInitializer?: string) =>
  tfl.sequential({
    layers: [
      tfl.layers.dense({ units: 8, inputShape: [4], activation: activation as 'relu', name: 'h1', ...(kernelInitializer ? { kernelInitializer } : {}) }),
      tfl.layers.dense({ units: 8, activation: activation as 'relu', name: 'h2', ...(kernelInitializer ? { kernelInitializer } : {}) }),
      tfl.layers.dense({ units: 3, activation: 'softmax', name: 'out' }),
    ],
  });
const names = (a: readonly RemedyAction[]) => a.map((r) => r.name);
const byName = (a: readonly RemedyAction[], name: string) => a.find((r) => r.name === name) as RemedyAction;

describe('remedyActions', () => {
  it('sigmoid MLP, vanishing: relu-he, tanh-glorot, insert-batchnorm (not an adaptive optimizer, a larger rate or a schedule: the lab refutes them)', () => {
    const model = net('sigmoid');
    const actions = remedyActions(asTarget(model), fakeDiagnosis([finding('vanishing')]));
    expect(names(actions)).toEqual(['relu-he', 'tanh-glorot', 'insert-batchnorm']);
    expect(actions.every((a) => a.applicable && a.answers.includes('vanishing'))).toBe(true);
    expect(byName(actions, 'relu-he').params.layers).toEqual(['h1', 'h2']);
    expect(byName(actions, 'relu-he').code).toContain("kernelInitializer: 'heNormal'");
    expect(byName(actions, 'insert-batchnorm').code).toContain('tf.layers.batchNormalization()');
    model.dispose();
  });

  it('relu MLP with Glorot kernels, vanishing or dead units: He re-initialization of the relu layers, BatchNorm', () => {
    const model = net('relu');
    const both = remedyActions(asTarget(model), fakeDiagnosis([finding('vanishing', 'h1/kernel … out/kernel'), finding('deadUnits', 'h2/kernel')]));
    expect(names(both)).toEqual(['reinit-he', 'insert-batchnorm']);
    expect(byName(both, 'reinit-he').answers).toEqual(['vanishing', 'deadUnits']);
    // Vanishing names a range (first … last): every relu layer is re-initialized.
    expect(byName(both, 'reinit-he').params.layers).toEqual(['h1', 'h2']);
    // Dead units alone point at h2: only that layer is.
    const dead = remedyActions(asTarget(model), fakeDiagnosis([finding('deadUnits', 'h2/kernel')]));
    expect(byName(dead, 'reinit-he').params.layers).toEqual(['h2']);
    model.dispose();
  });

  it('relu MLP with He kernels: nothing to re-initialize', () => {
    const model = net('relu', 'heNormal');
    expect(names(remedyActions(asTarget(model), fakeDiagnosis([finding('vanishing')])))).toEqual(['insert-batchnorm']);
    model.dispose();
  });

  it('exploding: clipping at the 90th percentile of the measured norms, a re-initialization, normalization; no lower rate or warm-up', () => {
    const model = net('relu');
    const norms = [10, 1, 2, 3, 4, 5, 6, 7, 8, 9];
    const actions = remedyActions(asTarget(model), fakeDiagnosis([finding('exploding')], norms));
    expect(names(actions)).toEqual(['clip-global-norm', 'reinit-he', 'insert-batchnorm']);
    const clip = byName(actions, 'clip-global-norm');
    // numpy.percentile([1..10], 90) = 1 + 0.9 × 9 = 9.1
    expect(clip.params).toEqual({ maxNorm: 9.1, percentile: 90, measuredOver: 10 });
    expect(clip.title).toContain('90th percentile');
    expect(clip.code).toContain('chain(clipByGlobalNorm(9.1), adam({ learningRate: 0.001 }))');
    model.dispose();
  });

  it('update-size, spike, curvature and attention findings get the rate remedies, measured', () => {
    const model = net('relu', 'heNormal');
    const lower = remedyActions(asTarget(model), fakeDiagnosis([finding('largeUpdates')], [1], 0.01));
    expect(names(lower)).toEqual(['lower-lr']);
    expect(lower[0]?.params).toEqual({ learningRate: 0.001, from: 0.01 });
    expect(lower[0]?.code).toBe("model.compile({ optimizer: tf.train.adam(0.001), loss: 'categoricalCrossentropy' })");
    expect(names(remedyActions(asTarget(model), fakeDiagnosis([finding('smallUpdates')])))).toEqual(['raise-lr']);
    expect(names(remedyActions(asTarget(model), fakeDiagnosis([finding('lossSpike')])))).toEqual(['clip-global-norm', 'lower-lr']);
    expect(names(remedyActions(asTarget(model), fakeDiagnosis([finding('edgeOfStability')])))).toEqual(['lower-lr']);
    const warm = remedyActions(asTarget(model), fakeDiagnosis([finding('attentionLogitGrowth')]));
    expect(names(warm)).toEqual(['warmup', 'lower-lr']);
    // 10% of the budget of 100 steps, then cosine to step 100.
    expect(warm[0]?.params).toEqual({ peak: 0.001, warmupSteps: 10, decaySteps: 100 });
    model.dispose();
  });

  it('small updates in a vanishing net get the vanishing remedies, not a larger rate', () => {
    const model = net('sigmoid');
    expect(names(remedyActions(asTarget(model), fakeDiagnosis([finding('vanishing'), finding('smallUpdates')])))).not.toContain('raise-lr');
    model.dispose();
  });

  it('a SimpleRNN vanishing (through time or by depth): the gated layers, not the MLP remedies', () => {
    const model = tfl.sequential({
      layers: [tfl.layers.simpleRNN({ units: 4, inputShape: [6, 1], name: 'rnn', recurrentInitializer: 'glorotUniform' }), tfl.layers.dense({ units: 1 })],
    });
    const actions = remedyActions(asTarget(model), fakeDiagnosis([finding('vanishingThroughTime'), finding('vanishing')]));
    expect(names(actions)).toEqual(['gated-recurrence', 'gated-recurrence-lstm']);
    expect(actions[0]?.params).toEqual({ layers: ['rnn'], to: 'GRU' });
    expect(actions[1]?.code).toContain('tf.layers.lstm');
    model.dispose();
  });

  it('says why not: BatchNorm insertion in a functional model, tanh-glorot without sigmoid layers', () => {
    const input = tfl.input({ shape: [4] });
    const hidden = tfl.layers.dense({ units: 8, activation: 'sigmoid', name: 'f1' }).apply(input) as tfl.SymbolicTensor;
    const output = tfl.layers.dense({ units: 2, activation: 'softmax', name: 'fo' }).apply(hidden) as tfl.SymbolicTensor;
    const model = tfl.model({ inputs: input, outputs: output });
    const bn = byName(remedyActions(asTarget(model), fakeDiagnosis([finding('vanishing')])), 'insert-batchnorm');
    expect(bn.applicable).toBe(false);
    expect(bn.whyNot).toMatch(/not a Sequential.*batchNormalization/);
    const relu = net('relu');
    const tanhGlorot = remedyAction('tanh-glorot', asTarget(relu), fakeDiagnosis([]));
    expect(tanhGlorot.applicable).toBe(false);
    expect(tanhGlorot.whyNot).toContain('sigmoid');
    model.dispose();
    relu.dispose();
  });

  it('a healthy diagnosis gets no remedies', () => {
    const model = net('relu');
    expect(remedyActions(asTarget(model), fakeDiagnosis([]))).toEqual([]);
    model.dispose();
  });

  it('gradkit modules: the step remedies and re-initialization by path apply, the architecture edits say what to change', () => {
    const module = fakeModule([4, 8, 3]);
    const target = { module, loss: () => null as never };
    const actions = remedyActions(target, fakeDiagnosis([finding('exploding'), finding('vanishing')], [2, 4]));
    expect(byName(actions, 'clip-global-norm').code).toBe('chain(clipByGlobalNorm(3.8), adam({ learningRate: 0.001 }))');
    const reinit = byName(actions, 'reinit-glorot');
    expect(reinit.applicable).toBe(true);
    expect(reinit.params.paths).toEqual(['l0.kernel', 'l1.kernel']);
    const relu = byName(actions, 'relu-he');
    expect(relu.applicable).toBe(false);
    expect(relu.whyNot).toContain('heNormal');
    module.dispose();
  });

  it('remedyAction: an unknown name is an UnknownOptionError naming remedies, with the valid names', () => {
    const model = net('relu');
    expect(() => remedyAction('dropout', asTarget(model), fakeDiagnosis([]))).toThrow(UnknownOptionError);
    expect(() => remedyAction('dropout', asTarget(model), fakeDiagnosis([]))).toThrow(/remedies are clip-global-norm/);
    model.dispose();
  });

  it('percentile interpolates linearly between order statistics (numpy)', () => {
    expect(percentile([3, 1, 2], 50)).toBe(2);
    expect(percentile([1, 2, 3, 4], 90)).toBeCloseTo(3.7, 12); // 1 + 0.9 × 3 → between 3 and 4
    expect(percentile([5], 90)).toBe(5);
  });
});
