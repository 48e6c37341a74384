// Builds the network of a configuration from @gradkit/nn, @gradkit/initializers and
// @gradkit/normalization, and its optimizer from @gradkit/optimizers, @gradkit/schedules and
// @gradkit/clipping; the loss, and how the diagnostics read each layer.
// This module is the browser-safe entry `@gradkit/gradient-lab/model` (the playground trains with it,
// so the same seed gives the same weights in both apps): with config.ts, it imports nothing from Node.
import { applyIfFinite, clipByGlobalNorm } from '@gradkit/clipping';
import {
  chain,
  describeValue,
  flatten,
  type GradientTransformation,
  HyperParameterError,
  type Module,
  map,
  type Optimizer,
  type ParamTree,
  type Schedule,
  valueAndGrad,
  withTaps,
} from '@gradkit/core';
import type { ActivationKind, GradientMonitor } from '@gradkit/diagnostics';
import { glorotUniform, heNormal, type Initializer, lecunNormal, normal, orthogonal, uniform } from '@gradkit/initializers';
import { act, dense, residual, sequential } from '@gradkit/nn';
import { BatchNorm, LayerNorm } from '@gradkit/normalization';
import { muon, optimizerFromConfig, sgd } from '@gradkit/optimizers';
import { cosineDecay, exponentialDecay, oneCycle, stepDecay, warmupCosineDecay } from '@gradkit/schedules';
import * as tf from '@tensorflow/tfjs-core';
import { CLASSES, checkTrainingConfig, PIXELS, type TrainingConfig } from './config.js';

export * from './config.js';

/** The kernel initializer of a dense layer with `fanIn` inputs under `config` (seeded per layer). */
export function kernelInitializer(config: Pick<TrainingConfig, 'init' | 'initScale'>, fanIn: number, seed: number): Initializer {
  const base = ((): Initializer => {
    switch (config.init) {
      case 'naive': {
        const bound = 1 / Math.sqrt(fanIn);
        return uniform({ min: -bound, max: bound, seed });
      }
      case 'small':
        return normal({ stddev: 0.01, seed });
      case 'glorot':
        return glorotUniform({ seed });
      case 'he':
        return heNormal({ seed });
      case 'lecun':
        return lecunNormal({ seed });
      case 'orthogonal':
        return orthogonal({ seed });
    }
  })();
  if (config.initScale === 1) return base;
  return (shape, dtype) =>
    tf.tidy(() => {
      const w = base(shape, dtype);
      return tf.mul(w, tf.scalar(config.initScale, w.dtype));
    });
}

/**
 * The classifier of a configuration, 784 → width → … → 10 (logits):
 * - plain: `depth` × [dense → (BatchNorm | LayerNorm) → activation], then a dense head;
 * - residual: dense → activation (784 → width), then `depth − 1` pre-norm blocks
 *   x + activation(dense(norm(x))), then (with a norm) a final norm, then the head.
 * Normalization sits between the affine map and the nonlinearity, as Ioffe & Szegedy (2015) place
 * BatchNorm. Every layer is seeded from `config.seed`.
 *
 * @throws UnknownOptionError / HyperParameterError for a configuration `checkTrainingConfig` rejects.
 */
export function buildModel(config: TrainingConfig): Module {
  checkTrainingConfig('buildModel', config);
  let seed = config.seed * 1000;
  const layer = (inFeatures: number, outFeatures: number) =>
    dense({ inFeatures, outFeatures, kernelInitializer: kernelInitializer(config, inFeatures, ++seed) });
  const norm = (): Module[] =>
    config.norm === 'batch' ? [new BatchNorm({ features: config.width })] : config.norm === 'layer' ? [new LayerNorm({ features: config.width })] : [];
  const w = config.width;
  const modules: Module[] = [];
  if (!config.residual) {
    for (let i = 0; i < config.depth; i++) modules.push(layer(i === 0 ? PIXELS : w, w), ...norm(), act(config.activation));
  } else {
    modules.push(layer(PIXELS, w), ...norm(), act(config.activation));
    for (let i = 1; i < config.depth; i++) modules.push(residual(sequential(...norm(), layer(w, w), act(config.activation))));
    modules.push(...norm());
  }
  modules.push(layer(w, CLASSES));
  return sequential(...modules);
}

