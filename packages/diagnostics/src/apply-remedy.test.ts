import { ValueError } from '@gradkit/core';
import { expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { applyRemedy, savableOptimizer } from './apply-remedy.js';
import { asTarget, mlp, weightValues } from './doctor-test-support.js';
import type { LayersModelLike, RemedyAction } from './doctor-types.js';
import { chainNames } from './remedies.js';
import { remedyAction } from './remedy-actions.js';
import { fakeDiagnosis, fakeModule, finding } from './remedy-test-support.js';

const diagnosis = fakeDiagnosis([finding('vanishing')], [2, 4, 6, 8, 10]);
const settings = diagnosis.settings;
const action = (name: string, target: LayersModelLike | Parameters<typeof remedyAction>[1]) => remedyAction(name, target, diagnosis, ['vanishing']);
const model = (m: LayersModelLike) => m as unknown as tfl.LayersModel;
const transformOf = (o: unknown) => (o as { transform: Parameters<typeof chainNames>[0] }).transform;

describe('applyRemedy', () => {
  it("relu-he: a copy with relu + He hidden layers and the doctor's optimizer (gradkit's adam, as every trial); the original is unchanged", async () => {
    const original = mlp('sigmoid', 2, 8, 4, 3);
    const before = await weightValues(original);
    const { target, optimizer } = applyRemedy(asTarget(original), action('relu-he', asTarget(original)), settings);
    const copy = model(target as LayersModelLike);
    expect(copy).not.toBe(original);
    expect(copy.layers.map((l) => (l.getConfig() as { activation: string }).activation)).toEqual(['relu', 'relu', 'softmax']);
    expect(original.layers.map((l) => (l.getConfig() as { activation: string }).activation)).toEqual(['sigmoid', 'sigmoid', 'softmax']);
    expect((optimizer as unknown as { transform: { name: string } }).transform.name).toBe('adam');
    expect(await weightValues(original)).toEqual(before);
    // The output layer kept the original's weights; the switched layers are fresh.
    expect(await weightValues(copy).then((w) => w[4])).toEqual(before[4]);
    expect(await weightValues(copy).then((w) => w[0])).not.toEqual(before[0]);
    copy.dispose();
    (optimizer as tf.Optimizer).dispose();
    original.dispose();
  });

  it('is seeded: the same settings give the same fresh weights', async () => {
    const original = mlp('sigmoid', 2, 8, 4, 3);
    const a = applyRemedy(asTarget(original), action('relu-he', asTarget(original)), settings);
    const b = applyRemedy(asTarget(original), action('relu-he', asTarget(original)), settings);
    expect(await weightValues(model(a.target as LayersModelLike))).toEqual(await weightValues(model(b.target as LayersModelLike)));
    for (const r of [a, b]) {
      (r.target as LayersModelLike).dispose();
      (r.optimizer as tf.Optimizer).dispose();
    }
    original.dispose();
  });

  it('clip-global-norm: the same weights, trained by chain(clipByGlobalNorm(p90), adam) through toTfOptimizer', async () => {
    const original = mlp('relu', 1, 8, 4, 3);
    const clip = action('clip-global-norm', asTarget(original));
    expect(clip.params.maxNorm).toBe(9.2); // numpy.percentile([2, 4, 6, 8, 10], 90) = 8 + 0.6 × 2
    const { target, optimizer } = applyRemedy(asTarget(original), clip, settings);
    expect(chainNames(transformOf(optimizer))).toEqual(['chain', 'clipByGlobalNorm', 'adam']);
    expect(transformOf(optimizer).parts?.[0]?.options).toEqual({ maxNorm: 9.2 });
    expect(await weightValues(model(target as LayersModelLike))).toEqual(await weightValues(original));
    (target as LayersModelLike).dispose();
    (optimizer as tf.Optimizer).dispose();
    original.dispose();
  });

  it("lower-lr: the doctor's optimizer at a tenth of the rate; warmup: a schedule from 0", () => {
    const original = mlp('relu', 1, 8, 4, 3);
    const lower = applyRemedy(asTarget(original), action('lower-lr', asTarget(original)), settings);
    expect((lower.optimizer as unknown as { learningRate: number }).learningRate).toBeCloseTo(1e-4, 12);
    const warm = applyRemedy(asTarget(original), action('warmup', asTarget(original)), settings);
    expect(chainNames(transformOf(warm.optimizer))).toEqual(['adam']);
    expect((warm.optimizer as unknown as { learningRate: number }).learningRate).toBe(0); // step 0 of the warm-up
    for (const r of [lower, warm]) {
      (r.target as LayersModelLike).dispose();
      (r.optimizer as tf.Optimizer).dispose();
    }
    original.dispose();
  });

  it('gradkit module: a transformation for the step remedies; reinit writes seeded values by path', async () => {
    const module = fakeModule([4, 16, 3]);
    const target = { module, loss: (p: tf.Tensor, y: tf.Tensor) => tf.losses.meanSquaredError(y, p) };
    const clip = applyRemedy(target, remedyAction('clip-global-norm', target, diagnosis), settings);
    expect(clip.target).toBe(target);
    expect(chainNames(clip.optimizer as never)).toEqual(['chain', 'clipByGlobalNorm', 'adam']);
    const bias = Array.from(await module.params.l0!.bias.data());
    const reinit = remedyAction('reinit-he', target, diagnosis);
    expect(reinit.params.paths).toEqual(['l0.kernel', 'l1.kernel']);
    applyRemedy(target, { ...reinit, params: { paths: ['l0.kernel'] } }, settings);
    // He normal for a [4, 16] kernel: std √(2/4) = 0.707 (gradkit's heNormal is untruncated); 64 draws: within 25%.
    const k = Array.from(await module.params.l0!.kernel.data());
    const std = Math.sqrt(k.reduce((a, v) => a + v * v, 0) / k.length);
    expect(Math.abs(std / Math.SQRT1_2 - 1)).toBeLessThan(0.25);
    expect(Array.from(await module.params.l0!.bias.data())).toEqual(bias);
    module.dispose();
  });

  it('rejects, typed and before any copy: an action that does not apply, layers the model lacks, bad settings', async () => {
    const original = mlp('relu', 1, 8, 4, 3);
    const t = asTarget(original);
    const relu = action('relu-he', t);
    expect(relu.applicable).toBe(false);
    const count = tf.memory().numTensors;
    expect(() => applyRemedy(t, relu, settings)).toThrow(ValueError);
    expect(() => applyRemedy(t, { ...action('reinit-he', t), params: { layers: ['nope'] } }, settings)).toThrow(/no layer 'nope'/);
    expect(() => applyRemedy(t, { name: 'dropout' } as unknown as RemedyAction, settings)).toThrow(ValueError);
    expect(() => applyRemedy(t, action('reinit-he', t), { ...settings, optimizer: { ...settings.optimizer, learningRate: Number.NaN } })).toThrow(
      /settings.optimizer|learning rate/,
    );
    expect(tf.memory().numTensors).toBe(count);
    original.dispose();
  });

  it('the remedied copy saves and loads with tfjs-layers as it is (model.save, tf.loadLayersModel)', async () => {
    const original = mlp('sigmoid', 2, 8, 4, 3);
    for (const name of ['insert-batchnorm', 'relu-he']) {
      const { target, optimizer } = applyRemedy(asTarget(original), action(name, asTarget(original)), settings);
      const copy = model(target as LayersModelLike);
      let saved: tf.io.ModelArtifacts | undefined;
      await copy.save(
        tf.io.withSaveHandler(async (a) => {
          saved = a;
          return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
        }),
      );
      const loaded = await tfl.loadLayersModel(tf.io.fromMemory(saved as tf.io.ModelArtifacts));
      expect(loaded.layers.map((l) => l.getClassName())).toEqual(copy.layers.map((l) => l.getClassName()));
      expect(loaded.layers.map((l) => (l.getConfig() as { activation?: string }).activation)).toEqual(
        copy.layers.map((l) => (l.getConfig() as { activation?: string }).activation),
      );
      expect(await weightValues(loaded)).toEqual(await weightValues(copy));
      for (const m of [loaded, copy]) m.dispose();
      (optimizer as tf.Optimizer).dispose();
    }
    original.dispose();
  });

  it('leaves nothing behind once the copy and the optimizer are disposed', async () => {
    const original = mlp('sigmoid', 2, 8, 4, 3);
    for (const name of ['relu-he', 'insert-batchnorm', 'clip-global-norm', 'optimizer-adamw']) {
      await expectNoLeaks(() => {
        const r = applyRemedy(asTarget(original), action(name, asTarget(original)), settings);
        (r.target as LayersModelLike).dispose();
        (r.optimizer as tf.Optimizer).dispose();
      });
    }
    original.dispose();
  });
});

describe('savableOptimizer', () => {
  it("is tf.train's optimizer at the remedy's rate for a model or rate remedy, and none for one that needs gradkit parts", () => {
    const original = mlp('sigmoid', 2, 8, 4, 3);
    const relu = savableOptimizer(action('relu-he', asTarget(original)), settings);
    expect(relu?.getClassName()).toBe('Adam');
    const lower = savableOptimizer(action('lower-lr', asTarget(original)), settings);
    expect((lower?.getConfig() as { learningRate: number } | undefined)?.learningRate).toBeCloseTo(settings.optimizer.learningRate / 10, 12);
    expect(savableOptimizer(action('guard', asTarget(original)), settings)).toBeUndefined();
    relu?.dispose();
    lower?.dispose();
    original.dispose();
  });
});
