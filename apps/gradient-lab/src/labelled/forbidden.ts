// Remedies that a label forbids, shared by the cases. Each pattern is matched against the `toTry`
// strings of every finding (remedies.ts words them, e.g. "a higher learning rate: …",
// "clip the gradients: chain(clipByGlobalNorm(1), yourOptimizer) …").
import type { ForbiddenRemedy } from './label.js';

/** "Raise the learning rate": wrong at the end of a schedule (its own decay) and for zero gradients of a rate that is too high. */
export const RAISE_LR: ForbiddenRemedy = { pattern: /(higher|larger|raise the|increase the) learning rate/i, why: 'the rate is not too low here' };
/** Sigmoid advice: wrong for a network without sigmoid units. */
export const SIGMOID_ADVICE: ForbiddenRemedy = { pattern: /sigmoid/i, why: 'the network has no sigmoid units' };
/** An adaptive optimizer (Adam …): wrong when the run already uses Adam. */
export const ADAM_AGAIN: ForbiddenRemedy = { pattern: /\badam\b|adaptive optimizer/i, why: 'the run already uses Adam' };
/** Gradient clipping: wrong when the chain already clips. */
export const CLIP_AGAIN: ForbiddenRemedy = { pattern: /clip/i, why: 'the chain already clips (clipByGlobalNorm)' };
/** A lower learning rate for exploding gradients: the lab's `exploding-lr` (lr ÷10) stays exploding. */
export const LOWER_LR_FOR_EXPLODING: ForbiddenRemedy = {
  pattern: /lower learning rate/i,
  why: "the lab's exploding-lr refutes it for exploding initializations",
};
/**
 * gradkit's spelling of what tfjs-layers has, in the remedies of a tfjs-layers model: its user writes
 * `kernelInitializer: 'heNormal'`, `tf.layers.batchNormalization()`. (Clipping and a finite guard,
 * which tfjs optimizers lack, may name gradkit's adapter.)
 */
export const GRADKIT_API: ForbiddenRemedy = {
  pattern: /@gradkit\/(initializers|normalization|activations|nn)\b|yourOptimizer|\b(heNormal|glorotUniform)\(|\bBatchNorm between/,
  why: "a tfjs-layers model: say it in tfjs-layers' API",
};
/**
 * Clipping for a learning rate that is too high: the lab's `large-lr-clip` learns nothing (9.9%); and
 * RMSProp's or Adam's step is about the rate per weight whatever the gradient's scale, so clipping the
 * gradient does not shrink it.
 */
export const CLIP_FOR_HIGH_LR: ForbiddenRemedy = {
  pattern: /clip/i,
  why: "the rate is too high: RMSProp's step is ≈ lr per weight whatever the gradient's norm, and the lab's large-lr-clip refutes clipping for it",
};
/** The cure of a learning rate that is too high (the lab's `large-lr` against `relu-he`). */
export const LOWER_LR = /lower learning rate/i;
