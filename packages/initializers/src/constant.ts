import { checkNumberOption, describeValue, HyperParameterError } from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import { allocating, checkShape } from './internal.js';
import type { Initializer } from './types.js';

function fill(fn: string, value: number): Initializer {
  return (shape, dtype = 'float32') => {
    const s = checkShape(shape, fn);
    if (dtype !== 'float32' && dtype !== 'int32' && dtype !== 'bool')
      throw new HyperParameterError('dtype', `${fn}: dtype must be 'float32', 'int32' or 'bool', got ${describeValue(dtype)}`);
    if (dtype === 'int32' && !Number.isInteger(value)) throw new HyperParameterError('value', `${fn}: an int32 tensor cannot hold ${value}`);
    return allocating(fn, s, () => tf.fill(s, value, dtype));
  };
}

/**
 * Fills the weight with 0. PyTorch `torch.nn.init.zeros_`; the usual bias initializer.
 *
 * @returns an initializer for any shape of rank ≥ 1 (float32 by default; int32 and bool too).
 * @example
 * ```ts
 * const bias = tf.variable(zeros()([256]));
 * ```
 */
export function zeros(): Initializer {
  return fill('zeros', 0);
}

/**
 * Fills the weight with 1. PyTorch `torch.nn.init.ones_`; the usual scale (γ) initializer of a
 * normalization layer.
 *
 * @example
 * ```ts
 * const gamma = tf.variable(ones()([256]));
 * ```
 */
export function ones(): Initializer {
  return fill('ones', 1);
}

/**
 * Fills the weight with `value`. PyTorch `torch.nn.init.constant_(tensor, val)`.
 *
 * @param value - a finite number.
 * @throws HyperParameterError (field `value`) when it is not finite.
 * @example
 * ```ts
 * const alpha = tf.variable(constant(0.25)([16])); // PReLU's slopes, as nn.PReLU(16)
 * ```
 */
export function constant(value: number): Initializer {
  return fill('constant', checkNumberOption('value', value));
}
