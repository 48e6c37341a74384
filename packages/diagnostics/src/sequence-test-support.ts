// Test scaffolding (not part of the package's surface): recurrent layers and self-attention built from
// raw tf ops with core's `tap`, under the tap names @gradkit/nn uses (`<layer>.t<k>` for every step's
// hidden state, `<layer>.logits` and `<layer>.probs` for attention). @gradkit/nn devDepends on this
// package, so its modules cannot be used here without a build cycle; these follow its equations
// (PyTorch's: LSTM gates i, f, g, o).
import { tap, valueAndGrad, withTaps } from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import { seeded, uniforms } from './test-support.js';

/** The adding problem's inputs (Hochreiter & Schmidhuber 1997): `[batch, time, 2]` (a value in [0, 1), a marker on two steps) and the sum of the two marked values. */
export function addingBatch(batch: number, time: number, seed: number): { x: tf.Tensor3D; y: tf.Tensor2D } {
  const rng = seeded(seed);
  const x = new Float32Array(batch * time * 2);
  const y = new Float32Array(batch);
  for (let b = 0; b < batch; b++) {
    const i = Math.floor(rng() * (time / 2));
    const j = Math.floor(time / 2 + rng() * (time / 2));
    for (let t = 0; t < time; t++) {
      const v = rng();
      x[(b * time + t) * 2] = v;
      if (t === i || t === j) {
        x[(b * time + t) * 2 + 1] = 1;
        y[b] = (y[b] as number) + v;
      }
    }
  }
  return { x: tf.tensor3d(x, [batch, time, 2]), y: tf.tensor2d(y, [batch, 1]) };
}

/** A recurrent net's parameters: the recurrent layer (`G` gate blocks) and a dense readout of the last state. */
export type RnnParams = {
  readonly kernel: tf.Tensor2D; // [in, G·h]
  readonly recurrentKernel: tf.Tensor2D; // [h, G·h]
  readonly bias: tf.Tensor1D; // [G·h]
  readonly readout: tf.Tensor2D; // [h, 1]
};

export type Cell = 'tanh' | 'relu' | 'lstm';

/** Runs the layer over `x` `[batch, time, in]`, tapping hₜ as `${name}.t${t}`, and returns the mean squared error of the readout of the last state against `y`. */
export function rnnLoss(cell: Cell, p: RnnParams, x: tf.Tensor3D, y: tf.Tensor2D, name: string): tf.Scalar {
  const [batch, time] = x.shape;
  const h0 = p.recurrentKernel.shape[0];
  let h: tf.Tensor2D = tf.zeros([batch, h0]);
  let c: tf.Tensor2D = tf.zeros([batch, h0]);
  for (let t = 0; t < time; t++) {
    const xt = tf.reshape(tf.slice(x, [0, t, 0], [batch, 1, x.shape[2]]), [batch, x.shape[2]]) as tf.Tensor2D;
    const z = tf.add(tf.add(tf.matMul(xt, p.kernel), tf.matMul(h, p.recurrentKernel)), p.bias) as tf.Tensor2D;
    if (cell === 'lstm') {
      const [i, f, g, o] = tf.split(z, 4, 1) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
      c = tf.add(tf.mul(tf.sigmoid(f), c), tf.mul(tf.sigmoid(i), tf.tanh(g)));
      h = tf.mul(tf.sigmoid(o), tf.tanh(c));
    } else h = cell === 'tanh' ? tf.tanh(z) : tf.relu(z);
    h = tap(h, `${name}.t${t}`);
  }
  return tf.mean(tf.square(tf.sub(tf.matMul(h, p.readout), y)));
}

/**
 * Parameters of a recurrent net with `hidden` units on 2 inputs: kernel and readout U(±1/√h) (PyTorch's
 * default), the recurrent kernel as given (a function of h and the seed's uniforms), and the bias.
 */
export function rnnParams(
  cell: Cell,
  hidden: number,
  seed: number,
  recurrent: (h: number, u: Float32Array) => Float32Array,
  bias: (gates: number, h: number) => number = () => 0,
): RnnParams {
  const rng = seeded(seed);
  const G = cell === 'lstm' ? 4 : 1;
  const a = 1 / Math.sqrt(hidden);
  return {
    kernel: tf.tensor2d(uniforms(rng, 2 * G * hidden, a), [2, G * hidden]),
    recurrentKernel: tf.tensor2d(recurrent(hidden, uniforms(rng, hidden * G * hidden, a)), [hidden, G * hidden]),
    bias: tf.tensor1d(Float32Array.from({ length: G * hidden }, (_, k) => bias(Math.floor(k / hidden), k % hidden))),
    readout: tf.tensor2d(uniforms(rng, hidden, a), [hidden, 1]),
  };
}

