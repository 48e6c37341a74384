import { Optimizer, valueAndGrad, withTaps } from '@gradkit/core';
import { identity } from '@gradkit/initializers';
import { dense, type Lstm, lstm, sequential, simpleRnn, softmaxCrossEntropy } from '@gradkit/nn';
import { adam } from '@gradkit/optimizers';
import * as tf from '@tensorflow/tfjs-core';

/** An LSTM over [batch, time, 8] whose last hidden state feeds a 3-class head. */
export function makeClassifier(seed: number) {
  // #region model
  const net = sequential(
    lstm({ inputSize: 8, hiddenSize: 32, returnSequences: false, seed }), // [batch, time, 8] → [batch, 32]
    dense({ inFeatures: 32, outFeatures: 3, seed: seed + 1 }),
  );
  // #endregion
  return net;
}

/** `steps` Adam steps on one batch of sequences [batch, time, 8] and one-hot labels [batch, 3]; the losses. */
export async function train(net: ReturnType<typeof makeClassifier>, x: tf.Tensor3D, labels: tf.Tensor2D, steps: number): Promise<number[]> {
  // #region train
  const opt = new Optimizer(net.params, adam({ learningRate: 1e-2 }));
  const loss = () => softmaxCrossEntropy(net.apply(x), labels);
  const losses: number[] = [];
  for (let step = 0; step < steps; step++) losses.push(await opt.minimize(loss));
  opt.dispose();
  // #endregion
  return losses;
}

/** ‖∂L/∂hₜ‖ for every step t of the classifier's LSTM, first step first. */
export async function gradientThroughTime(net: ReturnType<typeof makeClassifier>, x: tf.Tensor3D, labels: tf.Tensor2D): Promise<number[]> {
  // #region taps
  const loss = () => softmaxCrossEntropy(net.apply(x), labels);
  const { result, taps } = withTaps(valueAndGrad<typeof net.params>(loss))(net.params);
  const perStep: number[] = [];
  for (let t = 0; t < x.shape[1]; t++) {
    const g = taps[`0.lstm.t${t}`]?.grad; // ∂L/∂hₜ [batch, 32], through every later step
    perStep.push(g ? ((await tf.norm(g).data())[0] ?? 0) : 0);
  }
  tf.dispose([result.value, result.grads, taps]);
  // #endregion
  return perStep;
}

/** Le et al. 2015's IRNN: relu, identity recurrent kernel, zero bias. */
export function makeIrnn() {
  // #region irnn
  const irnn = simpleRnn({ inputSize: 2, hiddenSize: 100, activation: 'relu', recurrentInitializer: identity(), seed: 1 });
  // #endregion
  return irnn;
}

/** PyTorch nn.LSTM's layer-0 weights loaded into a gradkit lstm of the same sizes. */
export function loadTorchLstm(layer: Lstm, weightIh: tf.Tensor2D, weightHh: tf.Tensor2D, biasIh: tf.Tensor1D, biasHh: tf.Tensor1D): void {
  // #region port
  // PyTorch: weight_ih_l0 [4h, in], weight_hh_l0 [4h, h], bias_ih_l0 and bias_hh_l0 [4h], gates i, f, g, o.
  // gradkit: kernel [in, 4h], recurrentKernel [h, 4h], one bias [4h], the same gate order.
  tf.tidy(() => {
    layer.params.kernel.assign(tf.transpose(weightIh));
    layer.params.recurrentKernel.assign(tf.transpose(weightHh));
    layer.params.bias.assign(tf.add(biasIh, biasHh));
  });
  // #endregion
}

/** Runs an lstm from a given state [h0, c0] and returns every step's hidden state. */
export function fromState(layer: Lstm, x: tf.Tensor3D, h0: tf.Tensor2D, c0: tf.Tensor2D): tf.Tensor3D {
  // #region state
  const hs = layer.apply(x, { initialState: [h0, c0] }) as tf.Tensor3D; // [batch, time, h]; simpleRnn and gru take one tensor h0
  // #endregion
  return hs;
}
