import { Optimizer, valueAndGrad, withTaps } from '@gradkit/core';
import { heNormal } from '@gradkit/initializers';
import { type Conv2d, conv2d, dense, embedding, flatten, globalAvgPool2d, maxPool2d, residual, sequential, softmaxCrossEntropy } from '@gradkit/nn';
import { adam } from '@gradkit/optimizers';
import * as tf from '@tensorflow/tfjs-core';

/** A small conv net for 28×28 grey images and 10 classes (MNIST's shapes). */
export function makeConvNet(seed: number) {
  // #region model
  const net = sequential(
    conv2d({ inChannels: 1, outChannels: 8, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: heNormal({ seed }) }),
    maxPool2d({ kernelSize: 2 }), // [batch, 14, 14, 8]
    conv2d({ inChannels: 8, outChannels: 16, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: heNormal({ seed: seed + 1 }) }),
    maxPool2d({ kernelSize: 2 }), // [batch, 7, 7, 16]
    flatten(), // [batch, 784]
    dense({ inFeatures: 7 * 7 * 16, outFeatures: 10, seed: seed + 2 }),
  );
  // #endregion
  return net;
}

/** `steps` Adam steps on one batch of images [batch, 28, 28, 1] and one-hot labels [batch, 10]; the losses. */
export async function train(net: ReturnType<typeof makeConvNet>, images: tf.Tensor4D, labels: tf.Tensor2D, steps: number): Promise<number[]> {
  // #region train
  const opt = new Optimizer(net.params, adam({ learningRate: 1e-3 }));
  const loss = () => softmaxCrossEntropy(net.apply(images), labels);
  const losses: number[] = [];
  for (let step = 0; step < steps; step++) losses.push(await opt.minimize(loss));
  opt.dispose();
  // #endregion
  return losses;
}

/** The gradient norm at every layer's output, input to output (what diagnostics read from the taps). */
export async function layerGradients(net: ReturnType<typeof makeConvNet>, images: tf.Tensor4D, labels: tf.Tensor2D): Promise<Record<string, number>> {
  // #region taps
  const loss = () => softmaxCrossEntropy(net.apply(images), labels);
  const { result, taps } = withTaps(valueAndGrad<typeof net.params>(loss))(net.params);
  const norms: Record<string, number> = {};
  for (const [name, t] of Object.entries(taps)) norms[name] = t.grad ? ((await tf.norm(t.grad).data())[0] ?? 0) : 0; // '0.conv2d', '1.maxPool2d', …
  tf.dispose([result.value, result.grads, taps]);
  // #endregion
  return norms;
}

/** A PyTorch nn.Conv2d's weight [out, in/groups, kh, kw] and bias, loaded into a gradkit conv2d. */
export function loadTorchConv(layer: Conv2d, torchWeight: tf.Tensor4D, torchBias: tf.Tensor1D): void {
  // #region port
  // PyTorch: weight [out, in/groups, kh, kw]; gradkit (and tfjs): kernel [kh, kw, in/groups, out].
  tf.tidy(() => layer.params.kernel.assign(tf.transpose(torchWeight, [2, 3, 1, 0])));
  layer.params.bias.assign(torchBias);
  // Inputs: PyTorch's NCHW images x are tf.transpose(x, [0, 2, 3, 1]) here (NHWC).
  // #endregion
}

/** A residual block of a ResNet-style net: two 'same' convolutions, depthwise then pointwise. */
export function separableBlock(channels: number, seed: number) {
  // #region separable
  const block = residual(
    sequential(
      conv2d({ inChannels: channels, outChannels: channels, kernelSize: 3, padding: 'same', groups: channels, seed }), // depthwise
      conv2d({ inChannels: channels, outChannels: channels, kernelSize: 1, activation: 'relu', seed: seed + 1 }), // pointwise
    ),
  );
  const head = sequential(block, globalAvgPool2d(), dense({ inFeatures: channels, outFeatures: 10, seed: seed + 2 }));
  // #endregion
  return head;
}

/** Token ids [batch, time] → vectors [batch, time, 16]. */
export function embedTokens(tokens: tf.Tensor2D): tf.Tensor3D {
  // #region embedding
  const table = embedding({ numEmbeddings: 1000, embeddingDim: 16, seed: 1 });
  const vectors = table.apply(tokens) as tf.Tensor3D; // tokens: int32 [batch, time] → [batch, time, 16]
  table.dispose();
  // #endregion
  return vectors;
}
