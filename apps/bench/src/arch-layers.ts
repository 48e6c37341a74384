// The tfjs-layers side of the architecture benchmark: each net as a tfjs-layers user builds it
// (`tf.sequential` of tfjs-layers' own layers; the transformer block as a custom layer, since
// tfjs-layers has none), compiled with `tf.train.adam` and trained with `await model.trainOnBatch`,
// starting from gradkit's initial weights (`layersWeights`).
import type { Module, ParamTree } from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { ArchModel, ArchSizesOf, ConvSizes, RecurrentSizes, TransformerSizes } from './arch-names.js';
import { TRANSFORMER_WEIGHTS, TransformerEncoderBlock } from './layers-transformer.js';
import { type AdamHyper, type PeerSide, trainOnBatchStep } from './peer-sides.js';

/** The layers of `model`'s net in tfjs-layers, the first with its input shape. */
function layersOf<M extends ArchModel>(model: M, sizes: ArchSizesOf[M]): tfl.layers.Layer[] {
  if (model === 'conv') {
    // tfjs-examples/mnist `createConvModel`, the last layer without its softmax (the loss takes logits).
    const s = sizes as ConvSizes;
    const [f1, f2, f3] = s.filters;
    return [
      tfl.layers.conv2d({ inputShape: [s.size, s.size, 1], kernelSize: 3, filters: f1, activation: 'relu' }),
      tfl.layers.maxPooling2d({ poolSize: 2, strides: 2 }),
      tfl.layers.conv2d({ kernelSize: 3, filters: f2, activation: 'relu' }),
      tfl.layers.maxPooling2d({ poolSize: 2, strides: 2 }),
      tfl.layers.conv2d({ kernelSize: 3, filters: f3, activation: 'relu' }),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: s.dense, activation: 'relu' }),
      tfl.layers.dense({ units: s.classes }),
    ];
  }
  if (model === 'transformer') {
    const s = sizes as TransformerSizes;
    return [
      ...Array.from(
        { length: s.layers },
        (_, i) => new TransformerEncoderBlock({ dim: s.dim, heads: s.heads, ffn: s.ffn, ...(i === 0 ? { inputShape: [s.tokens, s.dim] } : {}) }),
      ),
      tfl.layers.globalAveragePooling1d(),
      tfl.layers.dense({ units: s.classes }),
    ];
  }
  // PyTorch's (and gradkit's) gates are logistic sigmoids; tfjs-layers' default is the hard sigmoid.
  // The weights are gradkit's (`setWeights`): no orthogonal initialization first (slow, and it warns).
  const s = sizes as RecurrentSizes;
  const args = { units: s.hidden, recurrentActivation: 'sigmoid' as const, recurrentInitializer: 'zeros' as const, inputShape: [s.time, s.features] };
  return [model === 'lstm' ? tfl.layers.lstm(args) : tfl.layers.gru(args), tfl.layers.dense({ units: 1 })];
}

/** A leaf of a gradkit parameter tree by path (`'attention.query.kernel'`); throws naming the path when absent. */
function leaf(tree: ParamTree, path: string, module: string): tf.Tensor {
  let node: unknown = tree;
  for (const key of path.split('.')) node = (node as Record<string, unknown> | undefined)?.[key];
  if (!(node instanceof tf.Tensor)) throw new Error(`arch: ${module}'s params have no '${path}' (keys: ${Object.keys(tree).join(', ')}); update layersWeights`);
  return node;
}

/** gradkit's GRU blocks r, z, n along the last axis in Keras' order z, r, h. */
function rznToZrh(t: tf.Tensor): tf.Tensor {
  const [r, z, n] = tf.split(t, 3, -1) as [tf.Tensor, tf.Tensor, tf.Tensor];
  return tf.concat([z, r, n], -1);
}

/** A GRU's weights for tfjs-layers: blocks reordered; the bias of the z and r gates is bias_ih + bias_hh, that of h bias_ih alone. */
function gruWeights(p: ParamTree, name: string): tf.Tensor[] {
  const [r, z, n] = tf.split(leaf(p, 'bias', name), 3, -1) as [tf.Tensor, tf.Tensor, tf.Tensor];
  const [hr, hz] = tf.split(leaf(p, 'recurrentBias', name), 3, -1) as [tf.Tensor, tf.Tensor, tf.Tensor];
  return [rznToZrh(leaf(p, 'kernel', name)), rznToZrh(leaf(p, 'recurrentKernel', name)), tf.concat([tf.add(z, hz), tf.add(r, hr), n], -1)];
}

