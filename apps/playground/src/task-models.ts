// The networks of the adding, cnn and transformer tasks, built from @gradkit/nn modules (smaller
// than gradient-lab's: they train in a browser worker, on SwiftShader or wasm).
import type { Module, ParamTree } from '@gradkit/core';
import { identity, normal } from '@gradkit/initializers';
import { act, conv2d, dense, embedding, globalAvgPool2d, gru, lstm, maxPool2d, residual, sequential, simpleRnn, transformerBlock } from '@gradkit/nn';
import { BatchNorm } from '@gradkit/normalization';
import * as tf from '@tensorflow/tfjs-core';
import { CLASSES, DIGITS, HEADS, type PlaygroundConfig } from './config.js';

/**
 * The adding task's net: one recurrent layer over `[batch, T, 2]` (its last state) and a dense head
 * to one number. tanh: `simpleRnn` (Keras's defaults: orthogonal recurrent init); IRNN: a relu
 * `simpleRnn` whose recurrent kernel starts as the identity (Le et al. 2015); `lstm`; `gru`.
 */
export function addingModel(c: PlaygroundConfig): Module {
  const common = { inputSize: 2, hiddenSize: c.width, returnSequences: false, seed: c.seed };
  const cell =
    c.cell === 'lstm'
      ? lstm(common)
      : c.cell === 'gru'
        ? gru(common)
        : c.cell === 'irnn'
          ? simpleRnn({ ...common, activation: 'relu', recurrentInitializer: identity() })
          : simpleRnn(common);
  return sequential(cell, dense({ inFeatures: c.width, outFeatures: 1, seed: c.seed + 1 }));
}

/**
 * The cnn task's net on 28×28 digits: a stride-2 3×3 stem (→ 14×14) and a 2×2 max pool (→ 7×7),
 * `depth` 3×3 relu conv layers of `width` channels (conv2d's default init, Glorot uniform, as a user
 * writes it), each followed by BatchNorm when `norm` is `batch` and wrapped in an identity shortcut
 * when `residual` (y = x + relu(BN(conv(x))); with BatchNorm, one more BatchNorm after the last block),
 * then global average pooling and a dense classifier.
 */
export function cnnModel(c: PlaygroundConfig): Module {
  const w = c.width;
  const layer = (i: number): Module => {
    const parts: Module[] = [conv2d({ inChannels: w, outChannels: w, kernelSize: 3, padding: 'same', seed: c.seed + 2 + i })];
    if (c.norm === 'batch') parts.push(new BatchNorm({ features: w }));
    parts.push(act('relu'));
    const inner = sequential(...parts);
    return c.residual ? residual(inner) : inner;
  };
  return sequential(
    conv2d({ inChannels: 1, outChannels: w, kernelSize: 3, stride: 2, padding: 'same', activation: 'relu', seed: c.seed }),
    maxPool2d({ kernelSize: 2 }),
    ...Array.from({ length: c.depth }, (_, i) => layer(i)),
    // Residual sums grow with depth: a last BatchNorm (pre-activation ResNet's final BN, He et al. 2016b) rescales them for the classifier.
    ...(c.residual && c.norm === 'batch' ? [new BatchNorm({ features: w })] : []),
    globalAvgPool2d(),
    dense({ inFeatures: w, outFeatures: CLASSES, seed: c.seed + 1 }),
  );
}

/** Adds a learned position vector to each step of `[batch, L, d]` (GPT's learned positions). */
class Positions implements Module<{ readonly table: tf.Variable }> {
  readonly name = 'positions';
  readonly params: { readonly table: tf.Variable };
  training = true;
  constructor(length: number, dim: number, seed: number) {
    this.params = { table: tf.variable(normal({ stddev: 0.1, seed })([length, dim]), true) };
  }
  apply(x: tf.Tensor): tf.Tensor {
    return tf.add(x, this.params.table);
  }
  train(): this {
    this.training = true;
    return this;
  }
  eval(): this {
    this.training = false;
    return this;
  }
  dispose(): void {
    this.params.table.dispose();
  }
}

/**
 * The transformer task's net: digit embeddings plus learned positions, `depth` encoder blocks
 * (`transformerBlock`, width `width`, 4 heads, FFN 2×width, Post-LN or Pre-LN as `blockNorm`; no
 * final LayerNorm after a Pre-LN stack, as PyTorch's `TransformerEncoder` without `norm`) and a dense
 * head to the 10 digits at each position.
 */
export function transformerModel(c: PlaygroundConfig): Module {
  const w = c.width;
  return sequential(
    embedding({ numEmbeddings: DIGITS, embeddingDim: w, seed: c.seed }),
    new Positions(c.seqLength, w, c.seed + 1),
    ...Array.from({ length: c.depth }, (_, i) => transformerBlock({ embedDim: w, numHeads: HEADS, ffnDim: 2 * w, norm: c.blockNorm, seed: c.seed + 2 + i })),
    dense({ inFeatures: w, outFeatures: DIGITS, seed: c.seed + 100 }),
  );
}

/** The net of a configuration's task (not the MLP: gradient-lab's `buildModel` builds that). */
export function taskModel(c: PlaygroundConfig): Module<ParamTree> {
  switch (c.task) {
    case 'adding':
      return addingModel(c);
    case 'cnn':
      return cnnModel(c);
    case 'transformer':
      return transformerModel(c);
    default:
      throw new Error(`taskModel: the ${c.task} task is built by gradient-lab's buildModel`);
  }
}
