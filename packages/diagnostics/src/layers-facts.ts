// What a tfjs-layers model already has in place, read from its layers' configs and its optimizer
// (gradkit does not import tfjs-layers: everything is read through the objects' own methods), so that
// the findings of `gradientCallback` never offer it again and speak tfjs-layers' API.
import type * as tf from '@tensorflow/tfjs-core';
import { chainNames, type RunFacts } from './remedies.js';
import type { ActivationKind } from './report.js';

/** What the facts need of a tfjs-layers layer (`tf.layers.Layer`). */
export interface LayerLike {
  readonly name: string;
  getClassName(): string;
  getConfig(): Record<string, unknown>;
  /** Nested models (a Sequential used as a layer) have layers of their own. */
  readonly layers?: readonly LayerLike[];
}

/** tfjs-layers' activation names → how the diagnostics count dead units and saturation (softmax, like sigmoid, lies in (0, 1)). */
const KIND_OF: Readonly<Record<string, ActivationKind>> = {
  relu: 'relu',
  relu6: 'relu',
  sigmoid: 'sigmoid',
  hardSigmoid: 'sigmoid',
  softmax: 'sigmoid',
  tanh: 'tanh',
  softsign: 'tanh',
  linear: 'linear',
};
/** Layers whose kernel the initializer rules are about. */
const WEIGHT_LAYERS = /^(Dense|Conv1D|Conv2D|Conv3D|Conv2DTranspose|SeparableConv2D|DepthwiseConv2D)$/;
/** Layers that apply an activation to the previous weight layer's output. */
const ACTIVATION_LAYERS: Readonly<Record<string, ActivationKind>> = { ReLU: 'relu', LeakyReLU: 'relu', Softmax: 'sigmoid' };

/** The activation kind a layer's config names (`activation: 'relu'` …), `'auto'` for a layer without one (pooling, flatten …). */
export function activationKindOf(layer: LayerLike): ActivationKind | 'auto' {
  const own = ACTIVATION_LAYERS[layer.getClassName()];
  if (own) return own;
  const name = safeConfig(layer).activation;
  if (typeof name !== 'string') return 'auto';
  return KIND_OF[name] ?? 'linear';
}

function safeConfig(layer: LayerLike): Record<string, unknown> {
  try {
    return layer.getConfig();
  } catch {
    return {};
  }
}

/** Every layer, nested models' layers included, input to output. */
export function allLayers(layers: readonly LayerLike[]): LayerLike[] {
  return layers.flatMap((l) => (Array.isArray(l.layers) ? allLayers(l.layers) : [l]));
}

/** The initializer family of a serialized `kernelInitializer`: He (Var = 2/fanIn), Glorot (Var = 2/(fanIn + fanOut)) or other. */
function initFamily(init: unknown): 'he' | 'glorot' | 'other' {
  const i = init as { className?: string; config?: { scale?: number; mode?: string } } | undefined;
  const name = i?.className ?? '';
  if (/^He(Normal|Uniform)$/.test(name)) return 'he';
  if (/^Glorot(Normal|Uniform)$/.test(name)) return 'glorot';
  if (name === 'VarianceScaling') {
    const { scale, mode } = i?.config ?? {};
    if (scale === 2 && mode === 'fanIn') return 'he';
    if (scale === 1 && mode === 'fanAvg') return 'glorot';
  }
  return 'other';
}

/** Each weight layer's activation: its own, or that of an activation layer after it (BatchNormalization, Dropout in between). */
function weightLayers(layers: readonly LayerLike[]): { layer: LayerLike; kind: ActivationKind | 'auto'; init: 'he' | 'glorot' | 'other' }[] {
  const out: { layer: LayerLike; kind: ActivationKind | 'auto'; init: 'he' | 'glorot' | 'other' }[] = [];
  layers.forEach((layer, i) => {
    if (!WEIGHT_LAYERS.test(layer.getClassName())) return;
    let kind = activationKindOf(layer);
    for (let j = i + 1; (kind === 'linear' || kind === 'auto') && j < layers.length; j++) {
      const next = layers[j] as LayerLike;
      if (WEIGHT_LAYERS.test(next.getClassName())) break;
      const k = activationKindOf(next);
      if (next.getClassName() === 'Activation' || ACTIVATION_LAYERS[next.getClassName()]) kind = k;
    }
    out.push({ layer, kind, init: initFamily(safeConfig(layer).kernelInitializer) });
  });
  return out;
}

