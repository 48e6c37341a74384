import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { type FitStepsOptions, fitSteps } from './fit-steps.js';
import { expectHyperError } from './test-utils.js';

/** The optimizer steps a real tfjs-layers `model.fit` takes: its onBatchEnd calls (one per batch, one step each). */
async function batchesOfRealFit(o: FitStepsOptions): Promise<number> {
  const model = tfl.sequential({ layers: [tfl.layers.dense({ units: 1, inputShape: [2], kernelInitializer: 'zeros' })] });
  model.compile({ optimizer: tf.train.sgd(0.01), loss: 'meanSquaredError' });
  const xs = tf.zeros([o.samples, 2]);
  const ys = tf.zeros([o.samples, 1]);
  let batches = 0;
  await model.fit(xs, ys, {
    ...(o.batchSize !== undefined ? { batchSize: o.batchSize } : {}),
    ...(o.epochs !== undefined ? { epochs: o.epochs } : {}),
    ...(o.validationSplit !== undefined ? { validationSplit: o.validationSplit } : {}),
    ...(o.initialEpoch !== undefined ? { initialEpoch: o.initialEpoch } : {}),
    shuffle: false,
    verbose: 0,
    callbacks: { onBatchEnd: async () => void batches++ },
  });
  model.optimizer.dispose();
  model.dispose();
  tf.dispose([xs, ys]);
  return batches;
}

describe('fitSteps (the optimizer steps of a tfjs-layers model.fit)', () => {
  it('hand-worked: 1000 samples, batch 32, 3 epochs → 3 · ⌈1000/32⌉ = 3 · 32 = 96; defaults batch 32, 1 epoch', () => {
    expect(fitSteps({ samples: 1000, batchSize: 32, epochs: 3 })).toBe(96);
    expect(fitSteps({ samples: 1000 })).toBe(32);
    expect(fitSteps({ samples: 64, batchSize: 64 })).toBe(1);
    // 90 samples, validationSplit 0.3: tfjs trains on ⌊90 · 0.7⌋ = ⌊62.99999999999999⌋ = 62 (not 63), so batch 31 → 2 batches
    expect(90 * (1 - 0.3)).toBeLessThan(63);
    expect(fitSteps({ samples: 90, batchSize: 31, validationSplit: 0.3 })).toBe(2);
    // initialEpoch 2 of 5: 3 epochs run
    expect(fitSteps({ samples: 10, batchSize: 4, epochs: 5, initialEpoch: 2 })).toBe(9);
  });

  const CASES: FitStepsOptions[] = [
    { samples: 10, batchSize: 4, epochs: 2 },
    { samples: 12, batchSize: 4, epochs: 1 },
    { samples: 7 },
    { samples: 90, batchSize: 31, validationSplit: 0.3 }, // float64 rounding: 62 training samples
    { samples: 60, batchSize: 9, epochs: 2, validationSplit: 0.55 }, // ⌊60 · 0.45⌋ = ⌊26.999999999999996⌋ = 26
    { samples: 50, batchSize: 8, validationSplit: 0.1 },
    { samples: 33, batchSize: 5, epochs: 4, initialEpoch: 1, validationSplit: 0.2 },
    { samples: 3, batchSize: 100, epochs: 2 },
  ];
  for (const o of CASES) {
    it(`${JSON.stringify(o)}: as many steps as a real model.fit runs batches`, async () => {
      expect(fitSteps(o)).toBe(await batchesOfRealFit(o));
    });
  }

  describe('bad options', () => {
    it('unknown keys, with the Keras/PyTorch spellings, → UnknownOptionError suggesting the name', () => {
      expectHyperError(() => fitSteps({ samples: 10, batch_size: 4 } as never), 'batch_size', /did you mean 'batchSize'/);
      expectHyperError(() => fitSteps({ samples: 10, validation_split: 0.1 } as never), 'validation_split', /did you mean 'validationSplit'/);
      expectHyperError(() => fitSteps({ samples: 10, steps_per_epoch: 4 } as never), 'steps_per_epoch', /valid options: samples, batchSize/);
    });

    it('values → HyperParameterError naming the field', () => {
      expectHyperError(() => fitSteps(undefined as never), 'options', /fitSteps needs an options object/);
      expectHyperError(() => fitSteps({} as never), 'samples', /must be a number/);
      expectHyperError(() => fitSteps({ samples: 0 }), 'samples', /integer ≥ 1/);
      expectHyperError(() => fitSteps({ samples: 10.5 }), 'samples', /integer ≥ 1/);
      expectHyperError(() => fitSteps({ samples: 10, batchSize: 0 }), 'batchSize', /integer ≥ 1/);
      expectHyperError(() => fitSteps({ samples: 10, epochs: 0 }), 'epochs', /integer ≥ 1/);
      expectHyperError(() => fitSteps({ samples: 10, validationSplit: 1 }), 'validationSplit', /\[0, 1\)/);
      expectHyperError(() => fitSteps({ samples: 10, validationSplit: -0.1 }), 'validationSplit', /\[0, 1\)/);
      expectHyperError(() => fitSteps({ samples: 1, validationSplit: 0.5 }), 'validationSplit', /leaves no sample to train on/);
      expectHyperError(() => fitSteps({ samples: 10, epochs: 3, initialEpoch: 3 }), 'initialEpoch', /less than epochs \(3\)/);
    });
  });
});
