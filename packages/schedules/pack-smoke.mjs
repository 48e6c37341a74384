// Run by tests/pack/pack.mjs in an npm project where the packed @gradkit/core and @gradkit/schedules
// are installed as a user installs them: schedules evaluate, and reduceOnPlateau runs through the
// Optimizer (plain Node ESM, cpu backend). Exits non-zero on failure.
import { chain, Optimizer, useBackend } from '@gradkit/core';
import { cosineDecay, oneCycle, reduceOnPlateau } from '@gradkit/schedules';
import * as tf from '@tensorflow/tfjs-core';

const fail = (message) => {
  console.error(`pack-smoke: ${message}`);
  process.exit(1);
};

await useBackend('cpu');
if (Math.abs(cosineDecay({ initial: 1, decaySteps: 4 })(2) - 0.5) > 1e-15) fail('cosineDecay(…)(2) is not 0.5');
if (Math.abs(oneCycle({ maxValue: 0.1, totalSteps: 100 })(0) - 0.004) > 1e-15) fail('oneCycle(…)(0) is not 0.004');

// A plain scaled-gradient step (no optimizers package needed): updates = −0.5·g, then reduceOnPlateau.
const descend = { name: 'descend', options: {}, init: () => ({}), update: (grads, state) => ({ updates: { w: tf.mul(grads.w, -0.5) }, state }) };
const params = { w: tf.variable(tf.tensor1d([1, -1])) };
const opt = new Optimizer(params, chain(descend, reduceOnPlateau({ patience: 0, factor: 0.5 })));
// f(w) = Σ w²: the step 0.5·2w lands on 0, then the loss stays at 0: no improvement → the scale halves.
for (let i = 0; i < 3; i++) await opt.minimize((p) => tf.sum(tf.square(p.w)));
const saved = await opt.saveState();
const bytes = Uint8Array.from(atob(saved.state['1.scale'].data), (c) => c.charCodeAt(0));
const scale = new Float32Array(bytes.buffer)[0];
if (scale !== 0.5) fail(`the scale after loss 2, 0, 0 with patience 0 should be 0.5, got ${scale}`);
opt.dispose();
console.log('pack-smoke @gradkit/schedules: ok');
