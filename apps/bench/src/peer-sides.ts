// The gradkit and tfjs-layers sides of the peer benchmark (and of the bench's profiles), each built
// as that library's users write it, from the same initial weights.
import { type GradientTransformation, Optimizer, type ParamTree } from '@gradkit/core';
import { dense, sequential } from '@gradkit/nn';
import { adam } from '@gradkit/optimizers';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { PeerData } from './peer-data.js';

/** Adam's hyper-parameters, equal on every side. */
export interface AdamHyper {
  readonly learningRate: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
}

/** One library's training state: a step on minibatch `k` returns the loss read back. */
export interface PeerSide {
  step(k: number): Promise<number>;
  dispose(): void;
}

/** The gradkit side, with its optimizer and loss for `profileStep({ optimizer, loss })`. */
export interface GradkitSide extends PeerSide {
  readonly optimizer: Optimizer<ParamTree>;
  /** The loss on minibatch `k`. */
  loss(k: number): () => tf.Scalar;
}

/** The tfjs-layers side, with its compiled model for `profileStep({ model, x, y })`. */
export interface LayersSide extends PeerSide {
  readonly model: tfl.Sequential;
}

/**
 * gradkit as a user writes it: @gradkit/nn dense layers, `Optimizer` + adam (or `transform`, for the
 * issue-16 optimizers' training-step rows), `await minimize(loss)`.
 */
export function gradkitSide(data: PeerData, hyper: AdamHyper, transform?: GradientTransformation): GradkitSide {
  const n = data.weights.length;
  const layers = data.weights.map((w, i) =>
    dense({ inFeatures: w.inputs, outFeatures: w.outputs, ...(i < n - 1 ? { activation: 'relu' } : {}), seed: 1, name: `dense${i}` }),
  );
  const net = sequential(...layers);
  layers.forEach((layer, i) => {
    const w = data.weights[i] as PeerData['weights'][number];
    tf.tidy(() => {
      layer.params.kernel.assign(tf.tensor2d(w.kernel, [w.inputs, w.outputs]));
      layer.params.bias.assign(tf.tensor1d(w.bias));
    });
  });
  const optimizer = new Optimizer(net.params, transform ?? adam(hyper)) as Optimizer<ParamTree>;
  const loss = (k: number) => () => tf.losses.softmaxCrossEntropy(data.ys[k] as tf.Tensor, net.apply(data.xs[k] as tf.Tensor, { training: true })) as tf.Scalar;
  return {
    optimizer,
    loss,
    step: (k) => optimizer.minimize(loss(k)),
    dispose() {
      optimizer.dispose();
      net.dispose();
    },
  };
}

/** `await model.trainOnBatch` on minibatch k, the loss as a number. */
export function trainOnBatchStep(
  model: tfl.LayersModel,
  data: { readonly xs: readonly tf.Tensor[]; readonly ys: readonly tf.Tensor[] },
): (k: number) => Promise<number> {
  return async (k) => {
    const loss = await model.trainOnBatch(data.xs[k] as tf.Tensor, data.ys[k] as tf.Tensor);
    return Array.isArray(loss) ? (loss[0] as number) : loss;
  };
}

/** tfjs-layers as its users write it: `tf.sequential` of dense layers, `tf.train.adam`, `await trainOnBatch`. */
export function layersSide(data: PeerData, hyper: AdamHyper): LayersSide {
  const n = data.weights.length;
  const model = tfl.sequential();
  data.weights.forEach((w, i) => {
    model.add(tfl.layers.dense({ units: w.outputs, ...(i < n - 1 ? { activation: 'relu' } : {}), ...(i === 0 ? { inputShape: [w.inputs] } : {}) }));
  });
  const optimizer = tf.train.adam(hyper.learningRate, hyper.beta1, hyper.beta2, hyper.epsilon);
  model.compile({ optimizer, loss: (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.losses.softmaxCrossEntropy(yTrue, yPred) });
  const initial = data.weights.flatMap((w) => [tf.tensor2d(w.kernel, [w.inputs, w.outputs]), tf.tensor1d(w.bias)]);
  model.setWeights(initial);
  tf.dispose(initial);
  return {
    model,
    step: trainOnBatchStep(model, data),
    dispose() {
      model.dispose();
      optimizer.dispose();
    },
  };
}
