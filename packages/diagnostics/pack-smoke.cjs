// The CommonJS twin of pack-smoke.mjs: require() the packed packages in plain Node.
const { useBackend } = require('@gradkit/core');
const { inspectGradients, monitorGradients } = require('@gradkit/diagnostics');
const tf = require('@tensorflow/tfjs-core');

(async () => {
  await useBackend('cpu');
  const grads = { a: tf.tensor2d([[1, Number.NaN]]), b: tf.tensor2d([[2, 0]]) };
  const report = await inspectGradients(grads);
  if (report.verdict !== 'nonfinite' || report.findings[0].where !== 'a') throw new Error(`cjs: verdict ${report.verdict} at ${report.findings[0]?.where}`);
  const mon = monitorGradients({ every: 1 });
  const { updates } = mon.update(grads, mon.init(grads));
  await mon.flush();
  if (mon.monitor.history.length !== 1) throw new Error('cjs: monitorGradients did not report');
  tf.dispose([grads, updates]);
  console.log('cjs cpu: diagnostics right');
  console.log('ok');
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
