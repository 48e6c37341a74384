// Shared test scaffolding (not part of the package's surface): a seeded host PRNG, so that weights and
// data are the same numbers on every backend, and deep MLPs built from raw tf ops with core's `tap`.
import { tap } from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import type { LayerReport } from './report.js';

/** mulberry32: a small, well-mixed 32-bit PRNG; `rng()` is uniform in [0, 1). */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal samples (Box–Muller) from `rng`. */
export function normals(rng: () => number, n: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const u = 1 - rng();
    const v = rng();
    const r = Math.sqrt(-2 * Math.log(u));
    out[i] = r * Math.cos(2 * Math.PI * v);
    if (i + 1 < n) out[i + 1] = r * Math.sin(2 * Math.PI * v);
  }
  return out;
}

/** Uniform samples in [-a, a). */
export function uniforms(rng: () => number, n: number, a: number): Float32Array {
  return Float32Array.from({ length: n }, () => (2 * rng() - 1) * a);
}

export type Activation = 'sigmoid' | 'relu' | 'tanh';
export type Init = 'uniform' | 'he';

/** An MLP's parameters: `layers[i] = { kernel: [in, out], bias: [out] }`, input to output. */
export type MlpParams = { layers: { kernel: tf.Tensor; bias: tf.Tensor }[] };

export interface MlpSpec {
  readonly depth: number;
  readonly width: number;
  readonly inputs: number;
  readonly outputs: number;
  /** `uniform`: U(±1/√fanIn) (PyTorch's nn.Linear default, the "naive" init); `he`: N(0, 2/fanIn) (He et al. 2015). */
  readonly init: Init;
  /** Multiplies every weight (2 → "He ×2"). */
  readonly scale?: number;
  readonly seed: number;
}

/** Builds the weights on the host from a seeded PRNG, so every backend gets the same numbers. */
export function mlpParams(spec: MlpSpec): MlpParams {
  const rng = seeded(spec.seed);
  const layers = [];
  for (let i = 0; i < spec.depth; i++) {
    const fanIn = i === 0 ? spec.inputs : spec.width;
    const fanOut = i === spec.depth - 1 ? spec.outputs : spec.width;
    const n = fanIn * fanOut;
    const values = spec.init === 'uniform' ? uniforms(rng, n, 1 / Math.sqrt(fanIn)) : normals(rng, n).map((z) => z * Math.sqrt(2 / fanIn));
    const scaled = values.map((v) => v * (spec.scale ?? 1));
    layers.push({ kernel: tf.tensor2d(scaled, [fanIn, fanOut]), bias: tf.zeros([fanOut]) });
  }
  return { layers };
}

/** A fixed batch: x ~ N(0, 1) of [batch, inputs], integer labels in [0, outputs) as one-hot. */
export function batch(seed: number, size: number, inputs: number, outputs: number): { x: tf.Tensor2D; y: tf.Tensor2D } {
  const rng = seeded(seed);
  const x = tf.tensor2d(normals(rng, size * inputs), [size, inputs]);
  const labels = Array.from({ length: size }, () => Math.floor(rng() * outputs));
  const y = tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(labels, 'int32'), outputs), 'float32') as tf.Tensor2D);
  return { x, y };
}

const ACT = { sigmoid: tf.sigmoid, relu: tf.relu, tanh: tf.tanh } as const;

/** Mean softmax cross-entropy of the MLP on (x, y); every hidden layer's output is tapped as `layers.i`. */
export function mlpLoss(activation: Activation, x: tf.Tensor2D, y: tf.Tensor2D): (p: MlpParams) => tf.Scalar {
  return (p) => {
    let h: tf.Tensor = x;
    p.layers.forEach(({ kernel, bias }, i) => {
      const z = tf.add(tf.matMul(h, kernel), bias);
      h = i === p.layers.length - 1 ? z : tap(ACT[activation](z), `layers.${i}`);
    });
    return tf.losses.softmaxCrossEntropy(y, h) as tf.Scalar;
  };
}

export const disposeParams = (p: MlpParams) => tf.dispose(p.layers.flatMap((l) => [l.kernel, l.bias]));

/** A 4×4 weight layer's report with gradient norm `gradNorm` (and only what the rules read), for rule tests. */
export const weightReport = (name: string, gradNorm: number): LayerReport => ({
  name,
  shape: [4, 4],
  size: 16,
  isWeight: true,
  gradNorm,
  gradMean: 0,
  gradStd: 0,
  gradMaxAbs: gradNorm,
  gradZeroFraction: gradNorm === 0 ? 1 : 0,
  nonFinite: 0,
});
