// Helpers of the fit tests: small losses, data sets and models with known results.
import { flatten, type Module } from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import { meanSquaredError } from '../losses/mean-squared-error.js';
import { softmaxCrossEntropy } from '../losses/softmax-cross-entropy.js';

/** The losses the tests fit with (the package's own). */
export const mse = (p: tf.Tensor, t: tf.Tensor): tf.Scalar => meanSquaredError(p, t);
export const crossEntropy = (logits: tf.Tensor, labels: tf.Tensor): tf.Scalar => softmaxCrossEntropy(logits, labels);

/** A deterministic data set for linear regression: y = x·[2, −3] + 0.5 exactly, x from a fixed formula. */
export function linearData(n: number): { x: tf.Tensor2D; y: tf.Tensor2D } {
  const xs = Array.from({ length: n }, (_, i) => [Math.sin(i * 1.7) * 2, Math.cos(i * 0.9 + 0.3) * 1.5]);
  const ys = xs.map(([a, b]) => [2 * (a as number) - 3 * (b as number) + 0.5]);
  return { x: tf.tensor2d(xs), y: tf.tensor2d(ys) };
}

/** Every parameter and buffer of a module, as bytes (for bit-identical comparisons). */
export async function bytesOf(m: Module): Promise<Record<string, number[]>> {
  const out: Record<string, number[]> = {};
  for (const { path, value } of [...flatten(m.params), ...flatten(m.buffers ?? {}).map((e) => ({ ...e, path: `buffers.${e.path}` }))]) {
    const d = await value.data();
    out[path] = Array.from(new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
  }
  return out;
}

/** A stream that records what is written. */
export function recordingStream(isTTY: boolean): { write(text: string): void; readonly isTTY: boolean; readonly text: string[] } {
  const text: string[] = [];
  return { isTTY, text, write: (t: string) => void text.push(t) };
}
