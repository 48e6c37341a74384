// Runs in an empty npm project with @gradkit/core and @gradkit/clipping (packed), tfjs-core and the cpu
// and wasm backends: plain Node ESM. Exits non-zero on failure.
import { applyIfFinite, clipByGlobalNorm, clipGradNorm, globalNorm, NonFiniteGradientError } from '@gradkit/clipping';
import { Optimizer, useBackend } from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';

const check = (what, actual, expected) => {
  const a = Array.from(actual);
  if (a.length !== expected.length || expected.some((e, i) => Math.abs(a[i] - e) > 1e-5 * (1 + Math.abs(e))))
    throw new Error(`${what}: got [${a}], expected [${expected}]`);
};

for (const name of ['cpu', 'wasm']) {
  await useBackend(name);
  const params = { w: tf.variable(tf.zeros([2])) };
  // clipByGlobalNorm alone: the update is the clipped gradient itself; a NaN step is skipped.
  const opt = new Optimizer(params, applyIfFinite(clipByGlobalNorm(1), { maxConsecutiveErrors: 2 }));
  const g = { w: tf.tensor1d([3, 4]) };
  const bad = { w: tf.tensor1d([Number.NaN, 1]) };
  opt.step(g);
  opt.step(bad);
  check(`${name} applyIfFinite(clipByGlobalNorm)`, await params.w.data(), [0.6, 0.8]);
  const norm = globalNorm(g);
  check(`${name} globalNorm`, await norm.data(), [5]);
  const clipped = clipGradNorm(g, 1);
  check(`${name} clipGradNorm`, await clipped.grads.w.data(), [3 / 5.000001, 4 / 5.000001]);
  let rejected = false;
  await clipGradNorm(bad, 1, { errorIfNonfinite: true }).catch((e) => {
    rejected = e instanceof NonFiniteGradientError;
  });
  if (!rejected) throw new Error(`${name}: clipGradNorm(errorIfNonfinite) did not reject a NaN norm`);
  opt.dispose();
  tf.dispose([params.w, g.w, bad.w, norm, clipped.grads.w, clipped.norm]);
  console.log(`esm ${name}: clipping right`);
}
console.log('ok');
