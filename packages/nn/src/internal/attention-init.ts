import { uniform } from '@gradkit/initializers';
import * as tf from '@tensorflow/tfjs-core';

/**
 * `count` trainable variables of `shape`, the k-th uniform in ±bounds[k], from one seeded
 * `uniform(−1, 1)` (stream k for the k-th), scaled.
 */
export function uniformVariables(seed: number, shape: readonly number[], bounds: readonly number[]): tf.Variable[] {
  const unit = uniform({ min: -1, max: 1, seed });
  return bounds.map((bound) => tf.tidy(() => tf.variable(tf.mul(unit([...shape]), bound), true)));
}
