// The CommonJS twin of pack-smoke.mjs: require() the packed packages in plain Node.
const { useBackend } = require('@gradkit/core');
const { orthogonal } = require('@gradkit/initializers');

(async () => {
  await useBackend('cpu');
  // numpy.linalg.qr of the generator's first normals (seed 42), sign-corrected: see orthogonal.test.ts.
  const q = orthogonal({ seed: 42 })([3, 2]);
  const got = Array.from(await q.data());
  const want = [0.8642566204071045, -0.36553695797920227, -0.48428234457969666, -0.4186605215072632, -0.1361289769411087, -0.8313279151916504];
  if (got.join() !== want.join()) throw new Error(`cjs orthogonal(seed 42): got [${got}]`);
  q.dispose();
  console.log('cjs cpu: initializers right');
  console.log('ok');
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
