import type { ActivationReport, GradientReport } from '@gradkit/diagnostics';
import { expectClose, expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { attentionFromTaps, mergeAttention, temporalFromActivations, temporalOf } from './sequence-stats.js';

const tap = (name: string, gradNorm?: number): ActivationReport => ({
  name,
  kind: 'tanh',
  shape: [4, 8],
  units: 8,
  deadFraction: 0,
  saturationFraction: 0,
  mean: 0,
  std: 1,
  min: -1,
  max: 1,
  nonFinite: 0,
  ...(gradNorm === undefined ? {} : { gradNorm }),
});

describe('temporalFromActivations', () => {
  it('groups the step taps by layer, orders them by t, and gives first/last and the factor per step', () => {
    const profiles = temporalFromActivations([
      tap('0.lstm.t2', 0.1),
      tap('0.lstm.t0', 1e-3),
      tap('0.lstm', 0.1), // the layer's output, not a step
      tap('0.lstm.t1', 1e-2),
      tap('1.dense', 0.5),
      tap('2.gru.t0', 4),
      tap('2.gru.t1'), // no gradient recorded: left out
      tap('2.gru.t3', 2),
    ]);
    expect(profiles.map((p) => [p.layer, p.steps, p.gradNorm])).toEqual([
      ['0.lstm', [0, 1, 2], [1e-3, 1e-2, 0.1]],
      ['2.gru', [0, 3], [4, 2]],
    ]);
    // 1e-3 / 0.1 = 1e-2 over 2 steps back: 0.1 per step; the GRU grows back in time, 4/2 = 2.
    expectClose(profiles[0]?.firstLastRatio as number, 1e-2, { rtol: 1e-12 });
    expectClose(profiles[0]?.decayPerStep as number, 0.1, { rtol: 1e-12 });
    expect([profiles[1]?.firstLastRatio, profiles[1]?.decayPerStep]).toEqual([2, 2]);
  });
  it('leaves the ratio out when the last step has no gradient or a norm is not finite', () => {
    const [zero] = temporalFromActivations([tap('rnn.t0', 1), tap('rnn.t1', 0)]);
    const [nan] = temporalFromActivations([tap('rnn.t0', Number.NaN), tap('rnn.t1', 1)]);
    expect([zero?.firstLastRatio, zero?.decayPerStep, nan?.firstLastRatio]).toEqual([undefined, undefined, undefined]);
  });
  it("prefers the report's own profiles, and is undefined without step taps", () => {
    const base = { activations: [tap('0.simpleRnn.t0', 1), tap('0.simpleRnn.t1', 2)] } as unknown as GradientReport;
    const own = [{ layer: 'x', steps: [0], gradNorm: [1] }];
    expect(temporalOf({ ...base, temporal: own })).toBe(own);
    expect(temporalOf(base)?.[0]?.gradNorm).toEqual([1, 2]);
    expect(temporalOf({ ...base, activations: [tap('0.dense', 1)] })).toBeUndefined();
  });
});

describe('attentionFromTaps', () => {
  it('is the mean row entropy −Σ p log p of each .probs tap (0 log 0 = 0), with log(keys) as the maximum', async () => {
    // Rows: uniform over 2 keys (ln 2), one-hot (0), [0.25, 0.75] (−0.25 ln 0.25 − 0.75 ln 0.75 = 0.562335), uniform again.
    const probs = tf.tensor4d([0.5, 0.5, 1, 0, 0.25, 0.75, 0.5, 0.5], [1, 2, 2, 2]);
    const logits = tf.zeros([1, 2, 2, 2]);
    const other = tf.ones([1, 3]);
    const want = (2 * Math.LN2 + 0 + (-0.25 * Math.log(0.25) - 0.75 * Math.log(0.75))) / 4;
    await expectNoLeaks(async () => {
      const stats = await attentionFromTaps({
        '1.transformerBlock.attention.multiHeadAttention.logits': { activation: logits },
        '1.transformerBlock.attention.multiHeadAttention.probs': { activation: probs },
        '2.dense': { activation: other },
      });
      expect(stats.map((s) => s.layer)).toEqual(['1.transformerBlock.attention.multiHeadAttention']);
      expectClose(stats[0]?.entropy as number, want, { rtol: 1e-5 });
      expectClose(stats[0]?.maxEntropy as number, Math.LN2, { rtol: 1e-12 });
      expect(await attentionFromTaps({ '2.dense': { activation: other } })).toEqual([]);
    });
    tf.dispose([probs, logits, other]);
  });
});

describe('mergeAttention', () => {
  it("keeps the report's statistics and fills a missing or non-finite entropy from the taps", () => {
    const ours = [
      { layer: 'a', entropy: 0.5, maxEntropy: 1.3 },
      { layer: 'b', entropy: 0.7, maxEntropy: 1.3 },
    ];
    const report = [
      { layer: 'a', entropy: 0.4, maxEntropy: 1.3, logitMaxAbs: 9 },
      { layer: 'b', entropy: Number.NaN, maxEntropy: 1.3, logitMaxAbs: 60 },
      { layer: 'c', logitMaxAbs: 2 },
    ];
    expect(mergeAttention(report, ours)).toEqual([
      { layer: 'a', entropy: 0.4, maxEntropy: 1.3, logitMaxAbs: 9 },
      { layer: 'b', entropy: 0.7, maxEntropy: 1.3, logitMaxAbs: 60 },
      { layer: 'c', logitMaxAbs: 2 },
    ]);
    expect(mergeAttention(undefined, ours)).toBe(ours);
    expect(mergeAttention(report, undefined)).toEqual(report);
  });
});
