import { currentBackend, expectNoLeaks, smallOutputMatMul } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { asTarget, classification, firstStepTask, mlp, simpleRnn, weightValues } from './doctor-test-support.js';
import { diagnoseModel, toHTML, toJSON } from './index.js';
import { NONFINITE_PATIENCE } from './probe-fit.js';

// Models with known behaviour (measured on cpu: see the report of issue 17): an 8×16 sigmoid MLP with
// the default Glorot init has ‖g_first‖/‖g_last‖ ≈ 1e-5 at every report (vanishing); a 3×16 relu MLP
// ≈ 1–2 (healthy); a tanh SimpleRNN over 60 steps has ‖∂L/∂x₀‖/‖∂L/∂x₅₉‖ ≈ 6e-6 (vanishing through time).
/** WebGPU runs on SwiftShader in CI (a report of these models takes seconds there): shorter fits, fewer reports. */
const webgpu = currentBackend() === 'webgpu';

describe('diagnoseModel (tfjs-layers)', () => {
  smallOutputMatMul();
  it('finds the deep sigmoid MLP vanishing, trains with its compiled loss, and leaves the model as it was', async () => {
    const data = classification(1, 128, 8, 3);
    const model = mlp('sigmoid', 8, 16, 8, 3);
    const optimizer = tf.train.adam(0.05);
    model.compile({ optimizer, loss: 'categoricalCrossentropy' });
    await model.trainOnBatch(data.x, data.y); // the user's optimizer has a state (Adam's moments) the doctor must not touch
    const optimizerState = async () => Promise.all((await optimizer.getWeights()).map(async (w) => [w.name, Array.from(await w.tensor.data())]));
    const before = await weightValues(model);
    const stateBefore = await optimizerState();
    const budget = webgpu ? 4 : 40;
    const d = await diagnoseModel(asTarget(model), { data, budget, optimizer: 'rmsprop', ...(webgpu ? { every: 2 } : {}) });
    expect(d.verdict).toBe('vanishing');
    expect(d.findings[0]?.kind).toBe('vanishing');
    // named as in the user's model (the probe fit's copy has tfjs-layers' unique names, `…/kernel_1`)
    const own = new Set(model.trainableWeights.map((w) => w.name));
    expect(d.reports[0]?.layers.every((l) => own.has(l.name))).toBe(true);
    expect(d.findings[0]?.where).toBe(`${model.trainableWeights[0]?.name} … ${model.trainableWeights.at(-2)?.name}`);
    expect(d.reports).toHaveLength(webgpu ? 2 : 20); // every = 40 / 20 = 2 by default
    expect(d.reports.every((r) => (r.firstLastRatio as number) < 1e-3)).toBe(true);
    expect(d.losses).toHaveLength(budget);
    expect(d.settings).toMatchObject({
      loss: { value: 'categoricalCrossentropy', source: 'compiled' },
      optimizer: { value: 'rmsprop', learningRate: 1e-3, source: 'option' },
    });
    expect(Number.isFinite(d.initialLoss) && Number.isFinite(d.finalLoss)).toBe(true);
    // the model: same weights, same optimizer object with the same state, same compiled loss, its own fit
    expect(await weightValues(model)).toEqual(before);
    expect(model.optimizer).toBe(optimizer);
    expect(await optimizerState()).toEqual(stateBefore);
    expect(model.loss).toBe('categoricalCrossentropy');
    expect(Object.hasOwn(model, 'fit')).toBe(false);
    expect(Object.hasOwn(optimizer, 'applyGradients')).toBe(false);
    model.dispose();
    optimizer.dispose();
    tf.dispose([data.x, data.y]);
  });

  it('finds the small relu MLP healthy, with the compiled optimizer, the same losses on the same batches, and no leaks', async () => {
    const data = classification(1, 128, 8, 3);
    const model = mlp('relu', 3, 16, 8, 3);
    const optimizer = tf.train.adam(0.01);
    model.compile({ optimizer, loss: 'categoricalCrossentropy' });
    const options = { data, ...(webgpu ? { budget: 4, every: 2 } : { budget: 40 }) };
    const first = await diagnoseModel(asTarget(model), options);
    expect(first.verdict).toBe('healthy');
    expect(first.findings).toEqual([]);
    expect(first.settings.optimizer).toEqual({ value: 'adam', learningRate: 0.01, source: 'compiled' });
    expect(first.finalLoss).toBeLessThan((webgpu ? 0.95 : 0.8) * first.initialLoss);
    const second = await expectNoLeaks(() => diagnoseModel(asTarget(model), options), { what: 'diagnoseModel' });
    expect(second.losses).toEqual(first.losses);
    expect(second.finalLoss).toBe(first.finalLoss);
    if (!webgpu) {
      const reseeded = await diagnoseModel(asTarget(model), { ...options, seed: 1 });
      expect(reseeded.losses).not.toEqual(first.losses);
      expect(reseeded.initialLoss).toBe(first.initialLoss); // the same model evaluated the same way
    }
    model.dispose();
    optimizer.dispose();
    tf.dispose([data.x, data.y]);
  });

  it('finds a tanh SimpleRNN over 60 steps vanishing through time, measured as ∂L/∂xₜ', async () => {
    const data = firstStepTask(2, webgpu ? 32 : 64, 60);
    const model = simpleRnn(60, 8);
    const d = await diagnoseModel(asTarget(model), { data, budget: webgpu ? 1 : 20, every: 5 });
    expect(d.settings.loss).toMatchObject({ value: 'binaryCrossentropy', source: 'inferred' });
    expect(d.settings.loss.why).toContain(model.layers[1]?.name);
    expect(d.verdict).toBe('vanishing');
    const f = d.findings.find((x) => x.kind === 'vanishingThroughTime');
    expect(f?.what).toContain('∂L/∂xₜ');
    expect(f?.what).not.toContain('∂L/∂hₜ ');
    expect(f?.toTry.join(' ')).toContain('tf.layers.gru');
    const profile = d.reports[0]?.temporal?.[0];
    expect(profile?.layer).toBe(model.layers[0]?.name);
    expect(profile?.of).toBe('input');
    expect(profile?.steps).toHaveLength(60);
    expect(profile?.firstLastRatio).toBeLessThan(1e-3);
    expect(toHTML(d.reports)).toContain('∂L/∂xₜ'); // the reports render (the CLI writes them)
    expect(JSON.parse(toJSON(d.reports))).toHaveLength(d.reports.length);
    expect(d.reports.map((r) => r.step)).toEqual(webgpu ? [0] : [0, 5, 10, 15]);
    model.dispose();
    tf.dispose([data.x, data.y]);
  });

  it('ends a fit that turns NaN with verdict nonfinite after NONFINITE_PATIENCE steps in a row, without throwing', async () => {
    const rng = classification(3, 64, 4, 2);
    const y = tf.mul(rng.y, 1e3);
    const model = tfl.sequential({ layers: [tfl.layers.dense({ units: 16, inputShape: [4], activation: 'relu' }), tfl.layers.dense({ units: 2 })] });
    const d = await diagnoseModel(asTarget(model), { data: { x: rng.x, y }, budget: 30, optimizer: 'sgd', learningRate: 10 });
    expect(d.settings.loss).toMatchObject({ value: 'meanSquaredError', source: 'inferred' });
    expect(d.verdict).toBe('nonfinite');
    expect(d.findings[0]?.kind).toBe('nonfinite');
    expect(d.losses.length).toBeLessThan(30);
    expect(Number.isFinite(d.losses[d.losses.length - 1])).toBe(false);
    expect(Number.isFinite(d.finalLoss)).toBe(false);
    expect(d.spikes.nonFiniteSteps).toBe(NONFINITE_PATIENCE); // the weights are NaN: every step after the first is too
    expect(d.losses.slice(-NONFINITE_PATIENCE).every((l) => !Number.isFinite(l))).toBe(true);
    model.dispose();
    tf.dispose([rng.x, rng.y, y]);
  });
});
