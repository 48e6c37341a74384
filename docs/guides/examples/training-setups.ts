import { clipByGlobalNorm } from '@gradkit/clipping';
import { chain, type GradientTransformation, loadCheckpoint, Optimizer, partition, saveCheckpoint } from '@gradkit/core';
import { act, dense, sequential } from '@gradkit/nn';
import { BatchNorm } from '@gradkit/normalization';
import { adamw, optimizerFromConfig, optimizerToConfig, sgd } from '@gradkit/optimizers';
import { fitSteps, reduceOnPlateau } from '@gradkit/schedules';
import type * as tf from '@tensorflow/tfjs-core';

/** A small net with a BatchNorm (whose running statistics are buffers, not parameters). */
export function makeModel(seed: number) {
  return sequential(
    dense({ inFeatures: 4, outFeatures: 8, seed }),
    BatchNorm({ features: 8 }),
    act('relu'),
    dense({ inFeatures: 8, outFeatures: 3, seed: seed + 1, name: 'head' }),
  );
}

/** AdamW; no weight decay on biases and BatchNorm's gains; a ten times lower rate for the head. */
export function groups(): GradientTransformation {
  // #region partition
  const tx = partition(
    {
      decay: adamw({ learningRate: 1e-3, weightDecay: 0.05 }),
      noDecay: adamw({ learningRate: 1e-3, weightDecay: 0 }),
      head: adamw({ learningRate: 1e-4, weightDecay: 0.05 }),
    },
    (path, param) => (path.startsWith('3.') ? 'head' : param.rank === 1 ? 'noDecay' : 'decay'),
  );
  // #endregion
  return tx;
}

/** One step, then what the optimizer measured and the rates it will use. */
export async function inspect(model: ReturnType<typeof makeModel>, loss: (m: ReturnType<typeof makeModel>) => tf.Scalar) {
  // #region metrics
  const opt = new Optimizer(model.params, chain(clipByGlobalNorm(1), adamw({ learningRate: 1e-3 })));
  await opt.minimize(() => loss(model));
  const metrics = await opt.metrics(); // { 'clipByGlobalNorm.norm': 4.1, 'clipByGlobalNorm.clipped': 1 }
  const rates = opt.hyperParams(); // { clipByGlobalNorm: { maxNorm: 1 }, adamw: { learningRate: 0.001, … } }
  // #endregion
  opt.dispose();
  return { metrics, rates };
}

/** The learning rate follows the validation loss, reported once per epoch. */
export async function plateau(
  model: ReturnType<typeof makeModel>,
  trainEpoch: (opt: Optimizer) => Promise<void>,
  validationLoss: () => Promise<number>,
  epochs: number,
) {
  // #region plateau
  const opt = new Optimizer(model.params, chain(sgd({ learningRate: 0.1 }), reduceOnPlateau({ on: 'metric', patience: 2, factor: 0.5 })));
  for (let epoch = 0; epoch < epochs; epoch++) {
    await trainEpoch(opt);
    opt.reportMetric(await validationLoss()); // PyTorch: scheduler.step(val_loss)
  }
  // #endregion
  return opt;
}

/** Saves parameters, BatchNorm's running statistics and the optimizer state; restores them into a new process's objects. */
export async function checkpoint(model: ReturnType<typeof makeModel>, opt: Optimizer, dir: string) {
  // #region checkpoint
  await saveCheckpoint(dir, { module: model, optimizer: opt, metadata: { epoch: 3 } }); // or 'indexeddb://run-1' in a browser
  // … later, or in another process, with the same code:
  const restored = makeModel(1);
  const restoredOpt = new Optimizer(restored.params, chain(clipByGlobalNorm(1), adamw({ learningRate: 1e-3 })));
  const { metadata } = await loadCheckpoint(dir, { module: restored, optimizer: restoredOpt });
  // #endregion
  return { restored, restoredOpt, metadata };
}

/** A whole training setup as JSON, and back. */
export function configs(): { tx: GradientTransformation; json: string } {
  // #region config
  const tx = optimizerFromConfig({
    chain: [
      { name: 'clipByGlobalNorm', maxNorm: 1 },
      { name: 'adamw', learningRate: { schedule: 'warmupCosineDecay', peak: 1e-3, warmupSteps: 100, decaySteps: 1000 }, weightDecay: 0.05 },
    ],
  });
  const json = JSON.stringify(optimizerToConfig(tx)); // the same config: save it beside the checkpoint
  // #endregion
  return { tx, json };
}

/** The step count of a tfjs-layers fit, for its schedule. */
export function stepsOfAFit(): number {
  // #region fitSteps
  // model.fit(xs, ys, { epochs: 10, batchSize: 32, validationSplit: 0.1 }) on 1000 samples:
  const total = fitSteps({ samples: 1000, batchSize: 32, epochs: 10, validationSplit: 0.1 }); // 10 × ⌈900 / 32⌉ = 290
  // #endregion
  return total;
}