/**
 * Where gradkit's parameters of a transformer block are (paths in its `params`), in
 * `TRANSFORMER_WEIGHTS` order. gradkit's layouts are the custom layer's: kernels `[in, out]`.
 */
const TRANSFORMER_PATHS: Readonly<Record<(typeof TRANSFORMER_WEIGHTS)[number], string>> = {
  norm1Gamma: 'norm1.gamma',
  norm1Beta: 'norm1.beta',
  queryKernel: 'attention.query.kernel',
  queryBias: 'attention.query.bias',
  keyKernel: 'attention.key.kernel',
  keyBias: 'attention.key.bias',
  valueKernel: 'attention.value.kernel',
  valueBias: 'attention.value.bias',
  outputKernel: 'attention.output.kernel',
  outputBias: 'attention.output.bias',
  norm2Gamma: 'norm2.gamma',
  norm2Beta: 'norm2.beta',
  ffn1Kernel: 'linear1.kernel',
  ffn1Bias: 'linear1.bias',
  ffn2Kernel: 'linear2.kernel',
  ffn2Bias: 'linear2.bias',
};

/**
 * gradkit's parameters as the tfjs-layers model's weights, in `model.getWeights()` order (new tensors:
 * the caller disposes them). Dense and conv kernels have the same layouts in both (`[in, out]`,
 * `[kh, kw, in, out]`); the LSTM's gates are in the same order (PyTorch's i, f, g, o = Keras' i, f,
 * c, o) and its one bias is bias_ih + bias_hh in both. The GRU's blocks are reordered (r, z, n →
 * Keras' z, r, h), but tfjs-layers' GRU resets before the recurrent matmul, h̃ = tanh(x·W + b + (r ⊙ h)·U),
 * with no recurrent bias (`resetAfter: true` throws there), where PyTorch's and gradkit's compute
 * tanh(x·W + b + r ⊙ (h·U + b_hn)): the GRUs compute different functions from these weights.
 */
export function layersWeights(model: ArchModel, modules: readonly Module[]): tf.Tensor[] {
  return tf.tidy(() =>
    modules.flatMap((m): tf.Tensor[] => {
      const p = m.params;
      if (Object.keys(p).length === 0) return [];
      if (model === 'transformer' && m !== modules.at(-1)) return TRANSFORMER_WEIGHTS.map((w) => tf.clone(leaf(p, TRANSFORMER_PATHS[w], m.name)));
      if (model === 'gru' && m === modules[0]) return gruWeights(p, m.name);
      if (model === 'lstm' && m === modules[0]) return ['kernel', 'recurrentKernel', 'bias'].map((w) => tf.clone(leaf(p, w, m.name)));
      return ['kernel', 'bias'].map((w) => tf.clone(leaf(p, w, m.name)));
    }),
  );
}

/** tfjs-layers' side of `model`: the compiled model (adam with `hyper`) starting from `weights`. */
export function archLayersSide<M extends ArchModel>(
  model: M,
  sizes: ArchSizesOf[M],
  data: { readonly xs: readonly tf.Tensor[]; readonly ys: readonly tf.Tensor[] },
  hyper: AdamHyper,
  weights: readonly tf.Tensor[],
): PeerSide & { readonly model: tfl.Sequential } {
  const net = tfl.sequential({ layers: layersOf(model, sizes) });
  const optimizer = tf.train.adam(hyper.learningRate, hyper.beta1, hyper.beta2, hyper.epsilon);
  const recurrent = model === 'lstm' || model === 'gru';
  net.compile({ optimizer, loss: recurrent ? 'meanSquaredError' : (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.losses.softmaxCrossEntropy(yTrue, yPred) });
  net.setWeights([...weights]);
  return {
    model: net,
    step: trainOnBatchStep(net, data),
    dispose() {
      net.dispose();
      optimizer.dispose();
    },
  };
}
