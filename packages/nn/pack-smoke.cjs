// Runs in an empty npm project with @gradkit/nn and the @gradkit packages it depends on (packed),
// tfjs-core and the cpu and wasm backends: plain Node CommonJS (the twin of pack-smoke.mjs). Exits non-zero on failure.
const { map, Optimizer, useBackend, valueAndGrad, withTaps } = require('@gradkit/core');
const { act, batches, dense, dropout, l2Penalty, residual, sequential } = require('@gradkit/nn');
const tf = require('@tensorflow/tfjs-core');

/** Plain SGD as a transformation (update = −lr·g), so the smoke needs no optimizer package. */
const plainSgd = (lr) => ({
  name: 'smokeSgd',
  options: {},
  init: () => ({}),
  update: (grads, state) => ({ updates: map(grads, (g) => tf.mul(g, -lr)), state }),
});

(async () => {
  for (const name of ['cpu', 'wasm']) {
    await useBackend(name);
    const model = sequential(
      dense({ inFeatures: 2, outFeatures: 8, activation: 'tanh', seed: 1 }),
      residual(sequential(dense({ inFeatures: 8, outFeatures: 8, seed: 2 }), act('relu'))),
      dropout(0.1, { seed: 3 }),
      dense({ inFeatures: 8, outFeatures: 1, seed: 4 }),
    );
    const x = tf.tensor2d([0, 0, 0, 1, 1, 0, 1, 1], [4, 2]);
    const y = tf.tensor2d([0, 1, 1, 0], [4, 1]);
    const opt = new Optimizer(model.params, plainSgd(0.1));
    const loader = batches({ x, y }, { batchSize: 2, seed: 5 });
    const losses = [];
    for (let epoch = 0; epoch < 10; epoch++)
      for (const b of loader) {
        losses.push(await opt.minimize((p) => tf.add(tf.losses.meanSquaredError(b.y, model.apply(b.x)), l2Penalty(p, 1e-4))));
        tf.dispose(b);
      }
    if (losses.length !== 20 || !losses.every(Number.isFinite)) throw new Error(`${name}: losses ${losses}`);
    const { result, taps } = withTaps(valueAndGrad(() => tf.losses.meanSquaredError(y, model.apply(x))))(model.params);
    const names = Object.keys(taps).join(',');
    if (names !== '0.dense,1.inner.0.dense,1.inner.1.relu,1.residual,2.dropout,3.dense') throw new Error(`${name}: taps ${names}`);
    tf.dispose([result.value, result.grads, taps, x, y]);
    opt.dispose();
    model.dispose();
    console.log(`cjs ${name}: nn right`);
  }
  console.log('ok');
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
