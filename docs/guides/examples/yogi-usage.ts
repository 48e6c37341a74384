import { clipByGlobalNorm } from '@gradkit/clipping';
import { chain, Optimizer } from '@gradkit/core';
import type * as tf from '@tensorflow/tfjs-core';
import { yogi } from './yogi.js';

/** Trains `params` with Yogi behind a global-norm clip for `steps` steps on `lossOf`. */
export async function trainWithYogi<P extends Record<string, tf.Variable>>(params: P, lossOf: (p: P) => tf.Scalar | tf.Tensor, steps: number): Promise<number> {
  let loss = Number.NaN;
  // #region use
  const opt = new Optimizer(params, chain(clipByGlobalNorm(1), yogi({ learningRate: 1e-2 })));
  for (let step = 0; step < steps; step++) loss = await opt.minimize(lossOf);
  // #endregion
  opt.dispose();
  return loss;
}
