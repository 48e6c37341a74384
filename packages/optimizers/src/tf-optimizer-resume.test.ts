// End to end: a tfjs-layers model trained with model.fit, saved with its optimizer into memory, loaded
// into new model instances (new variable counters), trained on: bit for bit the weights of the run
// that was never interrupted.
import { chain, type GradientTransformation } from '@gradkit/core';
import { currentBackend } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { adam, adamw, addDecayedWeights, scaleByAdam, scaleByLearningRate, TransformOptimizer, toTfOptimizer } from './index.js';
import { bitsOf, disposeAll, FIXTURES, type Fixture, fitFor, optimizerWeightsIn, saveToMemory, testDecay } from './tf-optimizer-fixtures.js';

/** The transformation each model trains with: each has a scheduled rate (written to the file as its config). */
const TRANSFORMS: Record<Fixture['name'], () => GradientTransformation> = {
  dense: () => adamw({ learningRate: testDecay({ initial: 0.05, gamma: 0.8 }), weightDecay: 0.01 }),
  conv: () => chain(scaleByAdam({ beta2: 0.99 }), addDecayedWeights(1e-3), scaleByLearningRate(testDecay({ initial: 0.02, gamma: 0.9 }))),
  lstm: () => adam({ learningRate: testDecay({ initial: 0.03, gamma: 0.7 }) }),
};

// Epochs before the save and after it (2 batches an epoch).
const BEFORE = 2;
const AFTER = 2;

/** A new model with the given initial weights, compiled with a new optimizer for the fixture. */
function fresh(f: Fixture, init: tf.Tensor[], optimizer: tf.Optimizer = toTfOptimizer(TRANSFORMS[f.name]())): tfl.LayersModel {
  const m = f.build();
  m.setWeights(init);
  m.compile({ optimizer, loss: 'meanSquaredError' });
  return m;
}

// tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter kernel: the conv model cannot train there (another issue adds it).
const cannotTrain = (f: Fixture) => f.name === 'conv' && !tf.getKernel('Conv2DBackpropFilter', currentBackend());

describe.each(FIXTURES)('toTfOptimizer: save and resume a $name model', (f) => {
  it.skipIf(cannotTrain(f))(
    'loadLayersModel resumes bit for bit, and so does a re-created model given the optimizer weights',
    async () => {
      const template = f.build();
      const init = template.getWeights().map((w) => w.clone());
      template.dispose();

      // The run never interrupted.
      const straight = fresh(f, init);
      await fitFor(straight, f, BEFORE + AFTER);
      const expected = await bitsOf(straight);
      disposeAll(straight);

      // The interrupted run: trained, saved with its optimizer, thrown away.
      const first = fresh(f, init);
      await fitFor(first, f, BEFORE);
      const artifacts = await saveToMemory(first);
      const weightsAfterFirst = first.getWeights().map((w) => w.clone());
      const config = first.optimizer.getConfig();
      disposeAll(first);
      expect(artifacts.trainingConfig?.optimizer_config).toMatchObject({ class_name: 'GradkitTransformOptimizer' });
      expect(JSON.stringify(config)).toContain('tfOptimizerTestDecay'); // the schedule, as its config

      // 1. tf.loadLayersModel: the same layer names, so tfjs renames the variables (`kernel_1`).
      const loaded = await tfl.loadLayersModel(tf.io.fromMemory(artifacts));
      expect(loaded.optimizer).toBeInstanceOf(TransformOptimizer);
      expect(loaded.optimizer.getConfig()).toEqual(config);
      expect(loaded.getWeights().map((w) => (w as unknown as { name: string }).name)).toEqual(expect.arrayContaining([expect.stringMatching(/_1$/)]));
      await fitFor(loaded, f, AFTER);
      expect(await bitsOf(loaded)).toEqual(expected);
      expect(loaded.optimizer.iterations).toBe((BEFORE + AFTER) * 2);
      disposeAll(loaded);

      // 2. The architecture built again in code (new counters: dense_Dense7 …), given the weights and
      //    the optimizer weights before its first step.
      const rebuilt = fresh(f, weightsAfterFirst);
      const optimizerWeights = optimizerWeightsIn(artifacts);
      await rebuilt.optimizer.setWeights(optimizerWeights);
      tf.dispose(optimizerWeights.map((w) => w.tensor));
      await fitFor(rebuilt, f, AFTER);
      expect(await bitsOf(rebuilt)).toEqual(expected);
      disposeAll(rebuilt);

      // And the resumed run really moved: the weights after the save are not those before it.
      expect(await Promise.all(weightsAfterFirst.map(async (w) => Array.from(new Uint32Array(new Float32Array(await w.data()).buffer))))).not.toEqual(expected);
      tf.dispose([...init, ...weightsAfterFirst]);
    },
    120_000,
  );
});

describe('toTfOptimizer: state of another model', () => {
  it('a model of another architecture gets a StateError naming the parameter that differs, and changes nothing', async () => {
    const dense = FIXTURES[0] as Fixture;
    const template = dense.build();
    const init = template.getWeights().map((w) => w.clone());
    template.dispose();
    const first = fresh(dense, init);
    await fitFor(first, dense, 1);
    const artifacts = await saveToMemory(first);
    disposeAll(first);

    const wider = tfl.sequential({ layers: [tfl.layers.dense({ units: 5, inputShape: [3], activation: 'tanh' }), tfl.layers.dense({ units: 2 })] });
    wider.compile({ optimizer: toTfOptimizer(TRANSFORMS.dense()), loss: 'meanSquaredError' });
    const before = await bitsOf(wider);
    const weights = optimizerWeightsIn(artifacts);
    await wider.optimizer.setWeights(weights); // kept: the variables are not known yet
    tf.dispose(weights.map((w) => w.tensor));
    const [x, y] = dense.data();
    await expect(wider.fit(x, y, { epochs: 1, batchSize: 4, verbose: 0 })).rejects.toMatchObject({
      name: 'StateError',
      path: 'dense_Dense#1/kernel',
    });
    expect(await bitsOf(wider)).toEqual(before);
    tf.dispose([x, y, ...init]);
    disposeAll(wider);
  });
});
