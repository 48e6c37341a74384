// The CommonJS twin of pack-smoke.mjs: require() the packed packages in plain Node.
const { clipByValue, clipGradNorm } = require('@gradkit/clipping');
const { chain, Optimizer, useBackend } = require('@gradkit/core');
const tf = require('@tensorflow/tfjs-core');

(async () => {
  await useBackend('cpu');
  const params = { w: tf.variable(tf.zeros([3])) };
  const opt = new Optimizer(params, chain(clipByValue(1)));
  const g = { w: tf.tensor1d([5, -0.5, -7]) };
  opt.step(g);
  const w = Array.from(await params.w.data());
  if (w.join() !== '1,-0.5,-1') throw new Error(`cjs clipByValue: got [${w}]`);
  const { grads, norm } = clipGradNorm(g, 1, { normType: Number.POSITIVE_INFINITY });
  const n = (await norm.data())[0];
  if (n !== 7) throw new Error(`cjs clipGradNorm inf norm: got ${n}`);
  opt.dispose();
  tf.dispose([params.w, g.w, grads.w, norm]);
  console.log('cjs cpu: clipping right');
  console.log('ok');
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
