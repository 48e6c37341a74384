// The network and the optimizer of a configuration, built exactly as the gradient lab builds them
// (apps/gradient-lab/src/model.ts): @gradkit/nn modules, @gradkit/initializers, @gradkit/normalization,
// @gradkit/optimizers, @gradkit/schedules and @gradkit/clipping through their public APIs.
import { clipByGlobalNorm } from '@gradkit/clipping';
import { chain, type GradientTransformation, type Module, type Schedule } from '@gradkit/core';
import { glorotUniform, heNormal, type Initializer, lecunNormal, normal, orthogonal, uniform } from '@gradkit/initializers';
import { act, dense, residual, sequential } from '@gradkit/nn';
import { BatchNorm, LayerNorm } from '@gradkit/normalization';
import { optimizerFromConfig, sgd } from '@gradkit/optimizers';
import { cosineDecay, exponentialDecay, oneCycle, stepDecay, warmupCosineDecay } from '@gradkit/schedules';
import * as tf from '@tensorflow/tfjs-core';
import { CLASSES, PIXELS, type PlaygroundConfig } from './config.js';

/** The kernel initializer of a dense layer with `fanIn` inputs (seeded per layer). */
export function kernelInitializer(config: Pick<PlaygroundConfig, 'init' | 'initScale'>, fanIn: number, seed: number): Initializer {
  const base = ((): Initializer => {
    switch (config.init) {
      case 'naive': {
        const bound = 1 / Math.sqrt(fanIn);
        return uniform({ min: -bound, max: bound, seed });
      }
      case 'small':
        return normal({ stddev: 0.01, seed });
      case 'glorot':
        return glorotUniform({ seed });
      case 'he':
        return heNormal({ seed });
      case 'lecun':
        return lecunNormal({ seed });
      case 'orthogonal':
        return orthogonal({ seed });
    }
  })();
  if (config.initScale === 1) return base;
  return (shape, dtype) =>
    tf.tidy(() => {
      const w = base(shape, dtype);
      return tf.mul(w, tf.scalar(config.initScale, w.dtype));
    });
}

/**
 * The classifier 784 → width → … → 10 (logits): plain, `depth` × [dense → norm → activation] then a
 * dense head; residual, dense → activation then `depth − 1` pre-norm blocks x + act(dense(norm(x))),
 * a final norm, the head. Seeded from `config.seed` as in gradient-lab (same seed, same weights).
 */
export function buildModel(config: PlaygroundConfig): Module {
  let seed = config.seed * 1000;
  const layer = (inFeatures: number, outFeatures: number) =>
    dense({ inFeatures, outFeatures, kernelInitializer: kernelInitializer(config, inFeatures, ++seed) });
  const norm = (): Module[] =>
    config.norm === 'batch' ? [new BatchNorm({ features: config.width })] : config.norm === 'layer' ? [new LayerNorm({ features: config.width })] : [];
  const w = config.width;
  const modules: Module[] = [];
  if (!config.residual) {
    for (let i = 0; i < config.depth; i++) modules.push(layer(i === 0 ? PIXELS : w, w), ...norm(), act(config.activation));
  } else {
    modules.push(layer(PIXELS, w), ...norm(), act(config.activation));
    for (let i = 1; i < config.depth; i++) modules.push(residual(sequential(...norm(), layer(w, w), act(config.activation))));
    modules.push(...norm());
  }
  modules.push(layer(w, CLASSES));
  return sequential(...modules);
}

/** The learning rate: a number, or a Schedule over the run's steps peaking at `lr` (as gradient-lab). */
export function learningRate(config: PlaygroundConfig): number | Schedule {
  const { lr, steps } = config;
  switch (config.schedule) {
    case 'constant':
      return lr;
    case 'cosine':
      return cosineDecay({ initial: lr, decaySteps: steps });
    case 'warmup-cosine':
      return warmupCosineDecay({ initial: 0, peak: lr, warmupSteps: Math.max(1, Math.round(steps / 10)), decaySteps: Math.max(2, steps) });
    case 'onecycle':
      return oneCycle({ maxValue: lr, totalSteps: Math.max(2, steps) });
    case 'step':
      return stepDecay({ initial: lr, stepSize: Math.max(1, Math.round(steps / 3)), gamma: 0.1 });
    case 'exponential':
      return exponentialDecay({ initial: lr, gamma: 0.01 ** (1 / Math.max(1, steps)) });
  }
}

/** [clipByGlobalNorm →] optimizer; `momentum` is SGD with momentum 0.9. */
export function buildTransform(config: PlaygroundConfig): GradientTransformation {
  const rate = learningRate(config);
  const optimizer =
    config.optimizer === 'momentum' ? sgd({ learningRate: rate, momentum: 0.9 }) : optimizerFromConfig({ name: config.optimizer, learningRate: rate });
  return config.clip > 0 ? chain(clipByGlobalNorm(config.clip), optimizer) : optimizer;
}

/** Mean softmax cross-entropy of `logits` against one-hot `y`. */
export function crossEntropy(y: tf.Tensor, logits: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.neg(tf.mean(tf.sum(tf.mul(y, tf.logSoftmax(logits)), -1))) as tf.Scalar);
}
