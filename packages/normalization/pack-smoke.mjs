// Runs in an empty npm project with @gradkit/core and @gradkit/normalization (packed), tfjs-core and the
// cpu and wasm backends: plain Node ESM. Exits non-zero on failure.
import { useBackend, valueAndGrad } from '@gradkit/core';
import { BatchNorm, batchNorm, layerNorm, weightNorm, weightNormParams } from '@gradkit/normalization';
import * as tf from '@tensorflow/tfjs-core';

const check = (what, actual, expected) => {
  const a = Array.from(actual);
  if (a.length !== expected.length || expected.some((e, i) => Math.abs(a[i] - e) > 1e-4 * (1 + Math.abs(e))))
    throw new Error(`${what}: got [${a}], expected [${expected}]`);
};

for (const name of ['cpu', 'wasm']) {
  await useBackend(name);
  const s = 1 / Math.sqrt(1.00001);
  const x = tf.tensor2d([
    [1, 10],
    [3, 30],
  ]);
  const y = batchNorm(x);
  check(`${name} batchNorm`, await y.data(), [-s, -1 / Math.sqrt(1 + 1e-7), s, 1 / Math.sqrt(1 + 1e-7)]);
  const ln = layerNorm(tf.tensor2d([[1, 3]]));
  check(`${name} layerNorm`, await ln.data(), [-s, s]);
  // The custom backward runs, and agrees with autograd of the textbook formula.
  const x3 = tf.tensor2d([
    [1, 10],
    [3, 30],
    [4, 25],
  ]);
  const w = tf.tensor2d([
    [1, -2],
    [0.5, 3],
    [-1, 1],
  ]);
  const naive = (t) => {
    const { mean, variance } = tf.moments(t, [0], true);
    return tf.div(tf.sub(t, mean), tf.sqrt(tf.add(variance, 1e-5)));
  };
  const custom = valueAndGrad((p) => tf.sum(tf.mul(w, batchNorm(p.x))))({ x: x3 });
  const auto = valueAndGrad((p) => tf.sum(tf.mul(w, naive(p.x))))({ x: x3 });
  const expected = Array.from(await auto.grads.x.data());
  if (expected.every((g) => Math.abs(g) < 1e-3)) throw new Error(`${name}: degenerate gradient check`);
  check(`${name} batchNorm gradient`, await custom.grads.x.data(), expected);
  // The module: running statistics updated once by one training apply inside valueAndGrad, then inference.
  const bn = new BatchNorm({ features: 2, momentum: 0.5 });
  const step = valueAndGrad(() => tf.sum(tf.square(bn.apply(x))))(bn.params);
  check(`${name} BatchNorm runningMean`, await bn.runningMean.data(), [1, 10]);
  check(`${name} BatchNorm runningVar`, await bn.runningVar.data(), [1.5, 100.5]);
  const inference = bn.eval().apply(tf.tensor2d([[2.5, 20]]));
  check(`${name} BatchNorm inference`, await inference.data(), [1.5 / Math.sqrt(1.5 + 1e-5), 10 / Math.sqrt(100.5 + 1e-5)]);
  const params = weightNormParams(tf.tensor2d([[3], [4]]));
  check(`${name} weightNorm`, await weightNorm(params).data(), [3, 4]);
  bn.dispose();
  tf.dispose([x, y, ln, x3, w, custom, auto, step, inference, params.v, params.g]);
  console.log(`esm ${name}: normalization right`);
}
console.log('ok');
