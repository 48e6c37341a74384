// The doctor's three example models (apps/gradient-lab/examples/<name>/), each a tfjs-layers model
// built, compiled and briefly fitted with tfjs-layers' own `compile`/`fit`, saved by tfjs's own
// `model.save` (model.json + weights.bin, through `saveModelToDir`) beside its data (data.csv: a
// header row, the features, then the label). Every initializer is seeded and every sample comes in
// a seeded order, so a run writes the same files (up to float rounding of the backend's training).
// Node only (reads the MNIST digits and writes files). See examples/README.md.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { loadMnist, takePerDigit } from '../data.js';
import { permutation } from '../labelled/digits.js';
import { digitStream } from '../tasks/transformer-data.js';
import { saveModelToDir } from './model-files.js';

/** The examples, by the name of their folder. */
export const EXAMPLE_NAMES = ['deep-sigmoid', 'simple-rnn', 'small-conv'] as const;
/** One example's name. */
export type ExampleName = (typeof EXAMPLE_NAMES)[number];

/** An example's data: column names (features, then `label`) and rows of numbers as they are written. */
export interface ExampleData {
  readonly columns: readonly string[];
  /** Feature values, one row per sample (rounded to 3 decimals: what data.csv holds). */
  readonly x: readonly (readonly number[])[];
  /** The label of each row: a class index. */
  readonly y: readonly number[];
}

/** How an example is made: its data, its model (compiled as its user would), the fit, and whether model.json keeps the training config. */
interface ExampleSpec {
  readonly data: () => ExampleData;
  /** The model's input shape without the batch dimension (each row is reshaped to it). */
  readonly inputShape: readonly number[];
  readonly classes: number;
  readonly build: () => tfl.LayersModel;
  /** Epochs of the brief fit (0: saved at its initialization). */
  readonly epochs: number;
  /** false: saved without its training config (the doctor must infer the loss). */
  readonly trainingConfig: boolean;
}

/** Samples per digit of the MNIST examples (300 digits). */
const PER_DIGIT = 30;
const SIDE = 14;
const BATCH = 32;

/** Rounds to 3 decimals (what data.csv holds, so the model is fitted on exactly the file's values). */
const round3 = (v: number) => Math.round(v * 1000) / 1000;

/**
 * 300 MNIST digits of the `mnist` package (the lab's training split, 30 per digit, in a seeded
 * order), each 28×28 image averaged over 2×2 blocks to 14×14 (pixel values in [0, 1], 3 decimals).
 */
export function digitRows(seed: number): ExampleData {
  const split = takePerDigit(loadMnist().train, PER_DIGIT);
  const order = permutation(split.count, seed);
  const x = order.map((i) => {
    const image = split.images.subarray(i * 784, (i + 1) * 784);
    const row: number[] = [];
    for (let r = 0; r < SIDE; r++)
      for (let c = 0; c < SIDE; c++) {
        const at = (dr: number, dc: number) => image[(2 * r + dr) * 28 + 2 * c + dc] as number;
        row.push(round3((at(0, 0) + at(0, 1) + at(1, 0) + at(1, 1)) / 4));
      }
    return row;
  });
  const columns = [...Array.from({ length: SIDE * SIDE }, (_, k) => `px_${Math.floor(k / SIDE)}_${k % SIDE}`), 'label'];
  return { columns, x, y: order.map((i) => split.labels[i] as number) };
}

/** A seeded uniform generator in [0, 1): the lab's mulberry32 stream over 2³². */
function uniform(seed: number): () => number {
  const next = digitStream(seed);
  return () => next() / 2 ** 32;
}

/** The sequence example: time steps, samples, and the class means (±mean, noise normal(0, 1)). */
export const SEQUENCE = { steps: 100, samples: 400, mean: 0.25 } as const;

