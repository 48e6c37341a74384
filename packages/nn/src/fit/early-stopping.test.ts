import { HyperParameterError, setToZero } from '@gradkit/core';
import { sgd } from '@gradkit/optimizers';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { dense } from '../dense.js';
import type { FitRun } from './callbacks.js';
import { earlyStopping } from './early-stopping.js';
import { fit } from './fit.js';
import { linearData, mse } from './test-support.js';

/** A stand-in run over `model`, with the given log keys. */
const runOf = (model: ReturnType<typeof dense>, logKeys = ['loss', 'valLoss']): FitRun => ({
  model,
  optimizer: null as never,
  epochs: 100,
  initialEpoch: 0,
  stepsPerEpoch: 1,
  numSamples: 1,
  logKeys,
  history: { epoch: [], loss: [] },
  stopTraining: false,
});

/** Feeds `values` of valLoss to a fresh stopper, one epoch each, until it stops; the epoch it stopped at. */
async function stopsAt(values: number[], options: Parameters<typeof earlyStopping>[0]): Promise<number | null> {
  const model = dense({ inFeatures: 1, outFeatures: 1, seed: 1 });
  const stopper = earlyStopping(options);
  const run = runOf(model, ['loss', 'valLoss', 'accuracy']);
  stopper.onTrainBegin?.(run);
  for (const [epoch, v] of values.entries()) {
    await stopper.onEpochEnd?.(epoch, { loss: v, valLoss: v, accuracy: v }, run);
    if (run.stopTraining) break;
  }
  stopper.onTrainEnd?.(run.history, run);
  model.dispose();
  return stopper.stoppedEpoch;
}

describe('earlyStopping', () => {
  it('stops at the epoch worked out by hand (Keras rule: improvement means current < best − minDelta)', async () => {
    // best 1.0 (epoch 0); 0.8 < 0.98: best (1); 0.85: wait 1; 0.79 ≥ 0.78: wait 2 = patience → stop at 3.
    expect(await stopsAt([1.0, 0.8, 0.85, 0.79, 0.5], { patience: 2, minDelta: 0.02 })).toBe(3);
    // Without minDelta, 0.79 < 0.8 is an improvement: 0.85 wait 1, 0.79 best, 0.9 wait 1, 0.95 wait 2 → 5.
    expect(await stopsAt([1.0, 0.8, 0.85, 0.79, 0.9, 0.95, 0.1], { patience: 2 })).toBe(5);
    // patience 0: the first epoch that does not improve.
    expect(await stopsAt([3, 2, 2, 1], {})).toBe(2);
    // 'auto' watches accuracies upwards: 0.5, 0.7, 0.6 (wait 1) → stop at 2 with patience 1.
    expect(await stopsAt([0.5, 0.7, 0.6, 0.9], { monitor: 'accuracy', patience: 1 })).toBe(2);
    // A baseline to beat: nothing under 0.5, so the count starts at epoch 0.
    expect(await stopsAt([0.9, 0.8, 0.7], { baseline: 0.5, patience: 2 })).toBe(1);
    expect(await stopsAt([3, 2, 1], { patience: 1 })).toBeNull();
  });

  it('restoreBestWeights puts back the parameters of the best epoch when it stops', async () => {
    const model = dense({ inFeatures: 1, outFeatures: 1, seed: 1 });
    const stopper = earlyStopping({ patience: 1, restoreBestWeights: true });
    const run = runOf(model);
    stopper.onTrainBegin?.(run);
    const set = (w: number) => {
      const t = tf.tensor2d([[w]]);
      model.params.kernel.assign(t);
      t.dispose();
    };
    for (const [epoch, [w, loss]] of [
      [1, 0.5],
      [2, 0.3],
      [3, 0.4],
    ].entries()) {
      set(w as number);
      await stopper.onEpochEnd?.(epoch, { loss: 0, valLoss: loss as number }, run);
    }
    expect(stopper.stoppedEpoch).toBe(2);
    expect(stopper.bestEpoch).toBe(1);
    expect(Array.from(await model.params.kernel.data())).toEqual([2]);
    const before = tf.memory().numTensors;
    stopper.onTrainEnd?.(run.history, run);
    expect(tf.memory().numTensors).toBe(before - 2); // the kept kernel and bias
    model.dispose();
  });

  it('in fit: a loss that cannot improve stops after 1 + patience epochs', async () => {
    const data = linearData(8);
    const model = dense({ inFeatures: 2, outFeatures: 1, seed: 1 });
    const stopper = earlyStopping({ monitor: 'loss', patience: 2 });
    // setToZero: no update; without shuffling the same batches give the same loss, bit for bit, every
    // epoch: epoch 0 sets the best, epochs 1 and 2 do not improve on it, patience 2 is reached at 2.
    const history = await fit({ model, loss: mse, optimizer: setToZero(), data, epochs: 50, batchSize: 4, shuffle: false, verbose: 0, callbacks: [stopper] });
    expect(history.epoch).toEqual([0, 1, 2]);
    expect(stopper.stoppedEpoch).toBe(2);
    model.dispose();
    tf.dispose(data);
  });

  it("checks monitor against the fit's logs before the first step", async () => {
    const data = linearData(8);
    const model = dense({ inFeatures: 2, outFeatures: 1, seed: 1 });
    const kernel = Array.from(await model.params.kernel.data());
    const go = (monitor: string) =>
      fit({ model, loss: mse, optimizer: sgd({ learningRate: 0.1 }), data, epochs: 2, batchSize: 4, verbose: 0, callbacks: [earlyStopping({ monitor })] });
    await expect(go('valLoss')).rejects.toThrow(/no validation/);
    await expect(go('val_loss')).rejects.toThrow(HyperParameterError);
    await expect(go('los')).rejects.toThrow(/did you mean 'loss'/);
    expect(Array.from(await model.params.kernel.data())).toEqual(kernel);
    model.dispose();
    tf.dispose(data);
  });
});
