// The small MNIST subsets the labelled runs train on: the lab's digits (`loadMnist`), a few per digit,
// in a seeded order (so that tfjs-layers' fit can run with `shuffle: false` and stay reproducible).
import * as tf from '@tensorflow/tfjs-core';
import { CLASSES, PIXELS } from '../config.js';
import { loadMnist, type Split, takePerDigit } from '../data.js';

/** Training and test digits as tensors: `x` `[n, 784]` in [0, 1], one-hot `y` `[n, 10]` (the caller disposes them). */
export interface Digits {
  readonly train: { readonly x: tf.Tensor2D; readonly y: tf.Tensor2D };
  readonly test: { readonly x: tf.Tensor2D; readonly y: tf.Tensor2D };
}

/** Samples per digit of the labelled runs' splits (500 training and 200 test digits). */
export const TRAIN_PER_DIGIT = 50;
/** Test samples per digit. */
export const TEST_PER_DIGIT = 20;

/** A permutation of 0 … n−1 from a small seeded generator (mulberry32), the same on every machine. */
export function permutation(n: number, seed: number): number[] {
  let a = (seed * 0x9e3779b1) >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const p = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [p[i], p[j]] = [p[j] as number, p[i] as number];
  }
  return p;
}

function shuffled(split: Split, seed: number): Split {
  const order = permutation(split.count, seed);
  const images = new Float32Array(split.images.length);
  const labels = new Uint8Array(split.count);
  order.forEach((from, to) => {
    images.set(split.images.subarray(from * PIXELS, (from + 1) * PIXELS), to * PIXELS);
    labels[to] = split.labels[from] as number;
  });
  return { images, labels, count: split.count };
}

const tensors = (s: Split) =>
  tf.tidy(() => ({
    x: tf.tensor2d(s.images, [s.count, PIXELS], 'float32'),
    y: tf.cast(tf.oneHot(tf.tensor1d(s.labels, 'int32'), CLASSES), 'float32') as tf.Tensor2D,
  }));

/** The labelled runs' digits, the training split in the order of `seed`. */
export function digits(seed: number): Digits {
  const data = loadMnist();
  return {
    train: tensors(shuffled(takePerDigit(data.train, TRAIN_PER_DIGIT), seed)),
    test: tensors(takePerDigit(data.test, TEST_PER_DIGIT)),
  };
}

/** Fraction of rows of `logits` (or probabilities) whose arg-max is the one-hot `y`'s. */
export async function accuracy(logits: tf.Tensor, y: tf.Tensor): Promise<number> {
  const correct = tf.tidy(() => tf.mean(tf.cast(tf.equal(tf.argMax(logits, -1), tf.argMax(y, -1)), 'float32')));
  const [v] = await correct.data();
  correct.dispose();
  return v as number;
}
