// The architecture benchmark's minibatches, generated once from a seed and shared (never written) by
// both libraries: images or sequences uniform in [0, 1), one-hot labels or regression targets.
import * as tf from '@tensorflow/tfjs-core';
import type { ArchModel, ArchSizesOf, ConvSizes, RecurrentSizes, TransformerSizes } from './arch-names.js';
import { uniforms } from './peer-data.js';

/** The minibatches of one net. */
export interface ArchData {
  /** Inputs: `[batch, h, w, 1]` images, `[batch, time, features]` or `[batch, tokens, dim]` sequences. */
  readonly xs: readonly tf.Tensor[];
  /** Targets: one-hot `[batch, classes]`, or `[batch, 1]` for the recurrent nets' regression. */
  readonly ys: readonly tf.Tensor[];
  dispose(): void;
}

/** The input shape (batch first) and the target shape of `model` at `sizes`. */
export function archShapes<M extends ArchModel>(model: M, sizes: ArchSizesOf[M]): { x: number[]; y: number[]; oneHot: boolean } {
  if (model === 'conv') {
    const s = sizes as ConvSizes;
    return { x: [s.batch, s.size, s.size, 1], y: [s.batch, s.classes], oneHot: true };
  }
  if (model === 'transformer') {
    const s = sizes as TransformerSizes;
    return { x: [s.batch, s.tokens, s.dim], y: [s.batch, s.classes], oneHot: true };
  }
  const s = sizes as RecurrentSizes;
  return { x: [s.batch, s.time, s.features], y: [s.batch, 1], oneHot: false };
}

/** `batches` minibatches of `model` from `seed`: inputs uniform in [0, 1); one-hot labels, or targets uniform in [−1, 1). */
export function archData<M extends ArchModel>(model: M, sizes: ArchSizesOf[M], batches: number, seed: number): ArchData {
  const rnd = uniforms(seed);
  const { x, y, oneHot } = archShapes(model, sizes);
  const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
  const xs: tf.Tensor[] = [];
  const ys: tf.Tensor[] = [];
  for (let b = 0; b < batches; b++) {
    xs.push(tf.tensor(Float32Array.from({ length: size(x) }, rnd), x));
    let target: Float32Array;
    if (oneHot) {
      const [rows, classes] = y as [number, number];
      target = new Float32Array(rows * classes);
      for (let i = 0; i < rows; i++) target[i * classes + Math.floor(rnd() * classes)] = 1;
    } else target = Float32Array.from({ length: size(y) }, () => 2 * rnd() - 1);
    ys.push(tf.tensor(target, y));
  }
  return { xs, ys, dispose: () => tf.dispose([...xs, ...ys]) };
}
