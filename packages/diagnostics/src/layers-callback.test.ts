import { HyperParameterError } from '@gradkit/core';
import { expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, describe, expect, it } from 'vitest';
import { GradientMonitor, type GradientReport, gradientCallback } from './index.js';
import { normals, seeded } from './test-support.js';

// A real tfjs-layers model.fit: 3 dense layers with fixed initial weights, 12 samples, batch 4
// (3 steps per epoch), 2 epochs = 6 optimizer steps.
const rng = seeded(99);
const xs = tf.tensor2d(normals(rng, 12 * 3), [12, 3]);
const ys = tf.tensor2d(normals(rng, 12 * 2), [12, 2]);

function model(): tfl.Sequential {
  const init = (v: number) => tfl.initializers.constant({ value: v });
  const m = tfl.sequential({
    layers: [
      tfl.layers.dense({ units: 4, inputShape: [3], activation: 'tanh', kernelInitializer: init(0.3), biasInitializer: 'zeros' }),
      tfl.layers.dense({ units: 4, activation: 'relu', kernelInitializer: init(-0.2), biasInitializer: init(0.1) }),
      tfl.layers.dense({ units: 2, kernelInitializer: init(0.25), biasInitializer: 'zeros' }),
    ],
  });
  m.compile({ optimizer: tf.train.sgd(0.1), loss: 'meanSquaredError' });
  return m;
}

/** Disposes a model and the optimizer it was compiled with (a tf.train optimizer passed in is not owned by the model). */
const disposeModel = (m: tfl.Sequential) => {
  m.optimizer.dispose();
  m.dispose();
};
const weightsOf = async (m: tfl.Sequential) => Promise.all(m.getWeights().map(async (w) => Array.from(await w.data())));
const fit = (m: tfl.Sequential, callbacks?: unknown) => m.fit(xs, ys, { epochs: 2, batchSize: 4, shuffle: false, verbose: 0, callbacks: callbacks as never });