/** tf.train optimizers' class names → gradkit's name and spelling (for the clipping adapter). */
const OPTIMIZERS: Readonly<Record<string, { name: string; call: (lr: number | undefined) => string }>> = {
  Adam: { name: 'adam', call: (lr) => `adam(${lr === undefined ? '' : `{ learningRate: ${lr} }`})` },
  Adamax: { name: 'adamax', call: (lr) => `adamax(${lr === undefined ? '' : `{ learningRate: ${lr} }`})` },
  SGD: { name: 'sgd', call: (lr) => `sgd({ learningRate: ${lr ?? 0.01} })` },
  Momentum: { name: 'sgd', call: (lr) => `sgd({ learningRate: ${lr ?? 0.01}, momentum: 0.9 })` },
  RMSProp: { name: 'rmsprop', call: (lr) => `rmsprop(${lr === undefined ? '' : `{ learningRate: ${lr} }`})` },
  Adagrad: { name: 'adagrad', call: (lr) => `adagrad(${lr === undefined ? '' : `{ learningRate: ${lr} }`})` },
  Adadelta: { name: 'adadelta', call: () => 'adadelta()' },
};

/** A tf optimizer's current learning rate (`optimizer.learningRate`, a gradkit adapter's rate at this step), when it has one finite number ≥ 0. */
export function learningRateOfOptimizer(optimizer: tf.Optimizer): number | undefined {
  try {
    const rate = (optimizer as unknown as { learningRate?: unknown }).learningRate;
    return typeof rate === 'number' && Number.isFinite(rate) && rate >= 0 ? rate : undefined;
  } catch {
    return undefined; // gradkit's adapter throws when no part, or several, has a rate
  }
}

/** The names of what the optimizer does, in gradkit's spelling (a gradkit adapter's chain names), and how to spell it in a remedy. */
export function optimizerFacts(optimizer: tf.Optimizer): { inChain: string[]; call: string } {
  const transform = (optimizer as unknown as { transform?: unknown }).transform;
  if (transform !== undefined) {
    try {
      return { inChain: chainNames(transform as never), call: 'yourChain' };
    } catch {
      // not a gradkit transformation: read it as a tf optimizer
    }
  }
  let className = '';
  try {
    className = optimizer.getClassName();
  } catch {
    className = '';
  }
  const known = OPTIMIZERS[className];
  const rate = learningRateOfOptimizer(optimizer);
  return known ? { inChain: [known.name], call: known.call(rate) } : { inChain: [], call: 'yourOptimizer' };
}

/**
 * The facts of a tfjs-layers model: tfjs-layers' dialect; BatchNormalization, LayerNormalization and
 * Add (residual) layers in place; whether every relu layer has a He initializer and every tanh layer
 * a Glorot one; the activation kinds of the hidden weight layers; the names of the output layers (`outputs`).
 */
export function modelFacts(layers: readonly LayerLike[], outputs: readonly string[], optimizerCall: string): RunFacts {
  const flat = allLayers(layers);
  const classes = new Set(flat.map((l) => l.getClassName()));
  const weights = weightLayers(flat);
  const all = (kind: ActivationKind, family: 'he' | 'glorot') => {
    const of = weights.filter((w) => w.kind === kind);
    return of.length > 0 && of.every((w) => w.init === family);
  };
  const batchNorm = classes.has('BatchNormalization');
  return {
    dialect: 'layers',
    batchNorm,
    normalization: batchNorm || classes.has('LayerNormalization'),
    residual: classes.has('Add'),
    heForRelu: all('relu', 'he'),
    glorotForTanh: all('tanh', 'glorot'),
    optimizerCall,
    outputs,
    kinds: [...new Set(weights.filter((w) => !outputs.includes(w.layer.name)).flatMap((w) => (w.kind === 'auto' ? [] : [w.kind])))],
  };
}
