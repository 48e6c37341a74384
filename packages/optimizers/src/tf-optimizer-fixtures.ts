// Test fixtures for the tfjs-layers adapter (not exported by the package): tiny dense, conv and LSTM
// models, data, an in-memory save, and a schedule registered with a config as @gradkit/schedules does.
import { checkOptions, registerSchedule, type Schedule, withConfig } from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

/** A step decay with a config (`{ schedule: 'tfOptimizerTestDecay', initial, gamma }`), registered like @gradkit/schedules' schedules. */
export function testDecay(options: { initial: number; gamma: number }): Schedule {
  const { initial, gamma } = checkOptions('tfOptimizerTestDecay', options, ['initial', 'gamma'], {
    example: '{ initial: 0.05, gamma: 0.8 }',
    required: true,
  });
  return withConfig((t: number) => initial * gamma ** t, { schedule: 'tfOptimizerTestDecay', initial, gamma });
}
registerSchedule('tfOptimizerTestDecay', (o) => testDecay(o as { initial: number; gamma: number }), { replace: true });

/** A deterministic pseudo-random sequence in [−1, 1). */
function values(n: number, seed: number): number[] {
  let s = seed >>> 0;
  return Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  });
}

/** One of the models the resume tests train, with its data (created on demand, disposed by the caller). */
export interface Fixture {
  readonly name: 'dense' | 'conv' | 'lstm';
  /** A new, uncompiled model: new layer names, new variable counters. */
  build(): tfl.LayersModel;
  /** Inputs and targets (caller disposes). */
  data(): [tf.Tensor, tf.Tensor];
  /** Samples per batch (the data make 2 batches per epoch). */
  readonly batchSize: number;
}

export const FIXTURES: readonly Fixture[] = [
  {
    name: 'dense',
    build: () =>
      tfl.sequential({
        layers: [tfl.layers.dense({ units: 4, inputShape: [3], activation: 'tanh' }), tfl.layers.dense({ units: 2 })],
      }),
    data: () => [tf.tensor2d(values(24, 1), [8, 3]), tf.tensor2d(values(16, 2), [8, 2])],
    batchSize: 4,
  },
  {
    name: 'conv',
    build: () =>
      tfl.sequential({
        layers: [
          tfl.layers.conv2d({ inputShape: [5, 5, 1], filters: 2, kernelSize: 3, activation: 'relu' }),
          tfl.layers.flatten(),
          tfl.layers.dense({ units: 1, name: 'head' }),
        ],
      }),
    data: () => [tf.tensor4d(values(150, 3), [6, 5, 5, 1]), tf.tensor2d(values(6, 4), [6, 1])],
    batchSize: 3,
  },
  {
    name: 'lstm',
    build: () =>
      tfl.sequential({
        layers: [tfl.layers.lstm({ inputShape: [4, 2], units: 3 }), tfl.layers.dense({ units: 1 })],
      }),
    data: () => [tf.tensor3d(values(48, 5), [6, 4, 2]), tf.tensor2d(values(6, 6), [6, 1])],
    batchSize: 3,
  },
];

/** `model.fit` over `epochs` epochs, in order (no shuffling), silently. */
export async function fitFor(model: tfl.LayersModel, f: Fixture, epochs: number): Promise<tfl.History> {
  const [x, y] = f.data();
  try {
    return await model.fit(x, y, { epochs, batchSize: f.batchSize, shuffle: false, verbose: 0 });
  } finally {
    tf.dispose([x, y]);
  }
}

/** Every weight of the model as its float32 bits (exact comparison, NaN included). */
export async function bitsOf(model: tfl.LayersModel): Promise<number[][]> {
  return Promise.all(model.getWeights().map(async (w) => Array.from(new Uint32Array(new Float32Array(await w.data()).buffer))));
}

/** Saves the model (with its optimizer when asked) into memory and returns the artifacts. */
export async function saveToMemory(model: tfl.LayersModel, includeOptimizer = true): Promise<tf.io.ModelArtifacts> {
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
    { includeOptimizer },
  );
  return artifacts as tf.io.ModelArtifacts;
}

/** The optimizer weights in saved artifacts, in the order they were written (caller disposes the tensors). */
export function optimizerWeightsIn(artifacts: tf.io.ModelArtifacts): { name: string; tensor: tf.Tensor }[] {
  const specs = artifacts.weightSpecs ?? [];
  const decoded = tf.io.decodeWeights(artifacts.weightData as ArrayBuffer, specs);
  const out = specs.filter((s) => s.group === 'optimizer').map((s) => ({ name: s.name, tensor: decoded[s.name] as tf.Tensor }));
  tf.dispose(specs.filter((s) => s.group !== 'optimizer').map((s) => decoded[s.name] as tf.Tensor));
  return out;
}

/** Disposes a model and the optimizer it was compiled with (tfjs-layers disposes only optimizers it made from a name). */
export function disposeAll(model: tfl.LayersModel): void {
  model.optimizer?.dispose();
  model.dispose();
}
