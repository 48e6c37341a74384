// The CommonJS twin of pack-smoke.mjs: require() the packed packages in plain Node.
const { mish, sigmoid } = require('@gradkit/activations');
const { useBackend, valueAndGrad } = require('@gradkit/core');
const tf = require('@tensorflow/tfjs-core');

(async () => {
  await useBackend('cpu');
  const x = tf.tensor1d([-50, 0, 50]);
  const { value, grads } = valueAndGrad((p) => tf.sum(tf.add(mish(p.x), sigmoid(p.x))))({ x });
  const g = Array.from(await grads.x.data());
  const want = [-9.450874255023197e-21 + 1.9287498479639178e-22, 0.6 + 0.25, 1];
  if (g.some((v, i) => Math.abs(v - want[i]) > 1e-6)) throw new Error(`cjs mish′ + sigmoid′: got [${g}]`);
  tf.dispose([x, value, grads.x]);
  console.log('cjs cpu: activations right');
  console.log('ok');
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
