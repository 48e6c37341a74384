import { applyIfFinite, clipByGlobalNorm, skipLargeUpdates, zclip } from '@gradkit/clipping';
import { chain, type GradientTransformation, Optimizer } from '@gradkit/core';
import { batches, dense, embedding, recalibrateBatchNorm, type Sequential, sequential } from '@gradkit/nn';
import { BatchNorm } from '@gradkit/normalization';
import {
  accumulate,
  adam,
  adamw,
  addDecayedWeights,
  ademamix,
  adopt,
  cautious,
  emaParams,
  lookahead,
  muon,
  optimizerFromConfig,
  prodigy,
  scaleByAdam,
  scaleByLearningRate,
  scheduleFreeAdamW,
  sgd,
  toTfOptimizer,
} from '@gradkit/optimizers';
import { cosineDecay, joinSchedules, linearWarmup, oneCycle, reduceOnPlateau, stepDecay, warmupCosineDecay } from '@gradkit/schedules';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';

/** The default recipe for a deep net trained for `steps` steps. */
export function recipe(steps: number): GradientTransformation {
  // #region recipe
  const learningRate = warmupCosineDecay({ peak: 1e-3, warmupSteps: Math.round(steps / 20), decaySteps: steps });
  const tx = chain(clipByGlobalNorm(1), adamw({ learningRate, weightDecay: 0.05 }));
  // #endregion
  return tx;
}

/** AdamW written out (optax's adamw), with no weight decay on biases and normalization parameters. */
export function adamwNoDecayOnBiases(steps: number): GradientTransformation {
  // #region masked
  const decayed = (path: string) => !/(bias|gamma|beta)$/.test(path); // kernels only
  const tx = chain(
    clipByGlobalNorm(1),
    scaleByAdam(), // m̂ / (√v̂ + ε)
    addDecayedWeights(0.05, decayed), // + λ·θ, decoupled from the adaptive scaling
    scaleByLearningRate(cosineDecay({ initial: 1e-3, decaySteps: steps })), // × −η(t)
  );
  // #endregion
  return tx;
}

/** Schedules are plain functions of the step. */
export function schedules(): Record<string, (step: number) => number> {
  // #region schedules
  const cosine = cosineDecay({ initial: 0.1, decaySteps: 1000 }); // CosineAnnealingLR(T_max=1000)
  const steps = stepDecay({ initial: 0.1, stepSize: 300, gamma: 0.1 }); // StepLR(step_size=300)
  const cycle = oneCycle({ maxValue: 0.1, totalSteps: 1000 }); // OneCycleLR(max_lr=0.1, total_steps=1000)
  const warmThenCosine = joinSchedules([linearWarmup({ peak: 0.1, warmupSteps: 100 }), cosine], [100]);
  console.log(cosine(500), steps(600), cycle(299), warmThenCosine(50)); // 0.05 0.001 0.1 0.05 (one-cycle peaks at step 0.3·T − 1, as PyTorch)
  // #endregion
  return { cosine, steps, cycle, warmThenCosine };
}

/** The other tools of the chain. */
export function more(): GradientTransformation[] {
  // #region more
  // Halve the step when the loss has not improved for 5 steps (ReduceLROnPlateau); decided on the device.
  const plateau = chain(sgd({ learningRate: 0.1, momentum: 0.9 }), reduceOnPlateau({ factor: 0.5, patience: 5 }));
  // Skip steps whose gradients hold NaN or ±Infinity (at most 5 in a row), keeping the state.
  const guarded = applyIfFinite(chain(clipByGlobalNorm(1), adamw({ learningRate: 1e-3 })), { maxConsecutiveErrors: 5 });
  // Four minibatches per step: the mean of their gradients, as one batch four times as large.
  const accumulated = accumulate(4, adamw({ learningRate: 1e-3 }));
  // From a config file or a command line: the names and options of the factories.
  const fromConfig = optimizerFromConfig({ name: 'rmsprop', learningRate: 1e-3, centered: true });
  // #endregion
  return [plateau, guarded, accumulated, fromConfig];
}

/** Muon for the hidden matrices of a small next-token model; AdamW for the embedding, the head and the biases. */
export function muonForHiddenMatrices(vocab: number): { model: Sequential; tx: GradientTransformation } {
  // #region muon
  // The parameter paths of this model: '0.table', '1.kernel', '1.bias', '2.kernel', '2.bias', '3.kernel', '3.bias'.
  const model = sequential(
    embedding({ numEmbeddings: vocab, embeddingDim: 32, seed: 1 }),
    dense({ inFeatures: 32, outFeatures: 128, activation: 'relu', seed: 2 }),
    dense({ inFeatures: 128, outFeatures: 32, activation: 'relu', seed: 3 }),
    dense({ inFeatures: 32, outFeatures: vocab, seed: 4 }), // the output head
  );
  const tx = muon({
    learningRate: 0.02, // Muon's rate for the hidden matrices (adjustLr 'original')
    muonParams: (path, p) => p.rank >= 2 && path !== '0.table' && !path.startsWith('3.'), // not the embedding, not the head
    adamw: { learningRate: 3e-4, weightDecay: 0.01 }, // the embedding, the head and every bias
  });
  // #endregion
  return { model, tx };
}

