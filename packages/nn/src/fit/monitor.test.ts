import { flatten, valueAndGrad } from '@gradkit/core';
import { sgd } from '@gradkit/optimizers';
import { expectClose } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { dense } from '../dense.js';
import { sequential } from '../sequential.js';
import { fit } from './fit.js';
import type { GradientObservation, GradientObserver } from './options.js';
import { linearData, mse } from './test-support.js';

const net = () =>
  sequential(
    dense({ inFeatures: 2, outFeatures: 4, activation: 'relu', seed: 1, name: 'hidden' }),
    dense({ inFeatures: 4, outFeatures: 1, seed: 2, name: 'out' }),
  );

/** An observer that keeps copies of what it is shown (the originals are disposed after observe returns). */
function recorder() {
  const seen: {
    step: number;
    grads: Record<string, tf.Tensor>;
    tapNames: string[];
    tapGrads: number;
    committed: Promise<boolean>;
    loss: Promise<number>;
    learningRate: number | undefined;
  }[] = [];
  let flushed = 0;
  const observer: GradientObserver = {
    observe: async (o: GradientObservation) => {
      seen.push({
        step: o.step,
        grads: Object.fromEntries(flatten(o.grads).map((e) => [e.path, tf.clone(e.value)])),
        tapNames: Object.keys(o.taps),
        tapGrads: Object.values(o.taps).filter((t) => t.grad !== undefined).length,
        committed: o.committed,
        loss: o.loss,
        learningRate: o.learningRate,
      });
    },
    flush: async () => {
      flushed++;
    },
  };
  return { seen, observer, flushed: () => flushed };
}

describe('fit with a gradient monitor', () => {
  it('shows the monitor each chosen step: the gradients (as valueAndGrad gives them), the taps, the step, committed', async () => {
    const data = linearData(8);
    const model = net();
    const reference = net();
    const expected = valueAndGrad(() => mse(reference.apply(data.x), data.y))(reference.params);
    const { seen, observer, flushed } = recorder();
    const history = await fit({
      model,
      loss: mse,
      optimizer: sgd({ learningRate: 0.1 }),
      data,
      epochs: 5,
      batchSize: 8,
      shuffle: false,
      verbose: 0,
      monitor: observer,
      monitorEvery: 2,
    });
    expect(seen.map((s) => s.step)).toEqual([0, 2, 4]);
    expect(await Promise.all(seen.map((s) => s.committed))).toEqual([true, true, true]);
    expect(flushed()).toBe(1);
    // The loss of each observed step is the one the history logs (one batch per epoch: epochs 0, 2, 4), and the rate is sgd's.
    expect(await Promise.all(seen.map((s) => s.loss))).toEqual([0, 2, 4].map((epoch) => history.loss[epoch]));
    expect(seen.map((s) => s.learningRate)).toEqual([0.1, 0.1, 0.1]);
    await expectClose(await (seen[0]?.loss as Promise<number>), (await expected.value.data())[0] as number);
    // The taps of every module, input to output, each with its gradient.
    expect(seen[0]?.tapNames).toEqual(['0.hidden', '1.out']);
    expect(seen[0]?.tapGrads).toBe(2);
    // Step 0's gradients are those of the untrained model on the whole batch.
    const got = seen[0]?.grads ?? {};
    for (const { path, value } of flatten(expected.grads)) await expectClose(got[path] as tf.Tensor, value);
    tf.dispose([expected.value, expected.grads as tf.TensorContainer, seen.map((s) => s.grads), data]);
    model.dispose();
    reference.dispose();
  });
});