/**
 * The sequence task (synthetic, seeded): 400 sequences of 100 steps of one feature. Each sequence's
 * class (0 or 1, a fair coin) sets the mean of every step, −0.25 or +0.25, and each value is that mean
 * plus normal(0, 1) noise (Box–Muller, 3 decimals). The evidence is spread over all 100 steps (the
 * log-likelihood ratio is 2·0.25·Σₜ xₜ): a model that remembers only the last few steps sees a
 * fraction of it (the last 5 steps give ~71% accuracy, all 100 ~99%), so the gradient must reach the
 * first steps through the later ones. 100 steps rather than 60: at 60 the decay of ‖∂L/∂xₜ‖ over the
 * sequence came within 2.5× of the vanishing threshold on some backends as the SimpleRNN trained.
 */
export function sequenceRows(seed: number): ExampleData {
  const next = uniform(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
  const y = Array.from({ length: SEQUENCE.samples }, () => (next() < 0.5 ? 0 : 1));
  const x = y.map((c) => Array.from({ length: SEQUENCE.steps }, () => round3((c === 1 ? SEQUENCE.mean : -SEQUENCE.mean) + normal())));
  const columns = [...Array.from({ length: SEQUENCE.steps }, (_, t) => `x_t${t}`), 'label'];
  return { columns, x, y };
}

const glorot = (seed: number) => tfl.initializers.glorotUniform({ seed });
const he = (seed: number) => tfl.initializers.heNormal({ seed });

const SPECS: Readonly<Record<ExampleName, ExampleSpec>> = {
  // Ten Dense(32, sigmoid) layers with tfjs's default init (Glorot uniform, zero bias), compiled
  // with 'adam' as tfjs users do: the sigmoid's derivative (≤ ¼) shrinks the gradient at every layer.
  'deep-sigmoid': {
    data: () => digitRows(1),
    inputShape: [SIDE * SIDE],
    classes: 10,
    build: () => {
      const layers = Array.from({ length: 10 }, (_, k) =>
        tfl.layers.dense({ units: 32, activation: 'sigmoid', kernelInitializer: glorot(100 + k), ...(k === 0 ? { inputShape: [SIDE * SIDE] } : {}) }),
      );
      const model = tfl.sequential({ layers: [...layers, tfl.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: glorot(110) })] });
      model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });
      return model;
    },
    epochs: 1,
    trainingConfig: true,
  },
  // A SimpleRNN(16, tanh) initialized as PyTorch's nn.RNN (every weight uniform in ±1/√16: the
  // recurrent kernel contracts the state, spectral radius ≈ 1/√3), its last state to a sigmoid unit,
  // binary cross-entropy, Adam at 5e-3.
  'simple-rnn': {
    data: () => sequenceRows(2),
    inputShape: [SEQUENCE.steps, 1],
    classes: 2,
    build: () => {
      const torchInit = (seed: number) => tfl.initializers.randomUniform({ minval: -0.25, maxval: 0.25, seed });
      const model = tfl.sequential({
        layers: [
          tfl.layers.simpleRNN({
            inputShape: [SEQUENCE.steps, 1],
            units: 16,
            activation: 'tanh',
            kernelInitializer: torchInit(200),
            recurrentInitializer: torchInit(201),
            biasInitializer: torchInit(202),
          }),
          tfl.layers.dense({ units: 1, activation: 'sigmoid', kernelInitializer: glorot(203) }),
        ],
      });
      model.compile({ optimizer: tf.train.adam(5e-3), loss: 'binaryCrossentropy' });
      return model;
    },
    epochs: 1,
    trainingConfig: true,
  },
  // tfjs-examples' MNIST conv net, small: Conv2D(8)/MaxPool/Conv2D(16)/MaxPool/Dense(10 softmax), ReLU
  // with He init, Adam at 1e-3. Saved without its training config: the doctor infers the loss.
  'small-conv': {
    data: () => digitRows(3),
    inputShape: [SIDE, SIDE, 1],
    classes: 10,
    build: () => {
      const model = tfl.sequential({
        layers: [
          tfl.layers.conv2d({ inputShape: [SIDE, SIDE, 1], kernelSize: 3, filters: 8, activation: 'relu', kernelInitializer: he(300) }),
          tfl.layers.maxPooling2d({ poolSize: 2, strides: 2 }),
          tfl.layers.conv2d({ kernelSize: 3, filters: 16, activation: 'relu', kernelInitializer: he(301) }),
          tfl.layers.maxPooling2d({ poolSize: 2, strides: 2 }),
          tfl.layers.flatten(),
          tfl.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: glorot(302) }),
        ],
      });
      model.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy' });
      return model;
    },
    epochs: 1,
    trainingConfig: false,
  },
};

