// Runs in an empty npm project where only @gradkit/core (packed), tfjs-core (its peer) and the cpu and
// wasm backends are installed: plain Node ESM, no bundler, no workspace links.

import { GradkitError, useBackend, valueAndGrad } from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';

const close = (actual, expected) => actual.length === expected.length && expected.every((e, i) => Math.abs(actual[i] - e) <= 1e-5 * (1 + Math.abs(e)));
const check = (what, actual, expected) => {
  if (!close(Array.from(actual), expected)) throw new Error(`${what}: got [${Array.from(actual)}], expected [${expected}]`);
};

for (const name of ['cpu', 'wasm']) {
  const info = await useBackend(name);
  if (info.name !== name || tf.getBackend() !== name) throw new Error(`useBackend('${name}') started ${info.name} (tfjs says ${tf.getBackend()})`);
  // f(w, b) = Σ w² + Σ exp(b): ∂f/∂w = 2w, ∂f/∂b = exp(b); over a nested tree.
  const params = { w: tf.tensor1d([1, -2, 3]), layers: [{ b: tf.tensor1d([0.5, -1]) }] };
  const f = (p) => tf.add(tf.sum(tf.mul(p.w, p.w)), tf.sum(tf.exp(p.layers[0].b)));
  const { value, grads } = valueAndGrad(f)(params);
  check(`${name} value`, await value.data(), [14 + Math.exp(0.5) + Math.exp(-1)]);
  check(`${name} grads.w`, await grads.w.data(), [2, -4, 6]);
  check(`${name} grads.layers.0.b`, await grads.layers[0].b.data(), [Math.exp(0.5), Math.exp(-1)]);
  tf.dispose([value, grads.w, grads.layers[0].b, params.w, params.layers[0].b]);
  console.log(`esm ${name}: value and gradients right${name === 'wasm' ? ` (simd ${info.simd})` : ''}`);
}

// The webgpu backend is not installed here: asking for it must say which package to install.
try {
  await useBackend('webgpu');
  throw new Error("useBackend('webgpu') started without the webgpu packages installed");
} catch (e) {
  if (!(e instanceof GradkitError) || !/npm install/.test(e.message)) throw new Error(`useBackend('webgpu') failed without naming what to install: ${e}`);
}
console.log('ok');
