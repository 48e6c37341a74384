import { HyperParameterError, map, TreeMismatchError, UnknownOptionError, valueAndGrad, withTaps } from '@gradkit/core';
import { expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_THRESHOLDS, type GradientReport, inspectGradients } from './index.js';
import { type Activation, batch, disposeParams, type Init, mlpLoss, mlpParams } from './test-support.js';

// The known cases (Glorot & Bengio 2010; He et al. 2015), on a 20-layer MLP (width 32) with a fixed
// 64×32 batch and 10 classes, softmax cross-entropy. Weights come from a seeded host PRNG, so every
// backend sees the same numbers.
const { x, y } = batch(7, 64, 32, 10);
const DEPTH = 20;

async function diagnose(activation: Activation, init: Init, scale = 1, seed = 1): Promise<GradientReport> {
  const params = mlpParams({ depth: DEPTH, width: 32, inputs: 32, outputs: 10, init, scale, seed });
  const { result, taps } = withTaps(valueAndGrad(mlpLoss(activation, x, y)))(params);
  try {
    return await inspectGradients(result.grads, { params, activations: taps });
  } finally {
    tf.dispose([result.value, result.grads as unknown as tf.TensorContainer, taps as unknown as tf.TensorContainer]);
    disposeParams(params);
  }
}

