import { HyperParameterError, Optimizer, setToZero, ValueError } from '@gradkit/core';
import { adam, sgd } from '@gradkit/optimizers';
import { expectClose, expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it, vi } from 'vitest';
import { batches } from '../batches.js';
import { dense } from '../dense.js';
import { dropout } from '../dropout.js';
import { sequential } from '../sequential.js';
import { withSmallOutputMatMul } from '../test-support.js';
import type { FitCallback } from './callbacks.js';
import { fit } from './fit.js';
import { bytesOf, crossEntropy, linearData, mse } from './test-support.js';

const SLOW = 600_000; // SwiftShader (WebGPU on the CPU) takes ~0.15 s per step
const mlp = (seed: number, outFeatures = 2) =>
  sequential(dense({ inFeatures: 2, outFeatures: 8, activation: 'tanh', seed }), dropout(0.2, { seed }), dense({ inFeatures: 8, outFeatures, seed: seed + 1 }));

describe('fit', () => {
  it(
    'linear regression converges to the weights that made the data (y = 2a − 3b + 0.5)',
    () =>
      withSmallOutputMatMul(async () => {
        const data = linearData(64);
        const model = dense({ inFeatures: 2, outFeatures: 1, seed: 3 });
        const history = await fit({ model, loss: mse, optimizer: sgd({ learningRate: 0.1 }), data, epochs: 60, batchSize: 16, seed: 1, verbose: 0 });
        expect(history.epoch).toEqual(Array.from({ length: 60 }, (_, i) => i));
        expect(history.loss).toHaveLength(60);
        expect(history.loss.at(-1) as number).toBeLessThan(1e-8);
        await expectClose(model.params.kernel, [[2], [-3]], { atol: 1e-4 });
        await expectClose(model.params.bias as tf.Tensor, [0.5], { atol: 1e-4 });
        model.dispose();
        tf.dispose(data);
      }),
    SLOW,
  );

  it(
    'an MLP learns XOR: training accuracy 1',
    () =>
      withSmallOutputMatMul(async () => {
        const x = tf.tensor2d([
          [0, 0],
          [0, 1],
          [1, 0],
          [1, 1],
        ]);
        const y = tf.tensor1d([0, 1, 1, 0], 'int32');
        const model = sequential(dense({ inFeatures: 2, outFeatures: 8, activation: 'tanh', seed: 7 }), dense({ inFeatures: 8, outFeatures: 2, seed: 8 }));
        const history = await fit({
          model,
          loss: crossEntropy,
          optimizer: adam({ learningRate: 0.05 }),
          data: { x, y },
          validation: { x, y },
          epochs: 150,
          batchSize: 4,
          metrics: ['accuracy'],
          seed: 2,
          verbose: 0,
        });
        expect(history.accuracy?.at(-1)).toBe(1);
        expect(history.valAccuracy?.at(-1)).toBe(1);
        expect(history.valLoss?.at(-1) as number).toBeLessThan(0.05);
        model.dispose();
        tf.dispose([x, y]);
      }),
    SLOW,
  );

  it(
    'is the manual loop: bit-identical parameters and, as history, the sample-weighted mean of the batch losses',
    async () => {
      const data = linearData(20); // batchSize 6: batches of 6, 6, 6, 2
      const valX = tf.tensor2d([
        [0.5, -1],
        [2, 0.25],
        [-1, 1],
      ]);
      const valY = tf.tensor2d([[1], [0], [-2]]);
      const manual = mlp(11, 1);
      const fitted = mlp(11, 1);
      const opt = new Optimizer(manual.params, adam({ learningRate: 0.01 }));
      const loader = batches({ x: data.x, y: data.y }, { batchSize: 6, seed: 5 });
      const losses: number[] = [];
      const valLosses: number[] = [];
      for (let epoch = 0; epoch < 3; epoch++) {
        manual.train();
        let sum = 0;
        let n = 0;
        for (const batch of loader) {
          const value = await opt.minimize(() => mse(manual.apply(batch.x), batch.y));
          sum += value * (batch.x.shape[0] as number);
          n += batch.x.shape[0] as number;
          tf.dispose(batch);
        }
        losses.push(sum / n);
        // Validation by hand on the host: mean of (p − y)² over the 3 samples, in eval mode.
        manual.eval();
        const p = manual.apply(valX);
        const [pv, yv] = [await p.data(), await valY.data()];
        p.dispose();
        valLosses.push(Array.from(pv).reduce((s, v, i) => s + (v - (yv[i] as number)) ** 2, 0) / 3);
      }
      opt.dispose();
      fitted.eval(); // fit restores the mode it found
      const history = await fit({
        model: fitted,
        loss: mse,
        optimizer: adam({ learningRate: 0.01 }),
        data,
        validation: { x: valX, y: valY },
        epochs: 3,
        batchSize: 6,
        seed: 5,
        verbose: 0,
      });
      expect(fitted.training).toBe(false);
      expect(await bytesOf(fitted)).toEqual(await bytesOf(manual));
      expect(history.loss).toEqual(losses);
      await expectClose(history.valLoss as number[], valLosses, { rtol: 1e-5 });
      manual.dispose();
      fitted.dispose();
      tf.dispose([data, valX, valY]);
    },
    SLOW,
  );

  it('waits on the device once per batch: the loss and the metrics come back in one read', async () => {
    const data = linearData(12);
    const labels = tf.tensor1d([0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1], 'int32');
    const model = mlp(5);
    const reads = vi.spyOn(tf.Tensor.prototype, 'data');
    try {
      await fit({
        model,
        loss: crossEntropy,
        optimizer: sgd({ learningRate: 0.1 }),
        data: { x: data.x, y: labels },
        epochs: 1,
        batchSize: 4,
        metrics: ['accuracy'],
        seed: 1,
        verbose: 0,
      });
      expect(reads).toHaveBeenCalledTimes(3); // 3 batches, no validation
    } finally {
      reads.mockRestore();
    }
    model.dispose();
    tf.dispose([data, labels]);
  });

  it('trains in train() mode and validates in eval() mode', async () => {
    const data = linearData(8);
    const model = mlp(1, 1);
    const modes: string[] = [];
    const spy = (p: tf.Tensor, t: tf.Tensor) => {
      modes.push(model.training ? 'train' : 'eval');
      return mse(p, t);
    };
    const cb: FitCallback = { onBatchBegin: (_b, run) => void modes.push(`begin:${run.model.training}`) };
    await fit({ model, loss: spy, optimizer: sgd({ learningRate: 0.01 }), data, validation: data, epochs: 1, batchSize: 8, verbose: 0, callbacks: [cb] });
    // The probe (eval), the step (train), the validation (eval).
    expect(modes).toEqual(['eval', 'begin:true', 'train', 'eval']);
    expect(model.training).toBe(true);
    model.dispose();
    tf.dispose(data);
  });

  it('validationSplit holds out the last samples, before shuffling (Keras)', async () => {
    const data = linearData(10);
    const model = dense({ inFeatures: 2, outFeatures: 1, seed: 1 });
    const history = await fit({ model, loss: mse, optimizer: setToZero(), data, validationSplit: 0.3, epochs: 1, batchSize: 7, verbose: 0 });
    // No updates: the model is its initial self; valLoss is its loss on samples 7, 8, 9.
    const expected = tf.tidy(() => mse(model.apply(tf.slice(data.x, 7, 3)), tf.slice(data.y, 7, 3)));
    const trainLoss = tf.tidy(() => mse(model.apply(tf.slice(data.x, 0, 7)), tf.slice(data.y, 0, 7)));
    await expectClose(history.valLoss as number[], [(await expected.data())[0] as number], { rtol: 1e-6 });
    await expectClose(history.loss, [(await trainLoss.data())[0] as number], { rtol: 1e-6 });
    tf.dispose([expected, trainLoss, data]);
    model.dispose();
  });

  it('takes an Optimizer (kept, its state carried on) or a transformation (made and disposed)', async () => {
    const data = linearData(8);
    const model = dense({ inFeatures: 2, outFeatures: 1, seed: 1 });
    const opt = new Optimizer(model.params, adam({ learningRate: 0.01 }));
    await fit({ model, loss: mse, optimizer: opt, data, epochs: 2, batchSize: 4, verbose: 0 });
    expect(opt.stepCount).toBe(4);
    await fit({ model, loss: mse, optimizer: opt, data, epochs: 1, batchSize: 4, verbose: 0 });
    expect(opt.stepCount).toBe(6);
    const stray = new Optimizer({ w: tf.variable(tf.zeros([2, 1])) }, sgd({ learningRate: 0.1 }));
    await expect(fit({ model, loss: mse, optimizer: stray, data, epochs: 1, batchSize: 4, verbose: 0 })).rejects.toThrow(ValueError);
    opt.dispose();
    stray.dispose();
    tf.dispose([data, stray.params]);
    model.dispose();
  });

  it('a callback can stop training; it ends the epoch (logs, onEpochEnd) and returns', async () => {
    const data = linearData(8);
    const model = dense({ inFeatures: 2, outFeatures: 1, seed: 1 });
    const seen: string[] = [];
    const cb: FitCallback = {
      onTrainBegin: () => void seen.push('trainBegin'),
      onEpochBegin: (e) => void seen.push(`epochBegin ${e}`),
      onBatchEnd: (b, logs, run) => {
        seen.push(`batchEnd ${b} size ${logs.size}`);
        if (b === 0 && run.history.epoch.length === 1) run.stopTraining = true;
      },
      onEpochEnd: async (e) => {
        await new Promise((r) => setTimeout(r, 1));
        seen.push(`epochEnd ${e}`);
      },
      onTrainEnd: (h) => void seen.push(`trainEnd ${h.epoch.length}`),
    };
    const history = await fit({ model, loss: mse, optimizer: sgd({ learningRate: 0.01 }), data, epochs: 5, batchSize: 5, verbose: 0, callbacks: [cb] });
    expect(seen).toEqual([
      'trainBegin',
      'epochBegin 0',
      'batchEnd 0 size 5',
      'batchEnd 1 size 3',
      'epochEnd 0',
      'epochBegin 1',
      'batchEnd 0 size 5',
      'epochEnd 1',
      'trainEnd 2',
    ]);
    expect(history.epoch).toEqual([0, 1]);
    model.dispose();
    tf.dispose(data);
  });

  it("a NaN loss: a ValueError naming loss (default), or 'stop' after the epoch, or 'continue'", async () => {
    const data = linearData(8);
    let calls = 0;
    // The loss turns NaN from the third step on (the probe is call 0).
    const nanLater = (p: tf.Tensor, t: tf.Tensor) => (calls++ >= 3 ? tf.mul(mse(p, t), Number.NaN) : mse(p, t)) as tf.Scalar;
    const run = (onNonFiniteLoss?: 'stop' | 'continue') => {
      calls = 0;
      const model = dense({ inFeatures: 2, outFeatures: 1, seed: 1 });
      const done = fit({
        model,
        loss: nanLater,
        optimizer: sgd({ learningRate: 0.01 }),
        data,
        epochs: 4,
        batchSize: 4,
        verbose: 0,
        ...(onNonFiniteLoss ? { onNonFiniteLoss } : {}),
      });
      return done.finally(() => model.dispose());
    };
    const error = await run().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValueError);
    expect((error as ValueError).what).toBe('loss');
    expect((error as Error).message).toMatch(/NaN at epoch 2, batch 1/);
    const warn = console.warn;
    const warnings: unknown[] = [];
    console.warn = (...args: unknown[]) => void warnings.push(args);
    try {
      const stopped = await run('stop');
      expect(stopped.epoch).toEqual([0, 1]);
      expect(stopped.loss[1]).toBeNaN();
      expect(warnings).toHaveLength(1);
    } finally {
      console.warn = warn;
    }
    const continued = await run('continue');
    expect(continued.epoch).toEqual([0, 1, 2, 3]);
    tf.dispose(data);
  });

  it('checks the loss and the metrics on one batch before any step', async () => {
    const data = linearData(8);
    const model = dense({ inFeatures: 2, outFeatures: 1, seed: 1 });
    const before = await bytesOf(model);
    const perSample = (p: tf.Tensor, t: tf.Tensor) => tf.square(tf.sub(p, t)) as tf.Scalar;
    const began: number[] = [];
    const cb: FitCallback = { onTrainBegin: () => void began.push(1) };
    const e = await fit({ model, loss: perSample, optimizer: sgd({ learningRate: 0.1 }), data, epochs: 1, batchSize: 4, verbose: 0, callbacks: [cb] }).catch(
      (x: unknown) => x,
    );
    expect(e).toBeInstanceOf(ValueError);
    expect((e as ValueError).what).toBe('loss');
    expect((e as Error).message).toMatch(/shape \[4, 1\]/);
    const vector = function perRow(p: tf.Tensor) {
      return tf.sum(p, -1) as tf.Scalar;
    };
    const m = await fit({ model, loss: mse, optimizer: sgd({ learningRate: 0.1 }), data, epochs: 1, batchSize: 4, verbose: 0, metrics: [vector] }).catch(
      (x: unknown) => x,
    );
    expect((m as ValueError).what).toBe('metrics.perRow');
    expect(began).toEqual([]);
    expect(await bytesOf(model)).toEqual(before);
    await expect(fit({ model, loss: mse, optimizer: sgd({ learningRate: 0.1 }), data, epochs: 0, batchSize: 4 })).rejects.toThrow(HyperParameterError);
    model.dispose();
    tf.dispose(data);
  });

  it(
    'leaks nothing over 210 steps with validation, metrics, a monitor and callbacks',
    () =>
      withSmallOutputMatMul(async () => {
        const data = linearData(42);
        const labels = tf.tensor1d(
          Array.from({ length: 42 }, (_, i) => i % 2),
          'int32',
        );
        const model = mlp(4);
        const observed: number[] = [];
        const monitor = {
          observe: async (o: { step: number; committed: Promise<boolean> }) => {
            if (await o.committed) observed.push(o.step);
          },
          flush: async () => undefined,
        };
        await expectNoLeaks(
          () =>
            fit({
              model,
              loss: crossEntropy,
              optimizer: adam({ learningRate: 0.01 }),
              data: { x: data.x, y: labels },
              validationSplit: 0.25,
              epochs: 42,
              batchSize: 7,
              metrics: ['accuracy'],
              monitor,
              monitorEvery: 50,
              seed: 3,
              verbose: 0,
            }),
          { what: 'fit, 42 epochs of 5 steps' },
        );
        expect(observed).toEqual([0, 50, 100, 150, 200]);
        model.dispose();
        tf.dispose([data, labels]);
      }),
    SLOW,
  );
});