/** The learning rate of a configuration: a number, or a Schedule over `config.steps` whose peak is `config.lr`. */
export function learningRate(config: TrainingConfig): number | Schedule {
  const { lr, steps } = config;
  switch (config.schedule) {
    case 'constant':
      return lr;
    case 'cosine':
      return cosineDecay({ initial: lr, decaySteps: steps });
    case 'warmup-cosine':
      return warmupCosineDecay({ initial: 0, peak: lr, warmupSteps: Math.max(1, Math.round(steps / 10)), decaySteps: Math.max(2, steps) });
    case 'onecycle':
      return oneCycle({ maxValue: lr, totalSteps: Math.max(2, steps) });
    case 'step':
      return stepDecay({ initial: lr, stepSize: Math.max(1, Math.round(steps / 3)), gamma: 0.1 });
    case 'exponential':
      return exponentialDecay({ initial: lr, gamma: 0.01 ** (1 / Math.max(1, steps)) });
  }
}

/** The rate of the AdamW that `--optimizer muon` gives the first layer, the head and every vector (AdamW's default). */
export const MUON_ADAMW_LR = 1e-3;

/** Muon's parameters in the lab's MLP: the hidden weight matrices, not the first layer (784 inputs) nor the head (10 outputs), as Muon's authors keep embeddings and heads on AdamW. */
const hiddenMatrix = (_path: string, p: tf.Tensor): boolean => p.rank === 2 && p.shape[0] !== PIXELS && p.shape[1] !== CLASSES;

/**
 * The gradient transformation of a configuration: [clipByGlobalNorm →] optimizer, wrapped in
 * applyIfFinite when `config.guard`. `muon` runs Muon on the hidden matrices at `config.lr` and AdamW
 * (`MUON_ADAMW_LR`) on the rest.
 *
 * @throws UnknownOptionError / HyperParameterError for a configuration `checkTrainingConfig` rejects.
 */
export function buildTransform(config: TrainingConfig): GradientTransformation {
  checkTrainingConfig('buildTransform', config);
  const learningRate_ = learningRate(config);
  const optimizer =
    config.optimizer === 'momentum'
      ? sgd({ learningRate: learningRate_, momentum: 0.9 })
      : config.optimizer === 'muon'
        ? muon({ learningRate: learningRate_, muonParams: hiddenMatrix, adamw: { learningRate: MUON_ADAMW_LR } })
        : optimizerFromConfig({ name: config.optimizer, learningRate: learningRate_ });
  const clipped = config.clip > 0 ? chain(clipByGlobalNorm(config.clip), optimizer) : optimizer;
  return config.guard ? applyIfFinite(clipped, { maxConsecutiveErrors: 5 }) : clipped;
}

/** Mean softmax cross-entropy of `logits` against one-hot `y`. */
export function crossEntropy(y: tf.Tensor, logits: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.neg(tf.mean(tf.sum(tf.mul(y, tf.logSoftmax(logits)), -1))) as tf.Scalar);
}

/**
 * How the diagnostics should read each tapped layer output of `model`: ReLU, sigmoid and tanh
 * outputs as such (dead units, saturation), everything else (dense, normalization, residual sums)
 * as linear. Found from one inference-mode forward pass over two samples of `x` (no statistics change).
 */
