import * as tf from '@tensorflow/tfjs-core';
import type { GradientTransformation } from './transform.js';
import { map } from './tree.js';

/**
 * Replaces every update with zeros: the parameters it sees do not move (optax's `set_to_zero`). Its
 * use is freezing a group in `partition`, e.g. a pretrained backbone.
 *
 * update = 0.
 *
 * @example
 * ```ts
 * const tx = partition({ train: adam({ learningRate: 1e-3 }), frozen: setToZero() }, (path) => (path.startsWith('backbone.') ? 'frozen' : 'train'));
 * ```
 */
export function setToZero(): GradientTransformation<Record<string, never>, Record<string, never>> {
  return {
    name: 'setToZero',
    options: {},
    hyperParams: () => ({}),
    init: () => ({}),
    update: (grads, state) => ({ updates: map(grads, (g) => tf.zerosLike(g)), state }),
  };
}
