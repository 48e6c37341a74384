// src/main.ts of a browser app built with Vite (webpack, esbuild and Rollup work the same way).
import { Optimizer, useBackend } from '@gradkit/core';
import { adam } from '@gradkit/optimizers';
import * as tf from '@tensorflow/tfjs-core';

const info = await useBackend('auto', {
  // One loader per backend: the bundler makes each a chunk, fetched only when that backend is tried.
  load: {
    webgpu: () => import('@tensorflow/tfjs-backend-webgpu'),
    wasm: () => import('@tensorflow/tfjs-backend-wasm'),
    cpu: () => import('@tensorflow/tfjs-backend-cpu'),
  },
  wasmPaths: '/tfjs-wasm/', // where the app serves tfjs-backend-wasm's .wasm files
});
const skipped = info.fallbacks.map((f) => `${f.name}: ${f.reason}`).join('; ');
document.querySelector('#status')!.textContent = `backend ${info.name}${skipped ? ` (skipped ${skipped})` : ''}`;

const x = tf.randomNormal([256, 8]);
const y = tf.sum(x, 1, true);
const params = { w: tf.variable(tf.zeros([8, 1])) };
const opt = new Optimizer(params, adam({ learningRate: 0.05 }));
for (let step = 0; step < 200; step++) {
  const loss = await opt.minimize((p) => tf.mean(tf.square(tf.sub(tf.matMul(x, p.w), y))));
  if (step % 20 === 0) document.querySelector('#loss')!.textContent = `step ${step}: loss ${loss.toFixed(4)}`;
  await tf.nextFrame(); // let the page paint between steps
}