/** Schedule-free AdamW: a constant rate, evaluation at x every `every` steps. Returns the losses at x. */
export async function scheduleFreeTraining<P extends Record<string, tf.Variable>>(
  params: P,
  loss: (p: P) => tf.Tensor,
  steps: number,
  every: number,
): Promise<number[]> {
  const evaluate = async () => {
    const l = loss(params);
    const v = (await l.data())[0] as number;
    l.dispose();
    return v;
  };
  const atX: number[] = [];
  // #region scheduleFree
  const opt = new Optimizer(params, scheduleFreeAdamW({ learningRate: 0.0025, warmupSteps: Math.round(steps / 20) }));
  for (let step = 1; step <= steps; step++) {
    await opt.minimize(loss); // the gradient is taken at y
    if (step % every === 0) {
      opt.eval(); // the parameters hold x, the point to evaluate
      atX.push(await evaluate());
      opt.train(); // back to y before the next step
    }
  }
  opt.eval(); // evaluate, save or ship the weights at x
  // #endregion
  opt.dispose();
  return atX;
}

/** ADOPT, Prodigy and AdEMAMix, each with the rate to start from. */
export function adaptive(steps: number): GradientTransformation[] {
  // #region adaptive
  const adoptTx = adopt({ learningRate: 1e-3 }); // Adam's rate; any β₂ converges (default 0.9999)
  const prodigyTx = prodigy({ learningRate: cosineDecay({ initial: 1, decaySteps: steps }), weightDecay: 0.01 }); // lr is a multiplier of the estimated step: peak 1
  const ademamixTx = ademamix({ learningRate: 1e-3, alpha: linearWarmup({ peak: 5, warmupSteps: steps }), beta3: 0.999, weightDecay: 0.1 }); // α warmed up, as the paper
  // #endregion
  return [adoptTx, prodigyTx, ademamixTx];
}

/** The wrappers around an optimizer, and the adaptive clipping in front of it. */
export function wrappers(): GradientTransformation[] {
  // #region wrappers
  const careful = cautious(adamw({ learningRate: 1e-3 })); // only the components that agree with the gradient
  const slowFast = lookahead(adam({ learningRate: 1e-3 }), { syncPeriod: 6, slowStepSize: 0.5 }); // eval() at the slow weights
  const averaged = emaParams(adamw({ learningRate: 1e-3 }), { decay: 0.999 }); // eval() at the average of the weights
  const spikes = chain(zclip({ zThreshold: 2.5 }), adamw({ learningRate: 3e-4 })); // clip the norm against its running statistics
  const skipping = skipLargeUpdates(adamw({ learningRate: 1e-3 }), { maxSquaredNorm: 1e4 }); // drop the steps whose Σg² ≥ 1e4
  const fromJson = optimizerFromConfig({ name: 'lookahead', inner: { name: 'adopt', learningRate: 1e-3 }, syncPeriod: 5 });
  // #endregion
  return [careful, slowFast, averaged, spikes, skipping, fromJson];
}

/** A tfjs-layers model trained with schedule-free AdamW, evaluated at x. Returns the loss at x. */
export async function layersScheduleFree(model: tfl.LayersModel, xs: tf.Tensor, ys: tf.Tensor): Promise<number> {
  // #region layers
  const opt = toTfOptimizer(scheduleFreeAdamW({ learningRate: 0.0025, warmupSteps: 20 }));
  model.compile({ optimizer: opt, loss: 'meanSquaredError' });
  await model.fit(xs, ys, { epochs: 20, batchSize: 16, verbose: 0 });
  opt.eval(); // the layers' weights hold x
  const atX = model.evaluate(xs, ys) as tf.Scalar;
  opt.train(); // y again before the next fit
  // #endregion
  const v = (await atX.data())[0] as number;
  atX.dispose();
  return v;
}

/** A model with BatchNorm trained by schedule-free AdamW, its running statistics recomputed at x before evaluating. Returns the loss at x. */
export async function scheduleFreeWithBatchNorm(x: tf.Tensor2D, y: tf.Tensor2D, epochs: number): Promise<number> {
  // #region batchNorm
  const model = sequential(
    dense({ inFeatures: 4, outFeatures: 16, activation: 'relu', seed: 1 }),
    BatchNorm({ features: 16 }),
    dense({ inFeatures: 16, outFeatures: 1, seed: 2 }),
  );
  const opt = new Optimizer(model.params, scheduleFreeAdamW({ learningRate: 0.01 }));
  const loader = batches({ x, y }, { batchSize: 16, seed: 1 });
  for (let epoch = 0; epoch < epochs; epoch++) {
    for (const batch of loader) {
      await opt.minimize(() => tf.losses.meanSquaredError(batch.y, model.apply(batch.x)) as tf.Scalar);
      tf.dispose(batch);
    }
  }
  recalibrateBatchNorm(model, loader, { maxBatches: 50, optimizer: opt }); // opt.eval(), then the statistics at x
  const atX = tf.tidy(() => tf.losses.meanSquaredError(y, model.eval().apply(x)));
  model.train();
  opt.train(); // y again, to train on
  // #endregion
  const v = (await atX.data())[0] as number;
  tf.dispose([atX, model.params] as unknown as tf.TensorContainer);
  opt.dispose();
  return v;
}
