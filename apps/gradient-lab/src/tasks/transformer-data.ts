// The synthetic sequence task of the `transformer` task: reverse a string of random digits.
import * as tf from '@tensorflow/tfjs-core';

/** Digits (the vocabulary). */
export const VOCAB = 10;

/** A batch of digit strings and their reversals, on the host. */
export interface ReversalBatch {
  /** `count × length` digits in [0, VOCAB), one string after the other. */
  readonly inputs: Int32Array;
  /** The same strings reversed: `targets[i·L + t] = inputs[i·L + L − 1 − t]`. */
  readonly targets: Int32Array;
  /** Number of strings. */
  readonly count: number;
  /** Digits per string. */
  readonly length: number;
}

/**
 * A seeded pseudo-random stream of 32-bit integers (mulberry32): the same seed gives the same
 * strings on every backend and machine.
 */
export function digitStream(seed: number): () => number {
  let a = (seed * 0x9e3779b9) >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** `count` random strings of `length` digits drawn from `next`, and their reversals. */
export function reversalBatch(next: () => number, count: number, length: number): ReversalBatch {
  const inputs = new Int32Array(count * length);
  const targets = new Int32Array(count * length);
  for (let i = 0; i < count; i++)
    for (let t = 0; t < length; t++) {
      const digit = next() % VOCAB;
      inputs[i * length + t] = digit;
      targets[i * length + (length - 1 - t)] = digit;
    }
  return { inputs, targets, count, length };
}

/**
 * The model's input of a batch: `[count, length, VOCAB + length]` float32, the one-hot digit followed
 * by the one-hot position, so a dense layer on it is a token embedding plus a learned position
 * embedding (x·W = W_token[digit] + W_position[t]); and the targets as int32 `[count, length]` for
 * `softmaxCrossEntropy`. The caller disposes both.
 */
export function reversalTensors(b: ReversalBatch): { x: tf.Tensor3D; y: tf.Tensor2D } {
  return tf.tidy(() => {
    const digits = tf.oneHot(tf.tensor2d(b.inputs, [b.count, b.length], 'int32'), VOCAB);
    const positions = tf.tile(tf.reshape(tf.oneHot(tf.range(0, b.length, 1, 'int32'), b.length), [1, b.length, b.length]), [b.count, 1, 1]);
    const x = tf.concat([tf.cast(digits, 'float32'), tf.cast(positions, 'float32')], -1) as tf.Tensor3D;
    return { x, y: tf.tensor2d(b.targets, [b.count, b.length], 'int32') };
  });
}
