// The CommonJS twin of pack-smoke.mjs: require() the packed packages in plain Node.
const { useBackend, valueAndGrad } = require('@gradkit/core');
const { BatchNorm, rmsNorm } = require('@gradkit/normalization');
const tf = require('@tensorflow/tfjs-core');

(async () => {
  await useBackend('cpu');
  const y = rmsNorm(tf.tensor2d([[3, 4]]));
  const r = Math.sqrt(12.5 + 1e-6);
  const got = Array.from(await y.data());
  if (Math.abs(got[0] - 3 / r) > 1e-5 || Math.abs(got[1] - 4 / r) > 1e-5) throw new Error(`cjs rmsNorm: got [${got}]`);
  const bn = new BatchNorm({ features: 1 });
  const x = tf.tensor2d([[1], [3]]);
  const { value, grads } = valueAndGrad(() => tf.sum(tf.mul(bn.apply(x), tf.tensor2d([[2], [1]]))))(bn.params);
  const dgamma = (await grads.gamma.data())[0];
  const s = 1 / Math.sqrt(1.00001);
  if (Math.abs(dgamma - (-2 * s + s)) > 1e-5) throw new Error(`cjs BatchNorm dgamma: got ${dgamma}`);
  const rm = (await bn.runningMean.data())[0];
  if (Math.abs(rm - 0.2) > 1e-6) throw new Error(`cjs BatchNorm runningMean: got ${rm}`);
  bn.dispose();
  tf.dispose([y, x, value, grads.gamma, grads.beta]);
  console.log('cjs cpu: normalization right');
  console.log('ok');
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
