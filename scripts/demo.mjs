#!/usr/bin/env node
// `npm run demo` (until the gradient lab lands): trains a small deep MLP with a gradkit optimizer on a
// synthetic regression task and prints the loss falling, step by step, on the best available backend.
//   node scripts/demo.mjs [--backend auto|cpu|wasm|webgpu] [--steps 60]
import { Optimizer, useBackend, valueAndGrad } from '@gradkit/core';
import { sgd } from '@gradkit/optimizers';
import * as tf from '@tensorflow/tfjs-core';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
};
const steps = Number(arg('steps', '100'));
const info = await useBackend(arg('backend', 'auto'));
console.log(`backend: ${info.name}${info.simd ? ' (SIMD)' : ''}${info.adapter ? ` (${info.adapter.description || info.adapter.architecture})` : ''}`);
for (const f of info.fallbacks) console.log(`  skipped ${f.name}: ${f.reason.split('\n')[0]}`);

// Data: y = sin(3·x₀) + x₁² over 256 points of [−1, 1]².
const x = tf.randomUniform([256, 2], -1, 1, 'float32', 7);
const y = tf.tidy(() => tf.add(tf.sin(tf.mul(tf.slice(x, [0, 0], [-1, 1]), 3)), tf.square(tf.slice(x, [0, 1], [-1, 1]))));

// A 4-layer tanh MLP, 2 → 32 → 32 → 32 → 1, Glorot-uniform kernels, zero biases.
const widths = [2, 32, 32, 32, 1];
const params = {
  layers: widths.slice(1).map((out, i) => {
    const fanIn = widths[i];
    const limit = Math.sqrt(6 / (fanIn + out));
    return { kernel: tf.variable(tf.randomUniform([fanIn, out], -limit, limit, 'float32', 11 + i)), bias: tf.variable(tf.zeros([out])) };
  }),
};
const predict = (p) =>
  p.layers.reduce((h, l, i) => {
    const z = tf.add(tf.matMul(h, l.kernel), l.bias);
    return i < p.layers.length - 1 ? tf.tanh(z) : z;
  }, x);
const loss = (p) => tf.mean(tf.square(tf.sub(predict(p), y)));

const opt = new Optimizer(params, sgd({ learningRate: 0.05, momentum: 0.9 }));
const started = performance.now();
let first;
let last;
for (let step = 0; step < steps; step++) {
  last = await opt.minimize(loss);
  first ??= last;
  if (step % 10 === 0 || step === steps - 1) {
    const bar = '█'.repeat(Math.max(1, Math.round((40 * last) / first)));
    console.log(`step ${String(step).padStart(3)}  loss ${last.toFixed(5)}  ${bar}`);
  }
}
const ms = performance.now() - started;
console.log(
  `\n${steps} steps of ${opt.lastStepPath === 'reference' ? 'reference' : opt.lastStepPath} SGD in ${(ms / 1000).toFixed(2)} s: loss ${first.toFixed(4)} → ${last.toFixed(4)} (${(first / last).toFixed(1)}× lower)`,
);
const { grads } = valueAndGrad(loss)(params);
const norms = await Promise.all(grads.layers.map(async (g) => (await tf.norm(g.kernel).data())[0]));
console.log(`gradient norm per layer, input → output: ${norms.map((n) => n.toExponential(2)).join('  ')}`);
tf.dispose([x, y, grads]);
opt.dispose();
if (!(last < first)) {
  console.error('demo: the loss did not fall');
  process.exit(1);
}
