import { defineOptimizer } from '@gradkit/optimizers';
import * as tf from '@tensorflow/tfjs-core';

/**
 * Yogi (Zaheer et al., NeurIPS 2018), as optax.yogi: Adam whose second moment moves additively,
 * v ← v − (1−β₂)·sign(v − g²)·g², so it cannot grow explosively on rare large gradients.
 * m ← β₁m + (1−β₁)g;  update = −η · m̂ / (√v̂ + ε), with bias-corrected m̂, v̂.
 */
export const yogi = defineOptimizer({
  name: 'yogi',
  defaults: { learningRate: 1e-2, beta1: 0.9, beta2: 0.999, epsilon: 1e-3 },
  ranges: {
    learningRate: { min: 0, minExclusive: true },
    beta1: { min: 0, max: 1, maxExclusive: true },
    beta2: { min: 0, max: 1, maxExclusive: true },
    epsilon: { min: 0, minExclusive: true },
  },
  slots: ['m', 'v'],
  initial: { v: 1e-6 },
  step: ({ grad, slots, hyper, step }) => {
    const { learningRate, beta1, beta2, epsilon } = hyper;
    const g2 = tf.square(grad);
    const m = tf.add(tf.mul(slots.m, beta1), tf.mul(grad, 1 - beta1));
    const v = tf.sub(slots.v, tf.mul(tf.mul(tf.sign(tf.sub(slots.v, g2)), g2), 1 - beta2));
    const t = step + 1;
    const mHat = tf.div(m, 1 - beta1 ** t);
    const vHat = tf.div(v, 1 - beta2 ** t);
    const update = tf.mul(tf.div(mHat, tf.add(tf.sqrt(vHat), epsilon)), -learningRate);
    return { update, slots: { m, v } };
  },
});
