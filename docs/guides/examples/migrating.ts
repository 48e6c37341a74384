import { clipByGlobalNorm } from '@gradkit/clipping';
import { chain, Optimizer } from '@gradkit/core';
import { type GradientReport, gradientCallback } from '@gradkit/diagnostics';
import { adam, adamw, toTfOptimizer } from '@gradkit/optimizers';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

/** A linear model's loss on a fixed batch. */
const lossOf = (x: tf.Tensor, y: tf.Tensor) => (w: tf.Variable, b: tf.Variable) => tf.losses.meanSquaredError(y, tf.add(tf.matMul(x, w), b));

/** The tf.train loop this guide starts from. */
export function trainWithTfTrain(w: tf.Variable, b: tf.Variable, x: tf.Tensor, y: tf.Tensor, steps: number): void {
  const loss = lossOf(x, y);
  // #region before
  const optimizer = tf.train.adam(1e-3);
  for (let step = 0; step < steps; step++) optimizer.minimize(() => loss(w, b) as tf.Scalar, false, [w, b]);
  // #endregion
  optimizer.dispose();
}

/** The same loop with gradkit's Optimizer. */
export async function trainWithGradkit(w: tf.Variable, b: tf.Variable, x: tf.Tensor, y: tf.Tensor, steps: number): Promise<void> {
  const loss = lossOf(x, y);
  // #region after
  const opt = new Optimizer({ w, b }, adam({ learningRate: 1e-3, epsilon: 1e-7 })); // tfjs's ε is the backend's, 1e-7
  for (let step = 0; step < steps; step++) await opt.minimize((p) => loss(p.w, p.b));
  // #endregion
  opt.dispose();
}

/** Keeping tf.train's interface: any gradkit chain as a tf.Optimizer. */
export function trainWithAdapter(w: tf.Variable, b: tf.Variable, x: tf.Tensor, y: tf.Tensor, steps: number): void {
  const loss = lossOf(x, y);
  // #region adapter
  const optimizer = toTfOptimizer(chain(clipByGlobalNorm(1), adam({ learningRate: 1e-3, epsilon: 1e-7 })));
  for (let step = 0; step < steps; step++) optimizer.minimize(() => loss(w, b) as tf.Scalar, false, [w, b]);
  // #endregion
  optimizer.dispose();
}

/** A tfjs-layers model trained by a gradkit optimizer and watched by gradkit's diagnostics. */
export async function fitLayersModel(xs: tf.Tensor, ys: tf.Tensor, epochs: number): Promise<GradientReport[]> {
  // #region layers
  const model = tfl.sequential({
    layers: [
      tfl.layers.dense({ units: 32, inputShape: [784], activation: 'relu', kernelInitializer: 'heNormal' }),
      tfl.layers.dense({ units: 10, activation: 'softmax' }),
    ],
  });
  model.compile({
    optimizer: toTfOptimizer(chain(clipByGlobalNorm(1), adamw({ learningRate: 1e-3 }))),
    loss: 'categoricalCrossentropy',
  });
  const probe = tf.slice(xs, 0, 32); // a batch of inputs: the reports then see every layer's output too
  const watch = gradientCallback({ model, every: 10, probe, onReport: (r) => console.log(`batch ${r.step}: ${r.verdict}`) });
  await model.fit(xs, ys, { epochs, batchSize: 16, callbacks: watch });
  probe.dispose();
  // #endregion
  const reports = [...watch.monitor.history];
  model.dispose();
  return reports;
}
