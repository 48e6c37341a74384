import { clipByGlobalNorm } from '@gradkit/clipping';
import { chain, flatten, type Module, Optimizer, valueAndGrad, withTaps } from '@gradkit/core';
import { formatText, type GradientReport, inspectGradients, monitorGradients } from '@gradkit/diagnostics';
import { heNormal, type Initializer, uniform } from '@gradkit/initializers';
import { dense, lstm, meanSquaredError, sequential, simpleRnn, transformerBlock } from '@gradkit/nn';
import { sgd } from '@gradkit/optimizers';
import * as tf from '@tensorflow/tfjs-core';

// #region model
/** How a layer's kernel starts, given its fan-in and a seed. */
type Init = (fanIn: number, seed: number) => Initializer;
/** U(±1/√fanIn): the "standard" initialization Glorot & Bengio (2010) start from. */
export const naive: Init = (fanIn, seed) => uniform({ min: -1 / Math.sqrt(fanIn), max: 1 / Math.sqrt(fanIn), seed });
/** He et al. (2015): N(0, 2/fanIn), which keeps the variance of ReLU layers constant. */
export const he: Init = (_fanIn, seed) => heNormal({ seed });

/** `depth` hidden layers of `width` units on 784 pixels, then 10 logits. */
export function mlp(depth: number, width: number, activation: 'sigmoid' | 'relu', init: Init) {
  const layers: Module[] = [];
  for (let i = 0; i < depth; i++) {
    const inFeatures = i === 0 ? 784 : width;
    layers.push(dense({ inFeatures, outFeatures: width, activation, kernelInitializer: init(inFeatures, i) }));
  }
  layers.push(dense({ inFeatures: width, outFeatures: 10, kernelInitializer: init(width, depth) }));
  return sequential(...layers);
}
// #endregion

/** One step's diagnosis of `model` on a batch (`x` [n, 784], one-hot `y` [n, 10]). */
export async function diagnose(model: ReturnType<typeof mlp>, x: tf.Tensor, y: tf.Tensor): Promise<GradientReport> {
  // #region inspect
  const loss = () => tf.losses.softmaxCrossEntropy(y, model.apply(x)); // the model reads its own variables
  const { result, taps } = withTaps(valueAndGrad<typeof model.params>(loss))(model.params);
  const report = await inspectGradients(result.grads, { params: model.params, activations: taps });
  console.log(formatText(report)); // verdict, a row per layer with a log-scale bar, findings
  tf.dispose([result.value, taps, ...flatten(result.grads).map((leaf) => leaf.value)]);
  // #endregion
  return report;
}

/** Trains `model` on `batches`, watching the gradients every `every` steps; returns the reports. */
export async function trainWatched(model: ReturnType<typeof mlp>, batches: Iterable<{ x: tf.Tensor; y: tf.Tensor }>, every = 50): Promise<GradientReport[]> {
  // #region monitor
  const monitor = monitorGradients({
    every,
    onReport: (r) => console.log(`step ${r.step}: ${r.verdict}, ‖g‖ ${r.globalNorm.toExponential(2)}`, r.findings[0]?.toTry ?? []),
  });
  const tx = chain(monitor, clipByGlobalNorm(1), sgd({ learningRate: 0.05, momentum: 0.9 }));
  const opt = new Optimizer(model.params, tx);
  for (const { x, y } of batches) await opt.minimize(() => tf.losses.softmaxCrossEntropy(y, model.apply(x)));
  await monitor.flush(); // every report delivered
  console.log(monitor.monitor.trends().verdicts); // one verdict per report, oldest first
  // #endregion
  opt.dispose();
  return [...monitor.monitor.history];
}

/** The gradient through `x.shape[1]` time steps of a recurrent net at initialization (`x` [batch, time, 2], `y` [batch, 1]). */
export async function throughTime(layer: 'simpleRnn' | 'lstm', x: tf.Tensor3D, y: tf.Tensor2D): Promise<GradientReport> {
  // #region through-time
  const cell = { inputSize: 2, hiddenSize: 16, returnSequences: false, seed: 1 };
  const net = sequential(layer === 'lstm' ? lstm(cell) : simpleRnn(cell), dense({ inFeatures: 16, outFeatures: 1, seed: 2 }));
  const { result, taps } = withTaps(valueAndGrad<typeof net.params>(() => meanSquaredError(net.apply(x), y)))(net.params);
  const report = await inspectGradients(result.grads, { params: net.params, activations: taps });
  for (const p of report.temporal ?? []) console.log(p.layer, p.firstLastRatio, p.decayPerStep); // ‖∂L/∂h₀‖/‖∂L/∂h_last‖, × per step
  // #endregion
  tf.dispose([result.value, taps, ...flatten(result.grads).map((leaf) => leaf.value)]);
  net.dispose();
  return report;
}

/** The attention statistics of a Post-LN transformer block on `z` [batch, time, 16], its query and key kernels scaled by `qkScale`. */
export async function throughAttention(z: tf.Tensor3D, qkScale: number): Promise<GradientReport> {
  // #region attention
  const encoder = sequential(transformerBlock({ embedDim: 16, numHeads: 2, ffnDim: 32, norm: 'post', seed: 3 }));
  // ×qkScale on the query and key kernels: attention logits qkScale² times larger
  for (const v of [encoder.params[0].attention.query.kernel, encoder.params[0].attention.key.kernel]) v.assign(tf.tidy(() => tf.mul(v, qkScale)));
  const { result, taps } = withTaps(valueAndGrad<typeof encoder.params>(() => tf.mean(tf.square(encoder.apply(z)))))(encoder.params);
  const report = await inspectGradients(result.grads, { params: encoder.params, activations: taps });
  for (const a of report.attention ?? []) console.log(a.layer, `entropy ${a.entropy} of ${a.maxEntropy} nats, max |logit| ${a.logitMaxAbs}`);
  // #endregion
  tf.dispose([result.value, taps, ...flatten(result.grads).map((leaf) => leaf.value)]);
  encoder.dispose();
  return report;
}
