// Class indices checked against [0, classes) on the host, where they can be read without waiting.
import { ValueError } from '@gradkit/core';
import type * as tf from '@tensorflow/tfjs-core';
import { hostValues } from '../internal/host-values.js';

/** `labels[1, 2]` for flat index `i` of a tensor of `shape`. */
function position(shape: readonly number[], i: number): string {
  if (shape.length === 0) return 'labels';
  const coords: number[] = [];
  let rest = i;
  for (let d = shape.length - 1; d >= 0; d--) {
    const size = shape[d] as number;
    coords.unshift(rest % size);
    rest = Math.floor(rest / size);
  }
  return `labels[${coords.join(', ')}]`;
}

/**
 * Checks int32 class indices against [0, classes) when their values are on the host (`hostValues`):
 * returns true when checked, false when they could not be read synchronously (the caller then makes
 * an out-of-range index give NaN).
 *
 * @throws ValueError (what `labels`) naming the first index out of range and its position.
 */
export function checkLabelRange(fn: string, labels: tf.Tensor, classes: number): boolean {
  const values = hostValues(labels);
  if (values === undefined) return false;
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (v >= 0 && v < classes) continue;
    const hint = v < 0 ? " (PyTorch's ignore_index, e.g. −100 for padding, is not supported: use reduction: 'none' and multiply by a mask)" : '';
    throw new ValueError(
      'labels',
      `${fn}: ${position(labels.shape, i)} = ${v} is out of range: logits have ${classes} classes on their last axis, so class indices must be in [0, ${classes})${hint}`,
    );
  }
  return true;
}
