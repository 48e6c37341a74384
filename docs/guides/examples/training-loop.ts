// biome-ignore-all lint/suspicious/noFocusedTests: `fit` here is @gradkit/nn's training loop, not a focused test
import { loadCheckpoint, Optimizer } from '@gradkit/core';
import { formatText, GradientMonitor } from '@gradkit/diagnostics';
import { checkpoint, dense, earlyStopping, type FitCallback, fit, type History, sequential, softmaxCrossEntropy } from '@gradkit/nn';
import { adam } from '@gradkit/optimizers';
import * as tf from '@tensorflow/tfjs-core';

/**
 * `n` points of the square [−2, 2]², labelled 1 inside the circle of radius 1.2 and 0 outside: a
 * problem no linear model solves. The points come from a fixed formula, the same on every backend.
 */
export function rings(n: number): { x: tf.Tensor2D; y: tf.Tensor1D } {
  const points = Array.from({ length: n }, (_, i) => [2 * Math.sin(i * 12.9898), 2 * Math.sin(i * 78.233 + 1)] as [number, number]);
  const labels = points.map(([a, b]) => (Math.hypot(a, b) < 1.2 ? 1 : 0));
  return { x: tf.tensor2d(points), y: tf.tensor1d(labels, 'int32') };
}

// #region model
/** A small MLP: 2 inputs, two hidden layers of 16 ReLUs, 2 logits. */
export function classifier(seed = 1) {
  return sequential(
    dense({ inFeatures: 2, outFeatures: 16, activation: 'relu', seed }),
    dense({ inFeatures: 16, outFeatures: 16, activation: 'relu', seed: seed + 1 }),
    dense({ inFeatures: 16, outFeatures: 2, seed: seed + 2 }),
  );
}
// #endregion

/** Trains a classifier on `{ x, y }` with a validation split, accuracy and early stopping. */
export async function train(x: tf.Tensor, y: tf.Tensor) {
  // #region fit
  const model = classifier();
  const history = await fit({
    model,
    loss: softmaxCrossEntropy,
    optimizer: adam({ learningRate: 0.05 }),
    data: { x, y },
    validationSplit: 0.2, // the last 20% of the samples, held out before shuffling
    epochs: 200,
    batchSize: 40,
    metrics: ['accuracy'],
    callbacks: [earlyStopping({ monitor: 'valLoss', patience: 5, restoreBestWeights: true })],
    seed: 1, // the shuffles: the same batches on every run and backend
  });
  console.log(history.epoch.length, history.valAccuracy?.at(-1));
  // #endregion
  return { model, history };
}

/** A callback of your own: stop once the validation accuracy reaches a target. */
export function stopAt(target: number): FitCallback {
  // #region callback
  const reached: FitCallback = {
    onEpochEnd(epoch, logs, run) {
      if ((logs.valAccuracy ?? 0) >= target) {
        console.log(`valAccuracy ${logs.valAccuracy} at epoch ${epoch + 1}: stopping`);
        run.stopTraining = true;
      }
    },
  };
  // #endregion
  return reached;
}

/** Ten epochs with a checkpoint every five, then ten more resumed from the last checkpoint. */
export async function resume(x: tf.Tensor, y: tf.Tensor, dir: string): Promise<{ first: History; rest: History; model: ReturnType<typeof classifier> }> {
  const data = { x, y };
  const loss = softmaxCrossEntropy;
  // #region checkpoint
  const model = classifier();
  const optimizer = new Optimizer(model.params, adam({ learningRate: 0.01 }));
  const first = await fit({
    model,
    loss,
    optimizer,
    data,
    epochs: 10,
    batchSize: 32,
    seed: 1,
    verbose: 0,
    callbacks: [checkpoint({ destination: `${dir}/epoch-{epoch}`, every: 5 })],
  });
  // Later, in another process: the same model and optimizer, restored, and the same seed.
  const again = classifier(42);
  const restored = new Optimizer(again.params, adam({ learningRate: 0.01 }));
  const { metadata } = await loadCheckpoint(`${dir}/epoch-10`, { module: again, optimizer: restored });
  const rest = await fit({
    model: again,
    loss,
    optimizer: restored,
    data,
    epochs: 20,
    initialEpoch: metadata.epoch as number,
    batchSize: 32,
    seed: 1,
    verbose: 0,
  });
  // #endregion
  optimizer.dispose();
  restored.dispose();
  model.dispose();
  return { first, rest, model: again };
}

/** A fit whose gradients a GradientMonitor diagnoses every 20 steps. */
export async function monitored(x: tf.Tensor, y: tf.Tensor) {
  const model = classifier();
  // #region monitor
  const monitor = new GradientMonitor({ onReport: (report) => console.log(formatText(report)) });
  await fit({ model, loss: softmaxCrossEntropy, optimizer: adam(), data: { x, y }, epochs: 5, batchSize: 32, verbose: 0, monitor, monitorEvery: 20 });
  console.log(monitor.history.length, monitor.latest?.verdict); // every report is in when fit resolves
  // #endregion
  return { model, monitor };
}
