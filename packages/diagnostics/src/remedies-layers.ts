// The remedies of remedies.ts in tfjs-layers' API, for models diagnosed through `gradientCallback`:
// the same remedies, confirmed by the same gradient-lab experiments (see the comments on `Phrases`),
// said with tfjs-layers' names (`kernelInitializer: 'heNormal'`, `tf.layers.batchNormalization()`).
// tfjs optimizers cannot clip or skip a step: those remedies go through gradkit's adapter,
// `toTfOptimizer` (@gradkit/optimizers), which turns a gradkit chain into a tf.Optimizer.
import type { Phrases } from './remedies.js';

/** The remedies in tfjs-layers' API; `optimizer` is the gradkit spelling of the model's optimizer for the adapter (default `adam()`). */
export function layersPhrases(optimizer = 'adam()'): Phrases {
  const adapter = (inner: string) =>
    `model.compile({ optimizer: toTfOptimizer(${inner}), loss }) (toTfOptimizer from @gradkit/optimizers, which makes a gradkit chain a tf.Optimizer)`;
  return {
    clip: `clip the gradients (tfjs optimizers cannot): ${adapter(`chain(clipByGlobalNorm(1), ${optimizer})`)}, with chain from @gradkit/core and clipByGlobalNorm from @gradkit/clipping; it bounds every step`,
    normAny:
      "add tf.layers.batchNormalization() (or tf.layers.layerNormalization()) after each Dense/Conv2D layer, before its activation (give the layer activation: 'linear' and follow the normalization with tf.layers.activation({ activation: 'relu' }))",
    batchNorm:
      "add tf.layers.batchNormalization() after each Dense/Conv2D layer, before its activation (give the layer activation: 'linear' and follow it with tf.layers.activation({ activation: 'relu' }))",
    residual:
      'residual blocks with the functional API: y = tf.layers.add().apply([x, block.apply(x)]) with tf.layers.layerNormalization() inside the block, built with tf.model({ inputs, outputs }): the gradient gets a short path to the input',
    heRelu: "activation: 'relu' with kernelInitializer: 'heNormal' on the Dense/Conv2D layers",
    heForRelu:
      "kernelInitializer: 'heNormal' on the relu layers: Var(w) = 2/fanIn keeps the signal at the same scale from layer to layer (a smaller variance shrinks it at every layer, twice the scale doubles it)",
    initScale:
      "a variance-preserving kernelInitializer at scale 1: 'heNormal' for relu layers, 'glorotUniform' for tanh; larger weights multiply the signal at every layer",
    tanhGlorot: "activation: 'tanh' instead of 'sigmoid', with kernelInitializer: 'glorotUniform': Glorot with sigmoid stays vanishing",
    glorotForTanh: "kernelInitializer: 'glorotUniform' on the tanh layers",
    guard: `guard the step (tfjs optimizers cannot): ${adapter(`applyIfFinite(${optimizer})`)}, with applyIfFinite from @gradkit/clipping; it skips a step whose gradients hold NaN or ±Infinity (after 5 such steps in a row it applies the update anyway: maxConsecutiveErrors)`,
    lowerLr:
      'a lower learning rate (try 10× lower) for the optimizer given to model.compile (the rate you pass to tf.train.adam(…), tf.train.rmsprop(…) …): ‖u‖/‖θ‖ is proportional to it, and about 1e-3 is typical',
    raiseLr:
      'a higher learning rate (try 10× higher) for the optimizer given to model.compile (the rate you pass to tf.train.adam(…), tf.train.rmsprop(…) …): ‖u‖/‖θ‖ is proportional to it, and about 1e-3 is typical',
  };
}