/** The example's data as data.csv's text: the header row, then one row per sample (features, label). */
export function toCsv(data: ExampleData): string {
  const lines = [data.columns.join(','), ...data.x.map((row, i) => [...row, data.y[i]].join(','))];
  return `${lines.join('\n')}\n`;
}

/** The example's data as tensors: `x` reshaped to `[n, …inputShape]`, `y` one-hot (or `[n, 1]` 0/1 for a binary task). The caller disposes them. */
export function exampleTensors(name: ExampleName, data: ExampleData = SPECS[name].data()): { x: tf.Tensor; y: tf.Tensor } {
  const spec = SPECS[name];
  return tf.tidy(() => {
    const x = tf.tensor(data.x.flat(), [data.x.length, ...spec.inputShape], 'float32');
    const labels = tf.tensor1d([...data.y], 'int32');
    const y = spec.classes === 2 ? tf.reshape(tf.cast(labels, 'float32'), [-1, 1]) : tf.cast(tf.oneHot(labels, spec.classes), 'float32');
    return { x, y };
  });
}

/** The example's model, built and compiled as its user does (the caller disposes it). */
export function buildExample(name: ExampleName): tfl.LayersModel {
  return SPECS[name].build();
}

/** An uncompiled copy of `model` with its weights (tfjs saves a training config only for a compiled model). */
async function uncompiled(model: tfl.LayersModel): Promise<tfl.LayersModel> {
  const copy = await tfl.models.modelFromJSON({ modelTopology: model.toJSON(null, false) as tf.io.ModelJSON['modelTopology'] } as never);
  copy.setWeights(model.getWeights());
  return copy;
}

/**
 * Writes the example `name` into the directory `dir` (created when missing; refused when it already
 * holds a model.json or weights.bin): builds and compiles the model, fits it briefly
 * (`model.fit`, batches of 32 in the data's order), and saves `model.json` + `weights.bin` with
 * tfjs's `model.save` (through `saveModelToDir`) and `data.csv`. Returns the paths it wrote.
 *
 * @example
 * ```ts
 * await writeExample('deep-sigmoid', 'apps/gradient-lab/examples/deep-sigmoid');
 * ```
 */
export async function writeExample(name: ExampleName, dir: string): Promise<{ files: string[]; hasTrainingConfig: boolean }> {
  const spec = SPECS[name];
  if (spec === undefined) throw new RangeError(`unknown example '${name}': one of ${EXAMPLE_NAMES.join(', ')}`);
  const data = spec.data();
  const model = spec.build();
  const { x, y } = exampleTensors(name, data);
  try {
    if (spec.epochs > 0) await model.fit(x, y, { epochs: spec.epochs, batchSize: BATCH, shuffle: false, verbose: 0 });
    const toSave = spec.trainingConfig ? model : await uncompiled(model);
    try {
      const saved = await saveModelToDir(toSave, dir);
      const csv = join(dir, 'data.csv');
      await writeFile(csv, toCsv(data), { flag: 'wx' });
      return { files: [saved.modelJsonPath, saved.weightsPath, csv], hasTrainingConfig: saved.hasTrainingConfig };
    } finally {
      if (toSave !== model) toSave.dispose();
    }
  } finally {
    tf.dispose([x, y]);
    model.optimizer?.dispose();
    model.dispose();
  }
}
