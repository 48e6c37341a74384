// Runs in an empty npm project with @gradkit/core, @gradkit/activations and @gradkit/initializers
// (packed), tfjs-core and the cpu and wasm backends: plain Node ESM. Exits non-zero on failure.
import { useBackend } from '@gradkit/core';
import { heNormal, lsuv, uniform } from '@gradkit/initializers';
import * as tf from '@tensorflow/tfjs-core';

// xoshiro128** reference values (seed 42): the same on every backend.
const expected = [0.413701653, 0.00398399355, 0.650083721].map(Math.fround);
for (const name of ['cpu', 'wasm']) {
  await useBackend(name);
  const u = uniform({ seed: 42 })([3]);
  const got = Array.from(await u.data());
  if (got.join() !== expected.join()) throw new Error(`${name} uniform(seed 42): got [${got}], expected [${expected}]`);
  const w = tf.variable(heNormal({ nonlinearity: 'tanh', seed: 1 })([16, 8]));
  const x = tf.randomNormal([64, 16], 0, 1, 'float32', 3);
  const report = await lsuv([{ weight: w, forward: (t) => tf.matMul(t, w) }], x, { tolerance: 0.01, seed: 2 });
  if (Math.abs(report.layers[0].variance - 1) >= 0.01) throw new Error(`${name} lsuv: variance ${report.layers[0].variance}`);
  tf.dispose([u, w, x]);
  console.log(`esm ${name}: initializers right`);
}
console.log('ok');
