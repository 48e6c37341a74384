// The gradkit side of the architecture benchmark: each net built from @gradkit/nn modules as a gradkit
// user writes it, trained with `Optimizer` + adam through `await minimize(loss)`.
import { type Module, Optimizer, type ParamTree } from '@gradkit/core';
import { conv2d, dense, flatten, gru, lstm, maxPool2d, meanSquaredError, sequential, softmaxCrossEntropy, transformerBlock } from '@gradkit/nn';
import { adam } from '@gradkit/optimizers';
import * as tf from '@tensorflow/tfjs-core';
import type { ArchData } from './arch-data.js';
import type { ArchModel, ArchSizesOf, ConvSizes, RecurrentSizes, TransformerSizes } from './arch-names.js';
import type { AdamHyper, PeerSide } from './peer-sides.js';

/** gradkit's training state of one net. */
export interface ArchGradkitSide extends PeerSide {
  readonly optimizer: Optimizer<ParamTree>;
  /** The trainable parameters (the tree `Optimizer` trains). */
  readonly params: ParamTree;
  /** The modules, input first (for the weight copy to tfjs-layers). */
  readonly modules: readonly Module[];
  /** The loss on minibatch `k` (for `profileStep({ optimizer, loss })`). */
  loss(k: number): () => tf.Scalar;
}

/** The side length after a 'valid' 3×3 convolution and a 2×2 pool, as tfjs-layers computes it. */
const convThenPool = (n: number) => Math.floor((n - 2) / 2);

/** The conv net of tfjs-examples' mnist `createConvModel`, its logits (the softmax is in the loss). */
function convNet(s: ConvSizes, seed: number): Module[] {
  const [f1, f2, f3] = s.filters;
  const last = convThenPool(convThenPool(s.size)) - 2;
  return [
    conv2d({ inChannels: 1, outChannels: f1, kernelSize: 3, activation: 'relu', seed }),
    maxPool2d({ kernelSize: 2 }),
    conv2d({ inChannels: f1, outChannels: f2, kernelSize: 3, activation: 'relu', seed: seed + 1 }),
    maxPool2d({ kernelSize: 2 }),
    conv2d({ inChannels: f2, outChannels: f3, kernelSize: 3, activation: 'relu', seed: seed + 2 }),
    flatten(),
    dense({ inFeatures: last * last * f3, outFeatures: s.dense, activation: 'relu', seed: seed + 3 }),
    dense({ inFeatures: s.dense, outFeatures: s.classes, seed: seed + 4 }),
  ];
}

/** An LSTM or GRU whose last hidden state feeds a dense layer with one output. */
function recurrentNet(kind: 'lstm' | 'gru', s: RecurrentSizes, seed: number): Module[] {
  const cell = kind === 'lstm' ? lstm : gru;
  return [cell({ inputSize: s.features, hiddenSize: s.hidden, returnSequences: false, seed }), dense({ inFeatures: s.hidden, outFeatures: 1, seed: seed + 1 })];
}

/** `layers` pre-norm transformer blocks (gelu, no dropout), then the head over the mean token. */
function transformerNet(s: TransformerSizes, seed: number): Module[] {
  const blocks = Array.from(
    { length: s.layers },
    (_, i) => transformerBlock({ embedDim: s.dim, numHeads: s.heads, ffnDim: s.ffn, norm: 'pre', seed: seed + i }) as Module,
  );
  return [...blocks, dense({ inFeatures: s.dim, outFeatures: s.classes, seed: seed + s.layers })];
}

/** Builds `model`'s net in gradkit, its loss on minibatch k, and its optimizer (adam with `hyper`). */
export function archGradkitSide<M extends ArchModel>(model: M, sizes: ArchSizesOf[M], data: ArchData, hyper: AdamHyper, seed: number): ArchGradkitSide {
  let modules: Module[];
  let forward: (x: tf.Tensor) => tf.Tensor;
  if (model === 'transformer') {
    modules = transformerNet(sizes as TransformerSizes, seed);
    const blocks = sequential(...modules.slice(0, -1));
    const head = modules.at(-1) as Module;
    forward = (x) => head.apply(tf.mean(blocks.apply(x, { training: true }), 1), { training: true });
  } else {
    modules = model === 'conv' ? convNet(sizes as ConvSizes, seed) : recurrentNet(model as 'lstm' | 'gru', sizes as RecurrentSizes, seed);
    const net = sequential(...modules);
    forward = (x) => net.apply(x, { training: true });
  }
  const params = modules.map((m) => m.params) as unknown as ParamTree;
  const optimizer = new Optimizer(params, adam(hyper)) as Optimizer<ParamTree>;
  const loss = (k: number) => () => {
    const out = forward(data.xs[k] as tf.Tensor);
    const y = data.ys[k] as tf.Tensor;
    return (model === 'lstm' || model === 'gru' ? meanSquaredError(out, y) : softmaxCrossEntropy(out, y)) as tf.Scalar;
  };
  return {
    optimizer,
    params,
    modules,
    loss,
    step: (k) => optimizer.minimize(loss(k)),
    dispose() {
      optimizer.dispose();
      for (const m of modules) m.dispose();
    },
  };
}