export function tapKinds(model: Module, x: tf.Tensor2D): Record<string, ActivationKind> {
  const { taps } = withTaps(() =>
    tf.tidy(() => {
      model.apply(tf.slice(x, [0, 0], [Math.min(2, x.shape[0]), -1]), { training: false });
    }),
  )();
  const kinds: Record<string, ActivationKind> = {};
  for (const name of Object.keys(taps)) {
    const last = name.slice(name.lastIndexOf('.') + 1);
    kinds[name] = last === 'relu' || last === 'sigmoid' || last === 'tanh' ? last : 'linear';
  }
  tf.dispose(taps as unknown as tf.TensorContainer);
  return kinds;
}

/** The learning rate the optimizer's next step uses (the first `learningRate` among its parts' hyper-parameters), if any. */
export function learningRateOf(optimizer: Optimizer<ParamTree>): number | undefined {
  for (const part of Object.values(optimizer.hyperParams())) if (typeof part.learningRate === 'number') return part.learningRate;
  return undefined;
}

/**
 * One step of the lab's training loop (the CLI's and the playground's): the loss and its gradients,
 * then `optimizer.step`. Given a `monitor`, the gradients come with every layer's taps, the
 * parameters' values before the step are kept (sharing their buffers where the backend can), and
 * once the step has taken effect the monitor observes the gradients, the parameters, the taps and
 * the step's updates (after minus before: the update-to-parameter ratios), the loss (`report.loss`, for
 * the loss-spike rule) and the learning rate of the step (so a schedule's decay is not a finding), knowing the optimizer's
 * transformation (so its findings do not offer what the chain already does, such as clipping). A
 * step that throws is not observed. The monitor's failures surface in `monitor.flush()`. Returns the
 * loss, for the caller to read and dispose.
 *
 * @throws HyperParameterError naming `monitor` (not a GradientMonitor) or `step` (not a whole number ≥ 0
 *   while a monitor is given), before anything is computed; what `optimizer.step` throws.
 * @example
 * ```ts
 * const loss = trainStep(() => crossEntropy(y, model.apply(x, { training: true })), model.params, optimizer, monitor, step);
 * ```
 */
export function trainStep(
  loss: () => tf.Scalar,
  params: ParamTree,
  optimizer: Optimizer<ParamTree>,
  monitor: GradientMonitor | undefined,
  step: number,
): tf.Scalar {
  if (monitor !== undefined && typeof (monitor as { observe?: unknown } | null)?.observe !== 'function')
    throw new HyperParameterError('monitor', `trainStep: monitor must be a GradientMonitor or undefined, got ${describeValue(monitor)}`);
  if (monitor && !(typeof step === 'number' && Number.isSafeInteger(step) && step >= 0))
    throw new HyperParameterError('step', `trainStep: step must be a whole number ≥ 0 (the monitor records it), got ${describeValue(step)}`);
  const {
    result: { value, grads },
    taps,
  } = monitor ? withTaps(valueAndGrad(loss))(params) : { result: valueAndGrad(loss)(params), taps: undefined };
  const before = monitor ? new Map(flatten(params).map(({ path, value: p }) => [path, tf.clone(p)])) : undefined;
  const learningRate = monitor ? learningRateOf(optimizer) : undefined;
  let updates: ParamTree | undefined;
  try {
    optimizer.step(grads);
    if (monitor && before) {
      updates = map(params, (p, path) => tf.sub(p, before.get(path) as tf.Tensor));
      // The loss as a promise of its value, read from a clone (the caller may dispose `value` before the read settles).
      const held = tf.clone(value);
      const loss = held
        .data()
        .then((d) => d[0] as number)
        .finally(() => held.dispose());
      monitor
        .observe({ grads, params, taps, updates, step, transform: optimizer.transform, loss, ...(learningRate === undefined ? {} : { learningRate }) })
        .catch(() => undefined);
    }
  } catch (e) {
    value.dispose();
    throw e;
  } finally {
    tf.dispose([grads as tf.TensorContainer, taps as unknown as tf.TensorContainer, updates as tf.TensorContainer, [...(before?.values() ?? [])]]);
  }
  return value as tf.Scalar;
}
