// Runs in an empty npm project with @gradkit/core and @gradkit/diagnostics (packed), tfjs-core and the
// cpu and wasm backends: plain Node ESM. Exits non-zero on failure.
import { tap, useBackend, valueAndGrad, withTaps } from '@gradkit/core';
import { formatText, fromJSON, gradCheck, inspectGradients, toHTML, toJSON } from '@gradkit/diagnostics';
import * as tf from '@tensorflow/tfjs-core';

for (const name of ['cpu', 'wasm']) {
  await useBackend(name);
  // A 12-layer sigmoid chain with small weights: the gradient reaching the first layer vanishes.
  const params = { layers: Array.from({ length: 12 }, (_, i) => ({ kernel: tf.fill([8, 8], i % 2 ? 0.05 : -0.05) })) };
  const x = tf.ones([4, 8]);
  const loss = (p) => tf.sum(p.layers.reduce((h, l, i) => tap(tf.sigmoid(tf.matMul(h, l.kernel)), `layers.${i}`), x));
  const { result, taps } = withTaps(valueAndGrad(loss))(params);
  const report = await inspectGradients(result.grads, { params, activations: taps });
  if (report.verdict !== 'vanishing') throw new Error(`${name}: verdict ${report.verdict}, expected vanishing\n${formatText(report)}`);
  if (report.findings[0]?.where !== 'layers.0.kernel … layers.11.kernel') throw new Error(`${name}: finding at ${report.findings[0]?.where}`);
  if (JSON.stringify(fromJSON(toJSON(report))) !== JSON.stringify(report)) throw new Error(`${name}: JSON round trip`);
  if (!toHTML(report).includes('<svg')) throw new Error(`${name}: no chart in the HTML report`);
  const check = await gradCheck((p) => tf.sum(tf.tanh(p.w)), { w: tf.tensor1d([0.3, -0.7]) });
  if (!check.passed) throw new Error(`${name}: gradCheck failed on tanh`);
  tf.dispose([params, x, result, taps]);
  console.log(`esm ${name}: diagnostics right`);
}
console.log('ok');
