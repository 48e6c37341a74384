import { applyIfFinite, clipByGlobalNorm } from '@gradkit/clipping';
import { chain, type GradientTransformation } from '@gradkit/core';
import { accumulate, adamw, addDecayedWeights, optimizerFromConfig, scaleByAdam, scaleByLearningRate, sgd } from '@gradkit/optimizers';
import { cosineDecay, joinSchedules, linearWarmup, oneCycle, reduceOnPlateau, stepDecay, warmupCosineDecay } from '@gradkit/schedules';

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
