// Forward activation statistics in the verdict, and why gradients are exactly zero (issue 15,
// "Precision, measured"): 10 ReLU layers at 4× He variance whose activations explode, trained with
// a loss that clips probabilities as tfjs-layers' categoricalCrossentropy does, get exactly zero
// gradients, which the gradient rules alone called "vanishing".
import { tap, valueAndGrad, withTaps } from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { forwardGrowth } from './forward.js';
import { type GradientReport, inspectGradients } from './index.js';
import type { ActivationReport } from './report.js';
import { diagnose } from './rules.js';
import { batch, disposeParams, type MlpParams, mlpParams, weightReport } from './test-support.js';
import { DEFAULT_THRESHOLDS } from './thresholds.js';

const { x, y } = batch(3, 64, 32, 10);
const EPSILON = 1e-7; // tfjs-layers' backend epsilon: categoricalCrossentropy clips probabilities to [ε, 1 − ε]

/** tfjs-layers' categoricalCrossentropy on softmax outputs: −Σ y·log(clip(p, ε, 1 − ε)), mean over the batch. */
const clippedCrossEntropy = (logits: tf.Tensor) =>
  tf.mean(tf.neg(tf.sum(tf.mul(y, tf.log(tf.clipByValue(tf.softmax(logits), EPSILON, 1 - EPSILON))), -1))) as tf.Scalar;

/** A 10-layer ReLU MLP (width 64), hidden outputs tapped as `layers.i`, with the clipped loss. */
const loss = (p: MlpParams) => {
  let h: tf.Tensor = x;
  p.layers.forEach(({ kernel, bias }, i) => {
    const z = tf.add(tf.matMul(h, kernel), bias);
    h = i === p.layers.length - 1 ? z : tap(tf.relu(z), `layers.${i}`);
  });
  return clippedCrossEntropy(h);
};

async function reluNet(scale: number): Promise<GradientReport> {
  // He: Var(w) = 2/fanIn; `scale` 2 multiplies every weight by 2, the variance by 4 (E[h²] ×4 per layer: the std doubles)
  const params = mlpParams({ depth: 10, width: 64, inputs: 32, outputs: 10, init: 'he', scale, seed: 5 });
  const { result, taps } = withTaps(valueAndGrad(loss))(params);
  try {
    return await inspectGradients(result.grads, { params, activations: taps });
  } finally {
    tf.dispose([result.value, result.grads as unknown as tf.TensorContainer, taps as unknown as tf.TensorContainer]);
    disposeParams(params);
  }
}

describe('explodingActivations: forward statistics are part of the verdict', () => {
  it('10 ReLU layers at 4× He variance: the std doubles per layer, the clipped loss has zero gradients, and the verdict is exploding, not vanishing', async () => {
    const r = await reluNet(2);
    // the std of layer k is about 2^k × layer 0's: 2^8 = 256 at layers.8 (> activationGrowth = 100)
    const stds = r.activations.map((a) => a.std);
    const ratio = (stds[8] as number) / (stds[0] as number);
    expect(ratio).toBeGreaterThan(100);
    expect(ratio).toBeLessThan(1000);
    // every weight gradient is exactly zero: the softmax is one-hot and the clip cuts the gradient
    expect(r.layers.every((l) => l.gradNorm === 0)).toBe(true);
    expect(r.verdict).toBe('exploding'); // the old rules: 'vanishing' (every gradient below vanishingNorm)
    const kinds = r.findings.map((f) => f.kind);
    expect(kinds).toContain('explodingActivations');
    expect(kinds).not.toContain('vanishing');
    const f = r.findings.find((g) => g.kind === 'explodingActivations');
    expect(f?.where).toMatch(/^layers\.0 … layers\.8$/);
    expect(f?.what).toMatch(/grows \d+× from the first tapped layer layers\.0/);
    const zero = r.findings.find((g) => g.kind === 'exploding');
    expect(zero?.what).toMatch(/below vanishingNorm .* while the activations explode/);
    expect(zero?.why).toMatch(/zero because the forward signal exploded/);
    const advice = r.findings.flatMap((g) => g.toTry).join('\n');
    expect(advice).toMatch(/variance-preserving initialization at scale 1/);
    expect(advice).not.toMatch(/sigmoid|higher learning rate/);
  });

  it('the same net at He scale 1 keeps its scale: no explodingActivations, healthy', async () => {
    const r = await reluNet(1);
    const growth = forwardGrowth(r.activations, DEFAULT_THRESHOLDS);
    expect(growth?.ratio).toBeLessThan(10);
    expect(r.findings.map((f) => f.kind)).not.toContain('explodingActivations');
    expect(r.verdict).toBe('healthy');
  });
});

const weight = weightReport;
const act = (name: string, kind: ActivationReport['kind'], over: Partial<ActivationReport> = {}): ActivationReport => ({
  name,
  kind,
  shape: [8, 4],
  units: 4,
  deadFraction: 0,
  saturationFraction: 0,
  mean: 0.5,
  std: 1,
  min: 0,
  max: 3,
  nonFinite: 0,
  ...over,
});
const zeroGrads = [weight('conv1/kernel', 0), weight('dense/kernel', 0)];
const base = { globalNorm: 0, thresholds: DEFAULT_THRESHOLDS, backend: 'cpu' };

