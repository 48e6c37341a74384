import { fastPaths, fastPathsEnabled, Optimizer, setFastPaths, useBackend } from '@gradkit/core';
import { formatProfile, profileStep, type StepProfile } from '@gradkit/diagnostics';
import { adam } from '@gradkit/optimizers';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

/** Starting a backend installs gradkit's fast paths for it; they speed up tfjs-layers models too. */
export async function layersUser(backend: 'cpu' | 'wasm' | 'webgpu', x: tf.Tensor, y: tf.Tensor): Promise<number> {
  // #region layers
  await useBackend(backend); // installs gradkit's fast paths for this backend
  const model = tfl.sequential({
    layers: [
      tfl.layers.dense({ inputShape: [784], units: 256, activation: 'relu' }),
      tfl.layers.dense({ units: 256, activation: 'relu' }),
      tfl.layers.dense({ units: 10, activation: 'softmax' }),
    ],
  });
  model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });
  const loss = await model.trainOnBatch(x, y); // the gradients' matmuls now take the fast path
  // #endregion
  model.dispose();
  return loss as number;
}

/** Which fast paths exist, and turning them off to compare. */
export function listAndSwitch(): boolean {
  // #region switch
  for (const p of fastPaths()) console.log(`${p.backend} ${p.kernelName}${p.installed ? '' : ' (not installed)'}: ${p.why}`);
  setFastPaths(false); // tfjs's own kernels from here on
  const off = !fastPathsEnabled();
  setFastPaths(true);
  // #endregion
  return off;
}

/** Profiling one training step of a gradkit model. */
export async function profileMine(x: tf.Tensor, y: tf.Tensor): Promise<StepProfile> {
  const params = {
    w1: tf.variable(tf.randomNormal([784, 64], 0, 0.05, 'float32', 1)),
    b1: tf.variable(tf.zeros([64])),
    w2: tf.variable(tf.randomNormal([64, 10], 0, 0.1, 'float32', 2)),
    b2: tf.variable(tf.zeros([10])),
  };
  const opt = new Optimizer(params, adam({ learningRate: 1e-3 }));
  const lossOf = (p: typeof params, xb: tf.Tensor, yb: tf.Tensor) =>
    tf.losses.softmaxCrossEntropy(yb, tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(xb, p.w1), p.b1)), p.w2), p.b2)) as tf.Scalar;
  // #region profile
  const profile = await profileStep({ optimizer: opt, loss: (p) => lossOf(p, x, y) }, { steps: 3, timedSteps: 5 });
  console.log(formatProfile(profile, { top: 8 }));
  // #endregion
  opt.dispose();
  tf.dispose(Object.values(params));
  return profile;
}