/** Self-attention parameters: query and key kernels `[d, d]`, and the value kernel (output = the attended values' mean). */
export type AttentionParams = {
  readonly query: tf.Tensor2D;
  readonly key: tf.Tensor2D;
  readonly value: tf.Tensor2D;
};

/** Glorot-uniform query/key/value kernels (PyTorch's xavier_uniform_ on in_proj_weight: U(±√(6/4d))), the query and key ones × `qkScale`. */
export function attentionParams(d: number, seed: number, qkScale = 1): AttentionParams {
  const rng = seeded(seed);
  const bound = Math.sqrt(6 / (4 * d));
  const kernel = (scale: number) => tf.tensor2d(uniforms(rng, d * d, bound * scale), [d, d]);
  return { query: kernel(qkScale), key: kernel(qkScale), value: kernel(1) };
}

/**
 * Multi-head self-attention over `x` `[batch, time, d]` as @gradkit/nn computes it (scores scaled by
 * 1/√(d/h), optional causal mask pushed to −1e30 after the `.logits` tap), tapping `${name}.logits`
 * and `${name}.probs` `[batch, heads, time, time]`; the loss is the mean square of the attended values.
 */
export function attentionLoss(p: AttentionParams, x: tf.Tensor3D, heads: number, name: string, causal = false): tf.Scalar {
  const [batch, time, d] = x.shape;
  const rows = tf.reshape(x, [batch * time, d]) as tf.Tensor2D;
  const split = (w: tf.Tensor2D) => tf.transpose(tf.reshape(tf.matMul(rows, w), [batch, time, heads, d / heads]), [0, 2, 1, 3]);
  const logits = tap(tf.div(tf.matMul(split(p.query), split(p.key), false, true), Math.sqrt(d / heads)), `${name}.logits`);
  const mask = causal ? tf.mul(tf.sub(1, tf.linalg.bandPart(tf.ones([time, time]), -1, 0)), -1e30) : undefined;
  const probs = tap(tf.softmax(mask ? tf.add(logits, mask) : logits), `${name}.probs`);
  return tf.mean(tf.square(tf.matMul(probs, split(p.value))));
}

/**
 * The gradients and taps of a small net with a tanh recurrent layer `rnn` (`time` steps, 4 units,
 * recurrent kernel U(±1/√4)·`recurrentScale`) and a self-attention layer `attn` (8 features, 2 heads,
 * query/key kernels × `qkScale`) side by side on the same batch: the loss is the sum of both losses.
 * The caller disposes the result (`tf.dispose(Object.values(...))`).
 */
export function sequenceStep(time: number, recurrentScale: number, qkScale: number) {
  const rnn = rnnParams('tanh', 4, 7, (_h, u) => u.map((v) => v * recurrentScale));
  const attention = attentionParams(8, 8, qkScale);
  const params = { rnn, attention };
  const { x, y } = addingBatch(4, time, 9);
  const z = tf.tidy(() => tf.reshape(tf.tile(x, [1, 1, 4]), [4, time, 8]) as tf.Tensor3D);
  const { result, taps } = withTaps(valueAndGrad(() => tf.add(rnnLoss('tanh', rnn, x, y, 'rnn'), attentionLoss(attention, z, 2, 'attn'))))(params);
  tf.dispose([x, y, z, result.value]);
  return { params, grads: result.grads, taps };
}

/**
 * Runs `fn` with tfjs-webgpu's matMul on its small-output program while the backend is webgpu (as
 * @gradkit/nn's tests do): for products of at most 128 outputs tfjs picks a program whose workgroup
 * barriers SwiftShader runs ~30× slower, and these nets are made of such products. Same results.
 */
export async function withSmallMatMuls<T>(fn: () => Promise<T>): Promise<T> {
  if (tf.getBackend() !== 'webgpu') return fn();
  const before = tf.env().getNumber('WEBGPU_MATMUL_PROGRAM_TYPE');
  tf.env().set('WEBGPU_MATMUL_PROGRAM_TYPE', 2); // MatMulProgramType.MatMulSmallOutputSizeProgram
  try {
    return await fn();
  } finally {
    tf.env().set('WEBGPU_MATMUL_PROGRAM_TYPE', before);
  }
}