describe('inspectGradients: the known cases', () => {
  it('a 20-layer sigmoid MLP with U(±1/√n) weights is vanishing, and the finding says where and what to try', async () => {
    const r = await diagnose('sigmoid', 'uniform');
    expect(r.verdict).toBe('vanishing');
    // each sigmoid layer scales the backward signal by about √(1/3)·0.25 ≈ 0.14: 19 of them ≈ 1e-16
    expect(r.firstLastRatio).toBeLessThan(1e-10);
    expect(r.layers.map((l) => l.name).slice(0, 2)).toEqual(['layers.0.kernel', 'layers.0.bias']);
    expect(r.layers).toHaveLength(2 * DEPTH);
    expect(r.activations.every((a) => a.kind === 'sigmoid')).toBe(true);
    const f = r.findings[0];
    expect(f?.kind).toBe('vanishing');
    expect(f?.severity).toBe('error');
    expect(f?.where).toBe('layers.0.kernel … layers.19.kernel');
    expect(f?.what).toMatch(/first weight layer layers\.0\.kernel gets a gradient .*× the last one's \(layers\.19\.kernel/);
    // the remedies gradient-lab confirms for its deep sigmoid baseline (relu-he, tanh-glorot, batchnorm, residual), and not Adam (lab: adam, rmsprop)
    expect(f?.toTry).toEqual([
      expect.stringMatching(/^relu activations with heNormal initialization/),
      expect.stringMatching(/^tanh instead of sigmoid, with glorotUniform/),
      expect.stringMatching(/^add BatchNorm between each dense layer and its activation/),
      expect.stringMatching(/^residual blocks with LayerNorm/),
    ]);
    expect(f?.toTry.join('\n')).not.toMatch(/adam|rmsprop|adaptive/i);
    expect(f?.why).toMatch(/near the input receive almost no gradient/);
    // the taps agree: ‖∂L/∂h‖ shrinks from the last hidden layer to the first
    expect(r.findings.some((g) => g.kind === 'vanishing' && g.where === 'layers.0 … layers.18')).toBe(true);
  });

  it('the same depth with ReLU and He init is healthy', async () => {
    for (const seed of [1, 2]) {
      const r = await diagnose('relu', 'he', 1, seed);
      expect(r.verdict, JSON.stringify(r.findings)).toBe('healthy');
      expect(r.firstLastRatio).toBeGreaterThan(0.05);
      expect(r.firstLastRatio).toBeLessThan(20);
      expect(r.findings.filter((f) => f.severity === 'error')).toEqual([]);
      expect(r.activations.every((a) => a.kind === 'relu')).toBe(true);
    }
  });

  it('He init scaled ×2 is exploding, with clipping among the remedies', async () => {
    const r = await diagnose('relu', 'he', 2);
    expect(r.verdict).toBe('exploding');
    // every layer doubles the signal: the logits are ~2^20 and the gradients ~1e6
    expect(Math.max(...r.layers.map((l) => l.gradNorm))).toBeGreaterThan(DEFAULT_THRESHOLDS.explodingNorm);
    const f = r.findings[0];
    expect(f?.kind).toBe('exploding');
    expect(f?.what).toMatch(/above explodingNorm = 1000/);
    expect(f?.where).toMatch(/^layers\.\d+\.kernel$/);
    expect(f?.toTry.join('\n')).toMatch(/clipByGlobalNorm\(1\)/);
    expect(f?.toTry.join('\n')).toMatch(/heNormal for relu layers/);
    expect(f?.toTry.join('\n')).toMatch(/BatchNorm or LayerNorm/);
    // the lab refutes a lower learning rate and a warm-up for this net (exploding-lr, exploding-warmup diverge)
    expect(f?.toTry.join('\n')).not.toMatch(/learning rate|warm/);
    // ‖∂L/∂h‖ grows ~2× per layer toward the input
    expect(r.findings.some((g) => g.kind === 'exploding' && g.where === 'layers.0 … layers.18')).toBe(true);
  });

  it('a NaN in one layer’s gradient is nonfinite, naming that layer', async () => {
    const params = mlpParams({ depth: DEPTH, width: 32, inputs: 32, outputs: 10, init: 'he', seed: 1 });
    const { value, grads } = valueAndGrad(mlpLoss('relu', x, y))(params);
    const poisoned = tf.tidy(() => {
      const k = grads.layers[7]?.kernel as tf.Tensor;
      const mask = tf.buffer(k.shape, 'bool');
      mask.set(true, 3, 5);
      return tf.where(mask.toTensor(), tf.scalar(Number.NaN), k);
    });
    const patched = { layers: grads.layers.map((l, i) => (i === 7 ? { ...l, kernel: poisoned } : l)) };
    const r = await inspectGradients(patched, { params });
    expect(r.verdict).toBe('nonfinite');
    expect(r.layers[14]).toMatchObject({ name: 'layers.7.kernel', nonFinite: 1 });
    expect(r.layers.filter((l) => l.nonFinite > 0).map((l) => l.name)).toEqual(['layers.7.kernel']);
    const f = r.findings[0];
    expect(f?.kind).toBe('nonfinite');
    expect(f?.where).toBe('layers.7.kernel');
    expect(f?.what).toMatch(/1 of 1024 gradient values are NaN or ±Infinity in layers\.7\.kernel/);
    expect(f?.toTry.join('\n')).toMatch(/applyIfFinite/);
    tf.dispose([value, grads as unknown as tf.TensorContainer, poisoned]);
    disposeParams(params);
  });
});

describe('inspectGradients: rules and inputs', () => {
  const w = () => ({ layers: [0, 1, 2].map((i) => ({ kernel: tf.fill([4, 4], 10 ** -i * 0.1), bias: tf.zeros([4]) })) });

  it('thresholds are configurable: the same gradients are vanishing or healthy depending on vanishingRatio', async () => {
    const g = w(); // first/last = 0.1/0.001 = 100; reversed: 0.01
    const reversed = { layers: [...g.layers].reverse() };
    expect((await inspectGradients(reversed)).firstLastRatio).toBeCloseTo(0.01, 6);
    expect((await inspectGradients(reversed)).verdict).toBe('healthy');
    expect((await inspectGradients(reversed, { vanishingRatio: 0.05 })).verdict).toBe('vanishing');
    expect((await inspectGradients(g, { explodingRatio: 50 })).verdict).toBe('exploding');
    expect((await inspectGradients(g, { explodingNorm: 0.3 })).verdict).toBe('exploding');
    expect((await inspectGradients(g, { vanishingNorm: 1 })).verdict).toBe('vanishing');
    tf.dispose(g as unknown as tf.TensorContainer);
  });

  it('warns about large and small update-to-parameter ratios and dead units, without changing the verdict', async () => {
    const params = { a: tf.ones([4, 4]), b: tf.ones([4, 4]) };
    const grads = { a: tf.fill([4, 4], 0.1), b: tf.fill([4, 4], 0.1) };
    const updates = { a: tf.fill([4, 4], 0.5), b: tf.fill([4, 4], 1e-9) };
    const dead = tf.tensor2d([
      [0, 0, 1, 0],
      [0, 0, 2, 0],
    ]);
    const r = await inspectGradients(grads, { params, updates, activations: { relu1: dead } });
    expect(r.verdict).toBe('healthy');
    const kinds = r.findings.map((f) => [f.kind, f.where]);
    expect(kinds).toEqual([
      ['deadUnits', 'relu1'],
      ['largeUpdates', 'a'],
      ['smallUpdates', 'b'],
    ]);
    expect(r.findings[0]?.what).toMatch(/75\.0% of the units of relu1 are dead/);
    // with healthy gradients, the step size is the learning rate's (gradient-lab: large-lr and tiny-lr against relu-he)
    expect(r.findings[1]?.toTry).toEqual(['a lower learning rate: ‖u‖/‖θ‖ is proportional to it, and about 1e-3 is typical']);
    expect(r.findings[2]?.toTry).toEqual(['a higher learning rate: ‖u‖/‖θ‖ is proportional to it, and about 1e-3 is typical']);
    expect(r.findings[2]?.why).not.toMatch(/vanishing/);
    tf.dispose([params, grads, updates, dead] as unknown as tf.TensorContainer);
  });

  it('small updates of a vanishing net get the vanishing remedies, large ones of an exploding net the exploding remedies', async () => {
    // first layer ‖g‖ = 4e-6 against the last's 4: vanishing (ratio 1e-6 < 1e-3); its update is 1e-9 of its weights
    const params = { a: tf.ones([4, 4]), b: tf.ones([4, 4]) };
    const vanishingGrads = { a: tf.fill([4, 4], 1e-6), b: tf.fill([4, 4], 1) };
    const updates = { a: tf.fill([4, 4], 1e-9), b: tf.fill([4, 4], 1e-3) };
    const v = await inspectGradients(vanishingGrads, { params, updates, activations: { '1.relu': tf.ones([2, 4]) } });
    expect(v.verdict).toBe('vanishing');
    const small = v.findings.find((f) => f.kind === 'smallUpdates');
    expect(small?.toTry).toEqual(v.findings.find((f) => f.kind === 'vanishing')?.toTry);
    expect(small?.toTry.join('\n')).not.toMatch(/learning rate|adam|rmsprop/i); // refuted by the lab: schedule, adam
    expect(small?.why).toMatch(/Here they come with vanishing gradients/);
    // a gradient norm of 4000 > explodingNorm, and updates as large as the weights
    const explodingGrads = { a: tf.fill([4, 4], 1000), b: tf.fill([4, 4], 1000) };
    const big = { a: tf.fill([4, 4], 1), b: tf.fill([4, 4], 1) };
    const e = await inspectGradients(explodingGrads, { params, updates: big });
    expect(e.verdict).toBe('exploding');
    const large = e.findings.find((f) => f.kind === 'largeUpdates');
    expect(large?.toTry).toEqual(e.findings.find((f) => f.kind === 'exploding')?.toTry);
    expect(large?.toTry.join('\n')).not.toMatch(/learning rate/); // refuted by the lab: exploding-lr
    expect(large?.why).toMatch(/Here they come with exploding gradients/);
    tf.dispose([params, vanishingGrads, updates, explodingGrads, big] as unknown as tf.TensorContainer);
  });

  it('rejects trees that do not match, bad thresholds and bad kinds, naming what is wrong', async () => {
    const g = { a: tf.zeros([2]), b: tf.zeros([3]) };
    const p = { a: tf.zeros([2]), b: tf.zeros([4]) };
    await expect(inspectGradients(g, { params: { a: p.a } as never })).rejects.toThrow(TreeMismatchError);
    await expect(inspectGradients(g, { params: p })).rejects.toThrow(/gradient at 'b' has shape \[3\] but the parameter has shape \[4\]/);
    for (const [opts, field] of [
      [{ vanishingRatio: 0 }, 'vanishingRatio'],
      [{ explodingRatio: 0.5 }, 'explodingRatio'],
      [{ explodingNorm: Number.NaN }, 'explodingNorm'],
      [{ saturationMargin: 0.7 }, 'saturationMargin'],
      [{ trendReports: 1.5 }, 'trendReports'],
      [{ activationKinds: 'softmax' }, 'activationKinds'],
      [{ step: -1 }, 'step'],
    ] as const) {
      const e = await inspectGradients(g, opts as never).catch((err) => err);
      expect(e, field).toBeInstanceOf(HyperParameterError);
      expect((e as HyperParameterError).field).toBe(field);
    }
    await expect(inspectGradients({})).rejects.toThrow(/no tensors/);
    tf.dispose([g, p] as unknown as tf.TensorContainer);
  });

  it('pairs params, gradients and updates by key, whatever order their keys come in', async () => {
    // ‖g1‖ = 4, ‖g2‖ = 8; ‖θ1‖ = 2, ‖θ2‖ = 16; ‖u1‖ = 0.2, ‖u2‖ = 0.04 (4×4 constant fills: ‖·‖ = 4·value)
    const params = { w1: tf.fill([4, 4], 0.5), w2: tf.fill([4, 4], 4) };
    const grads = { w2: tf.fill([4, 4], 2), w1: tf.fill([4, 4], 1) };
    const updates = { w2: tf.fill([4, 4], 0.01), w1: tf.fill([4, 4], 0.05) };
    const r = await inspectGradients(grads, { params, updates });
    expect(r.layers.map((l) => l.name)).toEqual(['w1', 'w2']); // the parameters' order
    const [l1, l2] = r.layers;
    expect([l1?.gradNorm, l1?.paramNorm, l1?.updateNorm]).toEqual([4, 2, expect.closeTo(0.2, 6)]);
    expect([l2?.gradNorm, l2?.paramNorm, l2?.updateNorm]).toEqual([8, 16, expect.closeTo(0.04, 6)]);
    expect(l1?.updateRatio).toBeCloseTo(0.1, 6);
    expect(l2?.updateRatio).toBeCloseTo(0.0025, 6);
    tf.dispose([params, grads, updates] as unknown as tf.TensorContainer);
  });

  it('every option is checked: a mistyped threshold is an UnknownOptionError with the closest name', async () => {
    const g = { a: tf.ones([2, 2]) };
    const e = await inspectGradients(g, { explodingNrom: 10 } as never).catch((err) => err);
    expect(e).toBeInstanceOf(UnknownOptionError);
    expect((e as UnknownOptionError).field).toBe('explodingNrom');
    expect((e as UnknownOptionError).suggestion).toBe('explodingNorm');
    expect((e as Error).message).toMatch(/valid options: params, updates, activations, activationKinds, step, transform, vanishingRatio/);
    const kinds = await inspectGradients(g, { activations: { relu1: g.a }, activationKinds: { relu2: 'relu' } }).catch((err) => err);
    expect(kinds).toBeInstanceOf(UnknownOptionError);
    expect((kinds as Error).message).toMatch(
      /activationKinds: no tap is named 'relu2', in this observation or an earlier one \(did you mean 'relu1'\?\); taps without a kind: relu1/,
    );
    expect((kinds as UnknownOptionError).field).toBe('relu2');
    tf.dispose(g.a);
  });

  it('leaks no tensors (grads, params and taps of the 20-layer net)', async () => {
    await diagnose('relu', 'he'); // warm-up (kernels, gradient configs)
    const params = mlpParams({ depth: DEPTH, width: 32, inputs: 32, outputs: 10, init: 'he', seed: 3 });
    const vg = withTaps(valueAndGrad(mlpLoss('relu', x, y)));
    await expectNoLeaks(async () => {
      const { result, taps } = vg(params);
      const updates = map(result.grads, (g) => tf.mul(g, -0.01));
      await inspectGradients(result.grads, { params, updates, activations: taps });
      tf.dispose([result.value, result.grads, taps, updates] as unknown as tf.TensorContainer);
    });
    disposeParams(params);
  });

  afterAll(() => tf.dispose([x, y]));
});
