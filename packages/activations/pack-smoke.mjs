// Runs in an empty npm project with @gradkit/core and @gradkit/activations (packed), tfjs-core and the
// cpu and wasm backends: plain Node ESM. Exits non-zero on failure.
import { activation, gain, gelu, relu, softplus } from '@gradkit/activations';
import { useBackend, valueAndGrad } from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';

const check = (what, actual, expected) => {
  const a = Array.from(actual);
  if (a.length !== expected.length || expected.some((e, i) => Math.abs(a[i] - e) > 1e-5 * (1 + Math.abs(e))))
    throw new Error(`${what}: got [${a}], expected [${expected}]`);
};

for (const name of ['cpu', 'wasm']) {
  await useBackend(name);
  const x = tf.tensor1d([-1e4, -1, 0, 1, 1e4]);
  // relu uses tfjs's registered gradient (core registers them in plain Node); gelu and softplus are custom.
  const { value, grads } = valueAndGrad((p) => tf.sum(tf.add(tf.add(relu(p.x), gelu(p.x)), softplus(p.x))))({ x });
  check(`${name} relu′ + gelu′ + softplus′`, await grads.x.data(), [0, 0 - 0.0833155 + 0.2689414, 0.5 + 0.5, 1 + 1.0833155 + 0.7310586, 3]);
  const y = activation('leaky_relu')(x);
  check(`${name} activation('leaky_relu')`, await y.data(), [-100, -0.01, 0, 1, 1e4]);
  tf.dispose([x, value, grads.x, y]);
  console.log(`esm ${name}: activations right`);
}
if (gain('tanh') !== 5 / 3) throw new Error('gain');
console.log('ok');