describe('exactly zero gradients explained by the taps', () => {
  it('a saturated output whose clipped loss gives zero gradients (a rate far too high): exploding, a lower rate first, never a higher one', () => {
    const activations = [act('conv1', 'relu'), act('dense', 'sigmoid', { saturationFraction: 1, min: 0, max: 1 })];
    const r = diagnose({ ...base, layers: zeroGrads, activations, facts: { outputs: ['dense'] } });
    expect(r.verdict).toBe('exploding');
    const f = r.findings[0];
    expect(f?.kind).toBe('exploding');
    expect(f?.why).toMatch(/the output saturated and the loss clips/);
    expect(f?.toTry[0]).toMatch(/^a lower learning rate/);
    expect(r.findings.flatMap((g) => g.toTry).join('\n')).not.toMatch(/higher learning rate|sigmoid/);
    // the network's saturated output is not a saturation warning (a confident softmax is not a vanishing gradient)
    expect(r.findings.map((g) => g.kind)).not.toContain('saturation');
    // without knowing which tap is the output, the old reading stands: a saturated tap, vanishing
    const unknown = diagnose({ ...base, layers: zeroGrads, activations });
    expect(unknown.verdict).toBe('vanishing');
  });

  it('dead hidden units: vanishing because the units are dead, with the dead-unit remedies (no sigmoid advice, no higher rate)', () => {
    const activations = [act('conv1', 'relu', { deadFraction: 1, std: 0, max: 0 }), act('conv2', 'relu')];
    const updates = zeroGrads.map((l) => ({ ...l, paramNorm: 1, updateNorm: 0, updateRatio: 0 }));
    const r = diagnose({ ...base, layers: updates, activations });
    expect(r.verdict).toBe('vanishing');
    const f = r.findings[0];
    expect(f?.what).toMatch(/because 100\.0% of the units of conv1 are dead/);
    expect(f?.why).toMatch(/zero because the units are dead/);
    expect(f?.toTry[0]).toMatch(/^heNormal initialization at scale 1 for the relu layers/);
    // the zero updates are a symptom: the cause's remedies, not "a higher learning rate"
    const small = r.findings.find((g) => g.kind === 'smallUpdates');
    expect(small?.toTry).toEqual(f?.toTry);
    expect(r.findings.flatMap((g) => g.toTry).join('\n')).not.toMatch(/higher learning rate|sigmoid/);
  });

  it('saturated hidden units: vanishing because the units are saturated', () => {
    const activations = [act('gate', 'tanh', { saturationFraction: 0.9, min: -1, max: 1 })];
    const r = diagnose({ ...base, layers: zeroGrads, activations });
    expect(r.verdict).toBe('vanishing');
    expect(r.findings[0]?.why).toMatch(/zero because the units are saturated: a saturated tanh/);
  });
});

describe('explodingActivations: what a probe in inference mode cannot judge', () => {
  // Activations growing ×1000 from the first hidden layer to the third (flowing gradients).
  const growing = [act('conv1', 'relu', { std: 1 }), act('batch_normalization_BatchNormalization1', 'linear', { std: 1 }), act('conv2', 'relu', { std: 1000 })];
  const flowing = [weight('conv1/kernel', 0.1), weight('conv2/kernel', 0.1)];

  it('a tfjs-layers model without BatchNormalization: exploding', () => {
    expect(diagnose({ ...base, layers: flowing, activations: growing, facts: { dialect: 'layers' } }).verdict).toBe('exploding');
  });

  it('with BatchNormalization (probed with its moving statistics, not the batch’s): no forward finding', () => {
    const r = diagnose({ ...base, layers: flowing, activations: growing, facts: { dialect: 'layers', batchNorm: true } });
    expect(r.findings.map((f) => f.kind)).not.toContain('explodingActivations');
    expect(r.verdict).toBe('healthy');
  });

  it('the last tap alone above the threshold is the output (confident logits), not an explosion along depth', () => {
    // Measured on the lab's transformer trained by Muon to a loss of 1e-6: input projection std 0.215, the head's logits 22.
    const confident = [act('0.dense', 'linear', { std: 0.215 }), act('3.transformerBlock', 'linear', { std: 1.5 }), act('7.dense', 'linear', { std: 22 })];
    expect(forwardGrowth(confident, DEFAULT_THRESHOLDS)?.grown).toEqual([]);
    expect(diagnose({ ...base, layers: flowing, activations: confident }).findings.map((f) => f.kind)).not.toContain('explodingActivations');
    // A hidden layer above it as well: the signal grows with depth.
    const growing2 = [act('0.dense', 'relu', { std: 0.2 }), act('1.dense', 'relu', { std: 25 }), act('2.dense', 'linear', { std: 30 })];
    expect(forwardGrowth(growing2, DEFAULT_THRESHOLDS)?.grown.map((a) => a.name)).toEqual(['1.dense', '2.dense']);
    expect(diagnose({ ...base, layers: flowing, activations: growing2 }).verdict).toBe('exploding');
    // The last tap alone, but after an activation (a hidden layer, the output not tapped): exploding.
    const lastHidden = [...confident.slice(0, 2), act('7.relu', 'relu', { std: 22 })];
    expect(diagnose({ ...base, layers: flowing, activations: lastHidden }).verdict).toBe('exploding');
  });

  it('a tfjs-layers normalization output (numbered name) is not a layer whose growth counts', () => {
    const g = forwardGrowth([act('dense', 'relu', { std: 1 }), act('layer_normalization_LayerNormalization2', 'linear', { std: 500 })], DEFAULT_THRESHOLDS);
    expect(g).toBeUndefined();
  });
});
