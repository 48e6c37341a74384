import { loadCheckpoint, Optimizer } from '@gradkit/core';
import { adam } from '@gradkit/optimizers';
import { expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { dense } from '../dense.js';
import { dropout } from '../dropout.js';
import { sequential } from '../sequential.js';
import { checkpoint } from './checkpoint.js';
import { fit } from './fit.js';
import { bytesOf, linearData, mse } from './test-support.js';

const net = (seed: number) =>
  sequential(
    dense({ inFeatures: 2, outFeatures: 6, activation: 'relu', seed }),
    dropout(0.3, { seed }),
    dense({ inFeatures: 6, outFeatures: 1, seed: seed + 1 }),
  );

/** A destination that keeps what is saved in memory, by the number of epochs done. */
function memory() {
  const saved = new Map<number, tf.io.ModelArtifacts>();
  const destination = (epoch: number) =>
    tf.io.withSaveHandler(async (artifacts) => {
      saved.set(epoch, artifacts);
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    });
  return { saved, destination };
}

describe('checkpoint', () => {
  it('resuming from a checkpoint (initialEpoch, same seed) continues bit for bit, dropout masks included', async () => {
    const data = linearData(24);
    const common = { loss: mse, data, validationSplit: 0.25, batchSize: 5, seed: 9, verbose: 0 as const };
    // Straight through: 4 epochs.
    const straight = net(1);
    const optA = new Optimizer(straight.params, adam({ learningRate: 0.02 }));
    const all = await fit({ ...common, model: straight, optimizer: optA, epochs: 4 });
    // Stopped after 2 epochs with a checkpoint every 2 …
    const first = net(1);
    const optB = new Optimizer(first.params, adam({ learningRate: 0.02 }));
    const { saved, destination } = memory();
    await fit({ ...common, model: first, optimizer: optB, epochs: 3, callbacks: [checkpoint({ destination, every: 2 })] });
    expect([...saved.keys()]).toEqual([2]);
    // … restored into a model made with another seed, and a fresh optimizer.
    const resumed = net(77);
    const optC = new Optimizer(resumed.params, adam({ learningRate: 0.02 }));
    const { metadata } = await loadCheckpoint(tf.io.fromMemory(saved.get(2) as tf.io.ModelArtifacts), { module: resumed, optimizer: optC });
    expect(metadata.epoch).toBe(2);
    const rest = await fit({ ...common, model: resumed, optimizer: optC, epochs: 4, initialEpoch: metadata.epoch as number });
    expect(rest.epoch).toEqual([2, 3]);
    expect(rest.loss).toEqual(all.loss.slice(2));
    expect(rest.valLoss).toEqual(all.valLoss?.slice(2));
    expect(await bytesOf(resumed)).toEqual(await bytesOf(straight));
    expect(optC.stepCount).toBe(optA.stepCount);
    for (const o of [optA, optB, optC]) o.dispose();
    for (const m of [straight, first, resumed]) m.dispose();
    tf.dispose(data);
  });

  it('saveBestOnly saves the epochs whose monitored log is the best so far; {epoch} in a path', async () => {
    const data = linearData(8);
    const model = dense({ inFeatures: 2, outFeatures: 1, seed: 1 });
    const { saved, destination } = memory();
    const logs: number[] = [];
    const fake = { onEpochEnd: () => undefined };
    // The loss falls every epoch with this learning rate: every epoch is a new best.
    await expectNoLeaks(() =>
      fit({
        model,
        loss: mse,
        optimizer: adam({ learningRate: 0.05 }),
        data,
        epochs: 3,
        batchSize: 8,
        verbose: 0,
        callbacks: [checkpoint({ destination, saveBestOnly: true, monitor: 'loss' }), fake, { onEpochEnd: (_e, l) => void logs.push(l.loss as number) }],
      }),
    );
    expect(logs[0] as number).toBeGreaterThan(logs[2] as number);
    expect([...saved.keys()]).toEqual([1, 2, 3]);
    const manifest = saved.get(3)?.modelTopology as { metadata: { epoch: number; logs: { loss: number } } };
    expect(manifest.metadata).toEqual({ epoch: 3, logs: { loss: logs[2] } });
    model.dispose();
    tf.dispose(data);
  });

  it('rejects bad options by name', () => {
    expect(() => checkpoint({ destination: '' })).toThrow(/destination/);
    expect(() => checkpoint({ destination: 'x', every: 0 })).toThrow(/every/);
    expect(() => checkpoint({ destination: 'x', monitor: 'loss' })).toThrow(/saveBestOnly/);
    expect(() => checkpoint({ filepath: 'x' } as never)).toThrow(/filepath/);
  });
});
