import { chain, GradkitError, HyperParameterError, registerSchedule, StateError, withConfig } from '@gradkit/core';
import { expectClose, expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { adam, adamw, scale, sgd, TransformOptimizer, toTfOptimizer } from './index.js';
import { disposeAll, FIXTURES, fitFor, saveToMemory, testDecay } from './tf-optimizer-fixtures.js';

// Reference: tfjs's own optimizers, in the same model.fit, from the same initial weights.
const x = () =>
  tf.tensor2d([
    [0, 1],
    [1, 0],
    [1, 1],
    [0.5, -1],
    [-1, 0.25],
    [2, 1],
  ]);
const y = () => tf.tensor2d([[1], [-1], [0.5], [2], [0], [-0.5]]);

function model(optimizer: tf.Optimizer): tfl.Sequential {
  const m = tfl.sequential({
    layers: [
      tfl.layers.dense({
        units: 3,
        inputShape: [2],
        activation: 'tanh',
        kernelInitializer: tfl.initializers.constant({ value: 0.3 }),
        biasInitializer: 'zeros',
      }),
      tfl.layers.dense({ units: 1, kernelInitializer: tfl.initializers.constant({ value: -0.2 }), biasInitializer: 'zeros' }),
    ],
  });
  m.compile({ optimizer, loss: 'meanSquaredError' });
  return m;
}

async function fitWeights<O extends tf.Optimizer>(optimizer: O, check?: (o: O) => void, callbacks?: tfl.CustomCallbackArgs): Promise<number[][]> {
  const m = model(optimizer);
  const [xs, ys] = [x(), y()];
  await m.fit(xs, ys, { epochs: 4, batchSize: 3, shuffle: false, verbose: 0, ...(callbacks ? { callbacks } : {}) });
  check?.(optimizer);
  const weights = await Promise.all(m.getWeights().map(async (w) => Array.from(await w.data())));
  tf.dispose([xs, ys]);
  m.dispose();
  optimizer.dispose();
  return weights;
}

describe('toTfOptimizer (tfjs-layers adapter)', () => {
  it('trains a tfjs-layers model with model.fit exactly like tf.train.momentum', async () => {
    const ours = await fitWeights(toTfOptimizer(sgd({ learningRate: 0.05, momentum: 0.9 })));
    const theirs = await fitWeights(tf.train.momentum(0.05, 0.9));
    for (const [i, w] of ours.entries()) await expectClose(w, theirs[i] as number[], { rtol: 1e-5, atol: 1e-6 });
    // and it did train
    expect(ours[0]?.some((v) => Math.abs(v - 0.3) > 1e-3)).toBe(true);
  });

  it('plain sgd matches tf.train.sgd, through the fused kernel', async () => {
    const opt = toTfOptimizer(sgd({ learningRate: 0.1 }));
    const ours = await fitWeights(opt, (o) => {
      expect(o.runner.lastStepPath).toBe('fused:GradkitSgd');
      expect(o.iterations).toBe(8);
    });
    const theirs = await fitWeights(tf.train.sgd(0.1));
    for (const [i, w] of ours.entries()) await expectClose(w, theirs[i] as number[], { rtol: 1e-5, atol: 1e-6 });
  });

  it('refuses gradients for another set of variables after its first step', () => {
    const a = tf.variable(tf.scalar(1));
    const b = tf.variable(tf.scalar(2));
    const opt = toTfOptimizer(sgd({ learningRate: 0.1 }));
    const ga = tf.scalar(1);
    opt.applyGradients({ [a.name]: ga });
    expect(() => opt.applyGradients({ [b.name]: ga })).toThrow(GradkitError);
    expect(() => opt.applyGradients({ [b.name]: ga })).toThrow(/bound to variables .* is missing/);
    opt.dispose();
    tf.dispose([a, b, ga]);
  });
});

describe('toTfOptimizer: runner', () => {
  it('throws a StateError saying when it exists before the first step, and is the runner after it', () => {
    const v = tf.variable(tf.tensor1d([1, 2]));
    const opt = toTfOptimizer(adam({ learningRate: 0.1 }));
    expect(() => opt.runner).toThrow(StateError);
    expect(() => opt.runner).toThrow(/first applyGradients/);
    const g = tf.tensor1d([0.5, -0.5]);
    opt.applyGradients([{ name: v.name, tensor: g }]);
    expect(opt.runner.stepCount).toBe(1);
    expect(Object.keys(opt.runner.params)).toEqual([v.name]); // a variable made outside tfjs-layers keeps its name
    opt.dispose();
    expect(() => opt.runner).toThrow(/dispose/);
    tf.dispose([v, g]);
  });
});

describe('toTfOptimizer: config', () => {
  it('getConfig holds the transformation with every hyper-parameter, and fromConfig rebuilds it', () => {
    const opt = toTfOptimizer(chain(scale(0.5), adamw({ learningRate: 3e-3, weightDecay: 0.02 })), { fused: false });
    const config = opt.getConfig();
    // adamw's other options at their defaults (PyTorch's AdamW: betas (0.9, 0.999), eps 1e-8, amsgrad False)
    expect(config).toEqual({
      transform: {
        chain: [
          { name: 'scale', factor: 0.5 },
          { name: 'adamw', learningRate: 3e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, amsgrad: false, weightDecay: 0.02 },
        ],
      },
      fused: false,
    });
    expect(tf.train.adam(0.1) instanceof TransformOptimizer).toBe(false); // not tf.Optimizer's duck typing
    const [cls, fromConfig] = tf.serialization.SerializationMap.getMap().classNameMap.GradkitTransformOptimizer ?? [];
    expect(cls).toBe(TransformOptimizer);
    const rebuilt = (fromConfig as typeof TransformOptimizer.fromConfig)(TransformOptimizer, { ...config, customObjects: {} }) as TransformOptimizer;
    expect(rebuilt).toBeInstanceOf(TransformOptimizer);
    expect(rebuilt.getConfig()).toEqual(config);
    opt.dispose();
    rebuilt.dispose();
  });

  it('writes a config with underscores as escaped JSON, so that tfjs-layers does not camel-case it on load', async () => {
    const constant = (o: Record<string, unknown>) => withConfig(() => o.value as number, { schedule: 'tf_optimizer_test_constant', value: o.value });
    registerSchedule('tf_optimizer_test_constant', constant, { replace: true });
    const m = model(toTfOptimizer(sgd({ learningRate: constant({ value: 0.1 }) })));
    expect(Object.keys(m.optimizer.getConfig())).toEqual(['transformJson']);
    const loaded = await tfl.loadLayersModel(tf.io.fromMemory(await saveToMemory(m)));
    expect(loaded.optimizer.getConfig()).toEqual(m.optimizer.getConfig());
    expect(JSON.parse(String(loaded.optimizer.getConfig().transformJson))).toEqual({
      name: 'sgd',
      learningRate: { schedule: 'tf_optimizer_test_constant', value: 0.1 },
      momentum: 0,
      dampening: 0,
      nesterov: false,
      weightDecay: 0,
    });
    disposeAll(m);
    disposeAll(loaded);
  });

  it('model.save fails with a HyperParameterError naming what cannot be written', async () => {
    const m = model(toTfOptimizer(sgd({ learningRate: (t: number) => 0.1 / (1 + t) })));
    await expect(saveToMemory(m)).rejects.toThrow(HyperParameterError);
    await expect(saveToMemory(m)).rejects.toMatchObject({ field: 'transform.learningRate' });
    await expect(saveToMemory(m, false)).resolves.toBeDefined(); // without the optimizer, it saves
    disposeAll(m);
  });
});

describe('toTfOptimizer: weights', () => {
  it('has only the step count before the first step, and hands back weights given before it', async () => {
    const dense = FIXTURES[0];
    if (!dense) throw new Error('no dense fixture');
    const trained = dense.build();
    trained.compile({ optimizer: toTfOptimizer(adam({ learningRate: 0.01 })), loss: 'meanSquaredError' });
    expect((await trained.optimizer.getWeights()).map((w) => w.name)).toEqual(['iter']);
    await fitFor(trained, dense, 1);
    const saved = await trained.optimizer.getWeights();
    expect(saved.map((w) => w.name)).toEqual([
      'iter',
      'gradkit:meta',
      'gradkit:state:mu.dense_Dense#1/kernel',
      'gradkit:state:mu.dense_Dense#1/bias',
      'gradkit:state:mu.dense_Dense#2/kernel',
      'gradkit:state:mu.dense_Dense#2/bias',
      'gradkit:state:nu.dense_Dense#1/kernel',
      'gradkit:state:nu.dense_Dense#1/bias',
      'gradkit:state:nu.dense_Dense#2/kernel',
      'gradkit:state:nu.dense_Dense#2/bias',
    ]);
    expect(await saved[0]?.tensor.data()).toEqual(new Int32Array([2]));

    const other = toTfOptimizer(adam({ learningRate: 0.01 }));
    await other.setWeights(saved);
    const again = await other.getWeights(); // before its first step: what it was given
    expect(again.map((w) => w.name)).toEqual(saved.map((w) => w.name));
    for (const [i, w] of again.entries())
      expect(Array.from(await w.tensor.data())).toEqual(Array.from(await (saved[i] as { tensor: tf.Tensor }).tensor.data()));
    expect(other.iterations).toBe(2);
    other.dispose();
    disposeAll(trained);
  });

  it('saves and loads a model that has not trained yet', async () => {
    const dense = FIXTURES[0];
    if (!dense) throw new Error('no dense fixture');
    const m = dense.build();
    m.compile({ optimizer: toTfOptimizer(adam({ learningRate: 0.01 })), loss: 'meanSquaredError' });
    const loaded = await tfl.loadLayersModel(tf.io.fromMemory(await saveToMemory(m)));
    expect(loaded.optimizer.iterations).toBe(0);
    await fitFor(loaded, dense, 1);
    expect((loaded.optimizer as TransformOptimizer).runner.stepCount).toBe(2);
    disposeAll(m);
    disposeAll(loaded);
  });

  it('leaks no tensors over saving and loading', async () => {
    const dense = FIXTURES[0];
    if (!dense) throw new Error('no dense fixture');
    const m = dense.build();
    m.compile({ optimizer: toTfOptimizer(adamw({ learningRate: 0.01 })), loss: 'meanSquaredError' });
    await fitFor(m, dense, 1);
    const artifacts = await saveToMemory(m); // the optimizer keeps the weights it handed out until its next getWeights
    await expectNoLeaks(() => saveToMemory(m), { what: 'model.save with the optimizer' });
    await expectNoLeaks(
      async () => {
        const loaded = await tfl.loadLayersModel(tf.io.fromMemory(artifacts));
        await fitFor(loaded, dense, 1);
        disposeAll(loaded);
      },
      { what: 'loadLayersModel, fit, dispose' },
    );
    disposeAll(m);
  });
});

describe('toTfOptimizer: learningRate', () => {
  it('setting it (a Keras-style rate callback) changes the rate and keeps the momentum, exactly as tf.train.momentum.setLearningRate', async () => {
    const halveAfterEpoch1 = (o: TransformOptimizer | tf.SGDOptimizer) => ({
      onEpochEnd: async (epoch: number) => {
        if (epoch !== 1) return;
        if (o instanceof TransformOptimizer) o.learningRate = 0.02;
        else o.setLearningRate(0.02);
      },
    });
    const ours = toTfOptimizer(sgd({ learningRate: 0.1, momentum: 0.9 }));
    const oursW = await fitWeights(ours, (o) => expect(o.getConfig()).toMatchObject({ transform: { learningRate: 0.02 } }), halveAfterEpoch1(ours));
    const theirs = tf.train.momentum(0.1, 0.9);
    const theirsW = await fitWeights(theirs, undefined, halveAfterEpoch1(theirs));
    for (const [i, w] of oursW.entries()) await expectClose(w, theirsW[i] as number[], { rtol: 1e-5, atol: 1e-6 });
    // without the change the weights differ: the test can fail
    const unchanged = await fitWeights(tf.train.momentum(0.1, 0.9));
    expect(oursW[0]?.some((v, i) => Math.abs(v - (unchanged[0]?.[i] as number)) > 1e-4)).toBe(true);
  });

  it('reads a constant, and a schedule at the current step', async () => {
    const opt = toTfOptimizer(adam({ learningRate: testDecay({ initial: 0.1, gamma: 0.5 }) }));
    expect(opt.learningRate).toBe(0.1);
    const v = tf.variable(tf.scalar(1));
    const g = tf.scalar(1);
    opt.applyGradients({ [v.name]: g });
    opt.applyGradients({ [v.name]: g });
    expect(opt.learningRate).toBeCloseTo(0.025, 12); // 0.1 · 0.5²
    expect(toTfOptimizer(sgd({ learningRate: 0.3 })).learningRate).toBe(0.3);
    opt.dispose();
    tf.dispose([v, g]);
  });

  it('refuses a scheduled rate, several rates, no rate, with a HyperParameterError naming learningRate', () => {
    const scheduled = toTfOptimizer(adam({ learningRate: testDecay({ initial: 0.1, gamma: 0.5 }) }));
    expect(() => {
      scheduled.learningRate = 0.01;
    }).toThrow(/is a schedule \(tfOptimizerTestDecay\)/);
    const two = toTfOptimizer(chain(sgd({ learningRate: 0.1 }), sgd({ learningRate: 0.2 })));
    expect(() => two.learningRate).toThrow(/2 parts have a learning rate \(sgd, sgd\)/);
    const none = toTfOptimizer(scale(-0.1));
    expect(() => none.learningRate).toThrow(HyperParameterError);
    for (const o of [scheduled, two, none]) o.dispose();
  });
});
