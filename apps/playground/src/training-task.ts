// What the worker trains, whatever the task: the model, its gradient transformation, minibatches with
// their loss, the held-out metric and (for the transformer) the attention entropy of a batch. The MLP
// is gradient-lab's (its browser-safe entry); the other tasks are built here from @gradkit/nn.

import { clipByGlobalNorm } from '@gradkit/clipping';
import { chain, type GradientTransformation, type Module, withTaps, Xoshiro128 } from '@gradkit/core';
import type { ActivationKinds, AttentionStats } from '@gradkit/diagnostics';
import { buildModel, buildTransform, crossEntropy, learningRate, TRAINING_KEYS, type TrainingConfig, tapKinds } from '@gradkit/gradient-lab/model';
import { meanSquaredError, softmaxCrossEntropy } from '@gradkit/nn';
import { optimizerFromConfig, sgd } from '@gradkit/optimizers';
import { linearWarmup } from '@gradkit/schedules';
import * as tf from '@tensorflow/tfjs-core';
import { CLASSES, DIGITS, PIXELS, type PlaygroundConfig } from './config.js';
import { type Digits, hostBatches, type Split } from './data.js';
import { addingBatch, reverseBatch } from './sequence-data.js';
import { attentionFromTaps } from './sequence-stats.js';
import { taskModel } from './task-models.js';

/** One minibatch: the loss closure over it and its tensors. */
export interface Minibatch {
  readonly loss: () => tf.Scalar;
  readonly tensors: readonly tf.Tensor[];
  /** The inputs (for the attention entropy). */
  readonly x: tf.Tensor;
}

/** Everything the worker's loop needs to train one configuration. */
export interface TrainingTask {
  readonly model: Module;
  readonly transform: GradientTransformation;
  /** How the diagnostics read the taps. */
  readonly activationKinds: ActivationKinds;
  /** The next minibatch (the caller disposes its tensors). */
  next(): Minibatch;
  /** The held-out metric in [0, 1] (accuracy; for the adding task, the fraction of sequences within 0.04); `full`: the MLP's on the whole test split. */
  evaluate(full: boolean): Promise<number>;
  /** The attention entropy per attention layer on `x` (the transformer task; undefined for the others). */
  attention?(x: tf.Tensor): Promise<AttentionStats[]>;
}

/** The configuration as gradient-lab's `TrainingConfig` (its keys only). */
export function labConfig(c: PlaygroundConfig): TrainingConfig {
  const keys: readonly string[] = TRAINING_KEYS;
  return Object.fromEntries(Object.entries(c).filter(([k, v]) => keys.includes(k) && v !== undefined)) as unknown as TrainingConfig;
}

/** The transformation: gradient-lab's, except the transformer task's warmup (linear from 0 to `lr` over `warmup` steps, then constant). */
export function taskTransform(c: PlaygroundConfig): GradientTransformation {
  if (c.task !== 'transformer') return buildTransform(labConfig(c));
  const lr = c.warmup > 0 ? linearWarmup({ initial: 0, peak: c.lr, warmupSteps: c.warmup }) : learningRate({ ...labConfig(c), schedule: 'constant' });
  const optimizer = c.optimizer === 'momentum' ? sgd({ learningRate: lr, momentum: 0.9 }) : optimizerFromConfig({ name: c.optimizer, learningRate: lr });
  return c.clip > 0 ? chain(clipByGlobalNorm(c.clip), optimizer) : optimizer;
}

/** Mean over chunks of `size` rows of `hits(rows)` (the count of correct rows), one readback. */
async function meanOver(count: number, hits: (start: number, size: number) => tf.Scalar): Promise<number> {
  let correct = tf.scalar(0);
  try {
    for (let start = 0; start < count; start += 500) {
      const size = Math.min(500, count - start);
      const next = tf.tidy(() => tf.add(correct, hits(start, size)) as tf.Scalar);
      correct.dispose();
      correct = next;
    }
    return ((await correct.data())[0] as number) / count;
  } finally {
    correct.dispose();
  }
}

/** Every `stride`-th sample of a split. */
function subsample(split: Split, stride: number): Split {
  const count = Math.ceil(split.count / stride);
  const images = new Float32Array(count * PIXELS);
  const labels = new Uint8Array(count);
  for (let r = 0; r < count; r++) {
    images.set(split.images.subarray(r * stride * PIXELS, (r * stride + 1) * PIXELS), r * PIXELS);
    labels[r] = split.labels[r * stride] as number;
  }
  return { images, labels, count };
}

/** Test samples used for the accuracy curve (every 4th test digit; every 8th for the conv net). */
const EVAL_STRIDE = 4;
/** Held-out sequences of the adding and transformer tasks. */
const HELD_OUT = 256;

