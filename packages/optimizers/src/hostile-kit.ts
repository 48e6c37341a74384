// Test helpers shared by the optimizers' hostile suites (test code only: index.ts never imports it):
// an Optimizer and a functional state over { w: [3], b: [2] }, watched bit for bit by the case.
import { flatten, type GradientTransformation, Optimizer, type StateTree } from '@gradkit/core';
import type { HostileContext } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';

/** A hostile value typed as anything, to reach the runtime checks. */
export const bad = (x: unknown) => x as never;

/** Parameters { w: [3], b: [2] } as variables and an Optimizer over them that took one step (then `eval()` when asked), all watched. */
export async function watched(ctx: HostileContext, tx: GradientTransformation, mode: 'train' | 'eval' = 'train') {
  const params = { w: tf.variable(tf.tensor1d([1, 2, 3])), b: tf.variable(tf.tensor1d([4, 5])) };
  const opt = new Optimizer(params, tx);
  const grads = { w: tf.tensor1d([0.1, 0.2, 0.3]), b: tf.tensor1d([0.4, 0.5]) };
  opt.step(grads);
  if (mode === 'eval') opt.eval();
  await ctx.watch(opt, params.w, params.b);
  return { params, opt, grads };
}

/** A functional state for { w: [3], b: [2] }, its tensors watched. */
export async function functional<S extends StateTree>(ctx: HostileContext, tx: GradientTransformation<S>) {
  const params = { w: tf.tensor1d([1, 2, 3]), b: tf.tensor1d([4, 5]) };
  const state = tx.init(params);
  await ctx.watch(params.w, params.b, ...flatten(state).flatMap((e) => (e.value instanceof tf.Tensor ? [e.value] : [])));
  return { params, state };
}