describe('gradientCallback (tfjs-layers model.fit)', () => {
  it('reports every `every` optimizer steps, by variable name in layer order, with update ratios, and leaves training unchanged', async () => {
    const reports: GradientReport[] = [];
    const watched = model();
    const cb = gradientCallback({ model: watched, every: 2, onReport: (r) => reports.push(r) });
    const original = watched.optimizer.applyGradients;
    await fit(watched, cb);
    // onTrainEnd waited for the reports: all are in when fit resolves
    expect(reports.map((r) => r.step)).toEqual([0, 2, 4]);
    expect(cb.monitor.history).toHaveLength(3);
    const names = reports[0]?.layers.map((l) => l.name) ?? [];
    expect(names).toHaveLength(6);
    expect(names.map((n) => n.replace(/^.*\//, ''))).toEqual(['kernel', 'bias', 'kernel', 'bias', 'kernel', 'bias']);
    expect(names).toEqual(watched.trainableWeights.map((w) => (w.read() as tf.Variable).name)); // the tf.Variable names, input to output
    const k0 = reports[0]?.layers[0];
    expect(k0?.paramNorm).toBeGreaterThan(0);
    // sgd: the update is −lr·g, so ‖u‖/‖θ‖ = 0.1·‖g‖/‖θ‖
    expect(k0?.updateRatio).toBeCloseTo(0.1 * (k0?.gradToParam as number), 5);
    // the optimizer is restored, and the weights are exactly those of a fit without the callback
    expect(watched.optimizer.applyGradients).toBe(original);
    expect(Object.hasOwn(watched.optimizer, 'applyGradients')).toBe(false);
    const plain = model();
    await fit(plain);
    expect(await weightsOf(watched)).toEqual(await weightsOf(plain));
    disposeModel(watched);
    disposeModel(plain);
  });

  it('leaks no tensors over a monitored fit once it has resolved', async () => {
    const m = model();
    await fit(m); // warm-up: optimizer state, kernels
    const cb = gradientCallback({ model: m, every: 1 });
    await fit(m, cb); // warm-up of the callback path
    await expectNoLeaks(async () => {
      await fit(m, cb);
    });
    expect(cb.monitor.history).toHaveLength(12);
    disposeModel(m);
  });

  it('needs the model, and a compiled one', async () => {
    expect(() => gradientCallback({} as never)).toThrow(HyperParameterError);
    const m = model();
    expect(() => gradientCallback({ model: m, every: 0 })).toThrow(/every must be a whole number/);
    disposeModel(m);
    const bare = tfl.sequential({ layers: [tfl.layers.dense({ units: 1, inputShape: [1] })] });
    expect(() => gradientCallback({ model: bare }).onTrainBegin()).toThrow(/call model\.compile/);
    bare.dispose();
  });
});

describe('gradientCallback with tfjs-layers callbacks', () => {
  // Keras' EarlyStopping semantics: with minDelta 1e9 no epoch improves on the first, so with
  // patience 1 training stops after epoch 1 (2 epochs of 3 batches: 6 steps).
  const stopper = () => tfl.callbacks.earlyStopping({ monitor: 'loss', patience: 1, minDelta: 1e9 });

  it.each(['first', 'last'] as const)('mixes with earlyStopping in one list (gradientCallback %s): training stops, every step is reported', async (where) => {
    const m = model();
    const cb = gradientCallback({ model: m, every: 1 });
    const es = stopper();
    const history = await m.fit(xs, ys, { epochs: 10, batchSize: 4, shuffle: false, verbose: 0, callbacks: where === 'first' ? [cb, es] : [es, cb] });
    expect(history.epoch).toEqual([0, 1]);
    expect(cb.monitor.history.map((r) => r.step)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(Object.hasOwn(m.optimizer, 'applyGradients')).toBe(false);
    // and the weights are those of 2 plain epochs
    const plain = model();
    await plain.fit(xs, ys, { epochs: 2, batchSize: 4, shuffle: false, verbose: 0 });
    expect(await weightsOf(m)).toEqual(await weightsOf(plain));
    disposeModel(m);
    disposeModel(plain);
  });

  it('mixes with a callback config ({ onEpochEnd }), which tfjs-layers wraps with it', async () => {
    const m = model();
    const cb = gradientCallback({ model: m, every: 3 });
    const epochs: number[] = [];
    await fit(m, [cb, { onEpochEnd: async (epoch: number) => void epochs.push(epoch) }]);
    expect(epochs).toEqual([0, 1]);
    expect(cb.monitor.history.map((r) => r.step)).toEqual([0, 3]);
    disposeModel(m);
  });

  it('works in model.fitDataset, with earlyStopping first', async () => {
    const m = model();
    const cb = gradientCallback({ model: m, every: 1 });
    const dataset = {
      size: 3,
      iterator: async () => {
        let batch = 0;
        const next = async () => {
          if (batch === 3) return { value: null, done: true };
          const value = { xs: tf.slice(xs, 4 * batch, 4), ys: tf.slice(ys, 4 * batch, 4) };
          batch++;
          return { value, done: false };
        };
        return { next };
      },
    };
    const history = await m.fitDataset(dataset as never, { epochs: 10, verbose: 0, callbacks: [stopper(), cb] });
    expect(history.epoch).toEqual([0, 1]);
    expect(cb.monitor.history).toHaveLength(6);
    disposeModel(m);
  });

  it('given to the fit of another model after a tfjs-layers callback, throws a ValueError naming callbacks before training', async () => {
    const watched = model();
    const other = model();
    const cb = gradientCallback({ model: watched });
    const before = await weightsOf(other);
    await expect(fit(other, [stopper(), cb])).rejects.toMatchObject({ name: 'ValueError', what: 'callbacks' });
    expect(await weightsOf(other)).toEqual(before);
    disposeModel(watched);
    disposeModel(other);
  });

  it("leaves the model's fit as it was for every other list", async () => {
    const m = model();
    const a = gradientCallback({ model: m });
    const fitOnce = m.fit;
    const b = gradientCallback({ model: m });
    expect(m.fit).toBe(fitOnce); // wrapped once, however many callbacks the model gets
    expect(Object.hasOwn(m, 'fit')).toBe(true);
    const history = await fit(m, [stopper()]); // the arguments reach tfjs-layers unchanged
    expect(history.epoch).toEqual([0, 1]);
    for (const cb of [a, b]) cb.detach();
    disposeModel(m);
  });

  it('gives the model its own fit and fitDataset back once every gradientCallback of it is detached', async () => {
    const m = model();
    const ownFit = m.fit;
    expect(Object.hasOwn(m, 'fit')).toBe(false);
    const a = gradientCallback({ model: m });
    const b = gradientCallback({ model: m, every: 2 });
    a.detach();
    a.detach(); // idempotent
    expect(Object.hasOwn(m, 'fit')).toBe(true); // b is still live: [es, b] must still work
    const history = await m.fit(xs, ys, { epochs: 10, batchSize: 4, shuffle: false, verbose: 0, callbacks: [stopper(), b] });
    expect(history.epoch).toEqual([0, 1]);
    expect(b.monitor.history.map((r) => r.step)).toEqual([0, 2, 4]);
    b.detach();
    expect(Object.hasOwn(m, 'fit')).toBe(false);
    expect(Object.hasOwn(m, 'fitDataset')).toBe(false);
    expect(m.fit).toBe(ownFit);
    // a detached callback is done: a fit that gets it throws before training, and a new one continues its history
    await expect(fit(m, b)).rejects.toMatchObject({ name: 'StateError', path: 'callback' });
    const c = gradientCallback({ model: m, monitor: b.monitor, every: 2 });
    await fit(m, [c, stopper()]);
    expect(b.monitor.history.map((r) => r.step)).toEqual([0, 2, 4, 0, 2, 4]);
    c.detach();
    expect(Object.hasOwn(m, 'fit')).toBe(false);
    disposeModel(m);
  });

  it('puts back a fit the model had as its own property, and leaves alone one replaced since', () => {
    const m = model();
    const mine = function (this: unknown, ...args: unknown[]) {
      return tfl.LayersModel.prototype.fit.apply(this, args as never);
    };
    Object.defineProperty(m, 'fit', { value: mine, writable: true, configurable: true, enumerable: false });
    const cb = gradientCallback({ model: m });
    expect(m.fit).not.toBe(mine);
    cb.detach();
    expect(m.fit).toBe(mine);
    expect(Object.getOwnPropertyDescriptor(m, 'fit')?.enumerable).toBe(false);
    const again = gradientCallback({ model: m });
    const replaced = async () => ({}) as never;
    m.fit = replaced; // the user's, after the wrapper: detach keeps it
    again.detach();
    expect(m.fit).toBe(replaced);
    disposeModel(m);
  });

  it('takes onReport beside a given monitor (both are called), and monitor settings left undefined', async () => {
    const m = model();
    const seen: string[] = [];
    const monitor = new GradientMonitor({ onReport: (r) => seen.push(`monitor ${r.step}`) });
    const cb = gradientCallback({ model: m, monitor, every: 3, onReport: (r) => seen.push(`own ${r.step}`), historyLimit: undefined });
    await fit(m, cb);
    expect(seen).toEqual(['monitor 0', 'own 0', 'monitor 3', 'own 3']);
    expect(() => gradientCallback({ model: m, monitor, explodingNorm: 10 })).toThrow(expect.objectContaining({ field: 'explodingNorm' }));
    cb.detach();
    disposeModel(m);
  });

  afterAll(() => tf.dispose([xs, ys]));
});
