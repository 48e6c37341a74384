// Test scaffolding of the doctor's tests (not part of the package's surface): small tfjs-layers models
// with known behaviour and seeded data, the same numbers on every backend.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { LayersModelLike } from './doctor-types.js';
import { normals, seeded } from './test-support.js';

/** A tfjs-layers model as the doctor sees it. */
export const asTarget = (m: tfl.LayersModel) => m as unknown as LayersModelLike;

/** A classification task: x ~ N(0, 1) of [n, inputs], the class the argmax of a fixed seeded projection, one-hot. */
export function classification(seed: number, n: number, inputs: number, classes: number): { x: tf.Tensor2D; y: tf.Tensor2D } {
  const rng = seeded(seed);
  const xs = normals(rng, n * inputs);
  const w = normals(rng, inputs * classes);
  const labels = Array.from({ length: n }, (_, i) => {
    const scores = Array.from({ length: classes }, (_, c) =>
      xs.slice(i * inputs, (i + 1) * inputs).reduce((a, v, k) => a + v * (w[k * classes + c] as number), 0),
    );
    return scores.indexOf(Math.max(...scores));
  });
  const x = tf.tensor2d(xs, [n, inputs]);
  const y = tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(labels, 'int32'), classes), 'float32') as tf.Tensor2D);
  return { x, y };
}

/** An MLP of `depth` hidden Dense layers of `width` units with `activation` and the default (Glorot uniform) initialization, seeded, and a softmax output. */
export function mlp(activation: 'sigmoid' | 'relu', depth: number, width: number, inputs: number, classes: number, seed = 1): tfl.Sequential {
  const init = (i: number) => tfl.initializers.glorotUniform({ seed: seed * 100 + i });
  const layers = Array.from({ length: depth }, (_, i) =>
    tfl.layers.dense({ units: width, activation, kernelInitializer: init(i), ...(i === 0 ? { inputShape: [inputs] } : {}) }),
  );
  return tfl.sequential({ layers: [...layers, tfl.layers.dense({ units: classes, activation: 'softmax', kernelInitializer: init(depth) })] });
}

/** A sequence task whose label is set by the first step: x ~ N(0, 1) of [n, time, 1], y = 1 when x[:, 0, 0] > 0, else 0. */
export function firstStepTask(seed: number, n: number, time: number): { x: tf.Tensor3D; y: tf.Tensor2D } {
  const xs = normals(seeded(seed), n * time);
  const labels = Array.from({ length: n }, (_, i) => ((xs[i * time] as number) > 0 ? 1 : 0));
  return { x: tf.tensor3d(xs, [n, time, 1]), y: tf.tensor2d(labels, [n, 1]) };
}

/** A tanh SimpleRNN of `units` over `[time, 1]` inputs with the default initializers (seeded), and one sigmoid output. */
export function simpleRnn(time: number, units: number, seed = 1): tfl.Sequential {
  return tfl.sequential({
    layers: [
      tfl.layers.simpleRNN({
        units,
        inputShape: [time, 1],
        kernelInitializer: tfl.initializers.glorotUniform({ seed }),
        recurrentInitializer: tfl.initializers.orthogonal({ seed: seed + 1 }),
      }),
      tfl.layers.dense({ units: 1, activation: 'sigmoid', kernelInitializer: tfl.initializers.glorotUniform({ seed: seed + 2 }) }),
    ],
  });
}

/** Every weight's values, to compare a model before and after. */
export const weightValues = async (m: tfl.LayersModel) => Promise.all(m.getWeights().map(async (w) => Array.from(await w.data())));

/** A two-layer tanh MLP (4 → 8 → 2) as a gradkit module, its weights from a seeded PRNG. */
export function tinyModule(): { params: { w1: tf.Variable; w2: tf.Variable }; apply(x: tf.Tensor): tf.Tensor } {
  const rng = seeded(11);
  const params = {
    w1: tf.variable(
      tf.tensor2d(
        normals(rng, 4 * 8).map((v) => v * 0.5),
        [4, 8],
      ),
    ),
    w2: tf.variable(
      tf.tensor2d(
        normals(rng, 8 * 2).map((v) => v * 0.35),
        [8, 2],
      ),
    ),
  };
  return { params, apply: (x: tf.Tensor) => tf.matMul(tf.tanh(tf.matMul(x as tf.Tensor2D, params.w1)), params.w2) };
}
