// The peer benchmark's inputs, generated once in JavaScript from a seed so that every library starts
// from the same bits: He-normal kernels, zero biases, MNIST-shaped minibatches with one-hot labels.
import * as tf from '@tensorflow/tfjs-core';

/** One dense layer's initial values (row-major kernel `[inputs, outputs]`). */
export interface LayerWeights {
  readonly inputs: number;
  readonly outputs: number;
  readonly kernel: Float32Array;
  readonly bias: Float32Array;
}

/** The initial weights and the minibatches, as arrays (for jax-js) and as tfjs tensors (shared by gradkit and tfjs-layers, never written). */
export interface PeerData {
  readonly sizes: readonly number[];
  readonly batch: number;
  readonly weights: readonly LayerWeights[];
  /** Trainable parameters. */
  readonly params: number;
  /** Minibatch inputs `[batch, sizes[0]]`, uniform in [0, 1) like pixels. */
  readonly x: readonly Float32Array[];
  /** Minibatch labels `[batch, classes]`, one-hot. */
  readonly y: readonly Float32Array[];
  readonly xs: readonly tf.Tensor2D[];
  readonly ys: readonly tf.Tensor2D[];
  /** Frees the tensors. */
  dispose(): void;
}

/** mulberry32: a small seeded generator of uniforms in [0, 1). */
export function uniforms(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The weights and `batches` minibatches of the MLP `sizes` (input first), all from `seed`. */
export function peerData(sizes: readonly number[], batch: number, batches: number, seed: number): PeerData {
  if (sizes.length < 2 || sizes.some((s) => !Number.isInteger(s) || s < 1))
    throw new Error(`peer: sizes must be two or more positive integers, got [${sizes.join(', ')}]`);
  const rnd = uniforms(seed);
  // Box–Muller; 1 − u keeps the logarithm finite.
  const normal = () => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
  const weights = sizes.slice(1).map((outputs, i) => {
    const inputs = sizes[i] as number;
    const std = Math.sqrt(2 / inputs);
    return { inputs, outputs, kernel: Float32Array.from({ length: inputs * outputs }, () => normal() * std), bias: new Float32Array(outputs) };
  });
  const inputs = sizes[0] as number;
  const classes = sizes[sizes.length - 1] as number;
  const x: Float32Array[] = [];
  const y: Float32Array[] = [];
  for (let b = 0; b < batches; b++) {
    x.push(Float32Array.from({ length: batch * inputs }, rnd));
    const labels = new Float32Array(batch * classes);
    for (let i = 0; i < batch; i++) labels[i * classes + Math.floor(rnd() * classes)] = 1;
    y.push(labels);
  }
  const xs = x.map((v) => tf.tensor2d(v, [batch, inputs]));
  const ys = y.map((v) => tf.tensor2d(v, [batch, classes]));
  return {
    sizes,
    batch,
    weights,
    params: weights.reduce((n, w) => n + w.kernel.length + w.bias.length, 0),
    x,
    y,
    xs,
    ys,
    dispose: () => tf.dispose([...xs, ...ys]),
  };
}