/** An MNIST task (the MLP on flat pixels, the cnn on 28×28×1 images). */
function digitsTask(c: PlaygroundConfig, digits: Digits, model: Module, transform: GradientTransformation, activationKinds: ActivationKinds): TrainingTask {
  const shape = (n: number) => (c.task === 'cnn' ? [n, 28, 28, 1] : [n, PIXELS]);
  const loader = hostBatches(digits.train, c.batch, c.seed);
  const evalSplit = subsample(digits.test, c.task === 'cnn' ? 2 * EVAL_STRIDE : EVAL_STRIDE);
  return {
    model,
    transform,
    activationKinds,
    next() {
      const batch = loader.next().value as { x: Float32Array; y: Float32Array };
      const size = batch.x.length / PIXELS;
      const x = tf.tensor(batch.x, shape(size));
      const y = tf.tensor2d(batch.y, [size, CLASSES]);
      return { x, tensors: [x, y], loss: () => crossEntropy(y, model.apply(x, { training: true })) };
    },
    async evaluate(full) {
      // The conv net's accuracy stays on its subsample (every 8th test digit, 251) at the end too: its 16
      // layers over the whole test set take minutes on a software WebGPU adapter, and 251 digits
      // estimate the accuracy within a few percent.
      const split = full && c.task === 'mlp' ? digits.test : evalSplit;
      model.eval();
      try {
        return await meanOver(split.count, (start, size) => {
          const x = tf.tensor(split.images.subarray(start * PIXELS, (start + size) * PIXELS), shape(size));
          const labels = tf.tensor1d(split.labels.subarray(start, start + size), 'int32');
          return tf.sum(tf.cast(tf.equal(tf.cast(tf.argMax(model.apply(x, { training: false }), -1), 'int32'), labels), 'float32')) as tf.Scalar;
        });
      } finally {
        model.train();
      }
    },
  };
}

/** The adding problem: MSE on the sum; the metric is the fraction of held-out sequences predicted within 0.04. */
function addingTask(c: PlaygroundConfig, model: Module, transform: GradientTransformation): TrainingTask {
  const rng = Xoshiro128.fromSeed(c.seed);
  const heldOut = addingBatch(Xoshiro128.fromSeed(c.seed + 7919), HELD_OUT, c.seqLength);
  const T = c.seqLength;
  return {
    model,
    transform,
    activationKinds: 'auto',
    next() {
      const b = addingBatch(rng, c.batch, T);
      const x = tf.tensor3d(b.x, [c.batch, T, 2]);
      const y = tf.tensor1d(b.y);
      return { x, tensors: [x, y], loss: () => meanSquaredError(tf.reshape(model.apply(x, { training: true }), [-1]), y) };
    },
    evaluate: () =>
      meanOver(HELD_OUT, (start, size) => {
        const x = tf.tensor3d(heldOut.x.subarray(start * T * 2, (start + size) * T * 2), [size, T, 2]);
        const y = tf.tensor1d(heldOut.y.subarray(start, start + size));
        return tf.sum(tf.cast(tf.less(tf.abs(tf.sub(tf.reshape(model.apply(x, { training: false }), [-1]), y)), 0.04), 'float32')) as tf.Scalar;
      }),
  };
}

/** Reversing digit strings: cross-entropy per position; the metric is the fraction of held-out digits right. */
function transformerTask(c: PlaygroundConfig, model: Module, transform: GradientTransformation): TrainingTask {
  const rng = Xoshiro128.fromSeed(c.seed);
  const heldOut = reverseBatch(Xoshiro128.fromSeed(c.seed + 7919), HELD_OUT, c.seqLength);
  const L = c.seqLength;
  const logits = (x: tf.Tensor, training: boolean) => tf.reshape(model.apply(x, { training }), [-1, DIGITS]);
  return {
    model,
    transform,
    activationKinds: 'auto',
    next() {
      const b = reverseBatch(rng, c.batch, L);
      const x = tf.tensor2d(b.x, [c.batch, L], 'int32');
      const y = tf.tensor1d(b.y, 'int32');
      return { x, tensors: [x, y], loss: () => softmaxCrossEntropy(logits(x, true), y) };
    },
    evaluate: async (): Promise<number> =>
      (await meanOver(HELD_OUT, (start, size) => {
        const x = tf.tensor2d(heldOut.x.subarray(start * L, (start + size) * L), [size, L], 'int32');
        const y = tf.tensor1d(heldOut.y.subarray(start * L, (start + size) * L), 'int32');
        return tf.sum(tf.cast(tf.equal(tf.cast(tf.argMax(logits(x, false), -1), 'int32'), y), 'float32')) as tf.Scalar;
      })) / L,
    async attention(x) {
      const { result, taps } = withTaps(() => model.apply(x, { training: false }))();
      try {
        return await attentionFromTaps(taps);
      } finally {
        tf.dispose([result, taps as unknown as tf.TensorContainer]);
      }
    },
  };
}

/** Builds the configuration's model, transformation and data (throws on a configuration that cannot be built, disposing what it made). */
export function buildTask(c: PlaygroundConfig, digits: Digits): TrainingTask {
  const model = c.task === 'mlp' ? buildModel(labConfig(c)) : taskModel(c);
  try {
    const transform = taskTransform(c);
    switch (c.task) {
      case 'mlp': {
        const probe = tf.tensor2d(digits.train.images.subarray(0, 2 * PIXELS), [2, PIXELS]);
        try {
          return digitsTask(c, digits, model, transform, tapKinds(model, probe));
        } finally {
          probe.dispose();
        }
      }
      case 'cnn':
        return digitsTask(c, digits, model, transform, 'auto');
      case 'adding':
        return addingTask(c, model, transform);
      default:
        return transformerTask(c, model, transform);
    }
  } catch (e) {
    model.dispose();
    throw e;
  }
}
