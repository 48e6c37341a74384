import { clipByGlobalNorm } from '@gradkit/clipping';
import { applyUpdates, type BackendInfo, chain, Optimizer, useBackend, valueAndGrad } from '@gradkit/core';
import { adam, sgd } from '@gradkit/optimizers';
import * as tf from '@tensorflow/tfjs-core';

/** Starts the fastest backend the machine has and says why it skipped the others. */
export async function start(): Promise<BackendInfo> {
  // #region backend
  const info = await useBackend('auto'); // tries webgpu → wasm → cpu
  console.log(`training on ${info.name}`);
  for (const { name, reason } of info.fallbacks) console.log(`skipped ${name}: ${reason}`);
  // #endregion
  return info;
}

/** Fits y = 2·x₀ − 3·x₁ + 1 with plain SGD; returns the loss at every step and the fitted parameters. */
export async function fitLine(steps = 100): Promise<{ losses: number[]; w: Float32Array; b: Float32Array }> {
  // #region train
  const x = tf.randomNormal([64, 2], 0, 1, 'float32', 1);
  const y = tf.add(tf.matMul(x, tf.tensor2d([[2], [-3]])), 1);
  const params = { w: tf.variable(tf.zeros([2, 1])), b: tf.variable(tf.zeros([1])) };
  const loss = (p: typeof params) => tf.mean(tf.square(tf.sub(tf.add(tf.matMul(x, p.w), p.b), y)));

  const opt = new Optimizer(params, sgd({ learningRate: 0.1 }));
  const losses: number[] = [];
  for (let step = 0; step < steps; step++) losses.push(await opt.minimize(loss));
  console.log(`loss ${losses[0]} → ${losses.at(-1)}; w = ${await params.w.data()}, b = ${await params.b.data()}`);
  // #endregion
  const fitted = { losses, w: (await params.w.data()) as Float32Array, b: (await params.b.data()) as Float32Array };
  opt.dispose();
  tf.dispose([x, y, params.w, params.b]);
  return fitted;
}

/** One step of the functional path: the same arithmetic as the Optimizer, with the state in your hands. */
export function functionalStep(params: { w: tf.Tensor; b: tf.Tensor }, x: tf.Tensor, y: tf.Tensor): { w: tf.Tensor; b: tf.Tensor } {
  // #region functional
  const loss = (p: typeof params) => tf.mean(tf.square(tf.sub(tf.add(tf.matMul(x, p.w), p.b), y)));
  const tx = chain(clipByGlobalNorm(1), adam({ learningRate: 1e-2 }));
  const next = tf.tidy(() => {
    const state = tx.init(params); // Adam's moments, zeros shaped like params, and a step count
    const { grads } = valueAndGrad(loss)(params); // grads has the shape of params: { w, b }
    const { updates } = tx.update(grads, state, params); // clipped, then −η·m̂/(√v̂ + ε)
    return applyUpdates(params, updates) as typeof params; // new tensors: params + updates
  });
  // #endregion
  return next;
}

/** Saves the optimizer's state as JSON and resumes it in a new Optimizer. */
export async function saveAndResume(params: { w: tf.Variable; b: tf.Variable }, opt: Optimizer<typeof params>): Promise<Optimizer<typeof params>> {
  // #region save
  const saved = await opt.saveState(); // plain JSON: step count, every slot's values, the chain's signature
  const text = JSON.stringify(saved); // write it to a file, IndexedDB, a server …
  const resumed = new Optimizer(params, sgd({ learningRate: 0.1 }));
  resumed.loadState(JSON.parse(text)); // continues bit for bit where `opt` stopped
  // #endregion
  return resumed;
}
