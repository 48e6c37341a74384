// The no-progress rule, on the reports of the case that found it: tfjs-examples' iris model made 8
// sigmoid layers of 10 units deep, fitted 10 epochs with Adam 0.01 by its user, stuck at the loss of
// the label frequencies (ln 3 = 1.0986) with first/last gradient ratios of 1.1e-3 to 2.1e-3: healthy by
// the vanishing rule (below 1e-3), though it learned nothing.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { constantLoss } from './probe-fit-data.js';
import type { GradientReport } from './report.js';
import { withNoProgress } from './stalled.js';
import { weightReport } from './test-support.js';
import { DEFAULT_THRESHOLDS } from './thresholds.js';

const report = (step: number, ratio: number): GradientReport => ({
  format: 'gradkit-gradient-report',
  version: 1,
  step,
  verdict: 'healthy',
  globalNorm: 0.1,
  firstLastRatio: ratio,
  layers: [weightReport('dense_Dense3/kernel', ratio * 0.08), weightReport('dense_Dense11/kernel', 0.08)],
  activations: [],
  findings: [],
  thresholds: DEFAULT_THRESHOLDS,
  backend: 'cpu',
});
const stuck = [report(0, 1.1e-3), report(50, 1.7e-3), report(95, 2.1e-3)];
const healthy = { verdict: 'healthy' as const, findings: [] };

describe('withNoProgress', () => {
  it('calls a fit stuck at the constant prediction with a 100× gradient decay vanishing, and says it made no progress', () => {
    const out = withNoProgress(healthy, stuck, 1.0977, Math.log(3), 100);
    expect(out.verdict).toBe('vanishing');
    expect(out.findings.map((f) => f.kind)).toEqual(['vanishing', 'noProgress']);
    expect(out.findings[0]?.where).toBe('dense_Dense3/kernel … dense_Dense11/kernel');
    expect(out.findings[0]?.what).toContain('(1.098 against 1.099 for a constant prediction)');
    expect(out.findings[0]?.what).toContain('0.0017× the last one'); // the lower middle of the later half (1.7e-3, 2.1e-3)
  });

  it('leaves a stalled fit without the decay as it was (a short budget or a small rate explain it as well)', () => {
    const flat = [report(0, 0.5), report(50, 0.6), report(95, 0.7)];
    expect(withNoProgress(healthy, flat, 1.0977, Math.log(3), 100)).toEqual(healthy);
  });

  it('adds the noProgress warning to a fit already vanishing', () => {
    const vanishing = { verdict: 'vanishing' as const, findings: [] };
    expect(withNoProgress(vanishing, stuck, 1.0977, Math.log(3), 100).findings.map((f) => [f.kind, f.severity])).toEqual([['noProgress', 'warning']]);
  });

  it('leaves a fit that learned (2% below the constant prediction or better), or with no constant loss known, as it was', () => {
    expect(withNoProgress(healthy, stuck, 0.97 * Math.log(3), Math.log(3), 100)).toEqual(healthy);
    expect(withNoProgress(healthy, stuck, 1.0977, undefined, 100)).toEqual(healthy);
    expect(withNoProgress({ verdict: 'nonfinite', findings: [] }, stuck, Number.NaN, Math.log(3), 100).verdict).toBe('nonfinite');
  });
});

describe('constantLoss', () => {
  it('is the entropy of the label frequencies for a cross-entropy (−Σ p ln p), worked by hand', async () => {
    // 3 samples of class 0, 1 of class 1: p = (3/4, 1/4); −(¾ ln ¾ + ¼ ln ¼) = 0.562335
    const y = tf.tensor2d([1, 0, 1, 0, 1, 0, 0, 1], [4, 2]);
    const x = tf.zeros([4, 3]);
    const ce = (p: tf.Tensor, t: tf.Tensor) => tf.mean(tf.neg(tf.sum(tf.mul(t, tf.log(p)), -1))) as tf.Scalar;
    expect(await constantLoss(ce, { x, y })).toBeCloseTo(0.562335, 5);
    const mse = (p: tf.Tensor, t: tf.Tensor) => tf.mean(tf.square(tf.sub(p, t))) as tf.Scalar;
    expect(await constantLoss(mse, { x, y })).toBeCloseTo(0.1875, 6); // the variance of each column, p(1 − p) = 3/16
    tf.dispose([x, y]);
  });
});
