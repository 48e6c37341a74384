// The labelled tfjs-layers runs: models compiled and fitted with `model.fit`, diagnosed by
// `gradientCallback` from @gradkit/diagnostics as its users do. Every initializer is seeded and the
// digits come in a seeded order (`shuffle: false`), so a run is the same at every `every`.
import { UnknownOptionError } from '@gradkit/core';
import { type GradientCallbackOptions, gradientCallback } from '@gradkit/diagnostics';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { accuracy, digits } from './digits.js';
import { ADAM_AGAIN, CLIP_FOR_HIGH_LR, GRADKIT_API, LOWER_LR, RAISE_LR, SIGMOID_ADVICE } from './forbidden.js';
import { failsBelow, type LabelledCase, type OutcomeCheck, type RunResult, trainsAbove } from './label.js';

/** Samples per batch and epochs of every fit: 500 digits in 20 batches, 60 optimizer steps. */
const BATCH = 25;
/** Training samples passed as the callback's `probe` (every layer's output at each report). */
const PROBE = 64;

/** `gradientCallback` with `probe` (the forward activations of every layer), or without it where the diagnostics do not take one yet. */
function callbackWithProbe(options: GradientCallbackOptions, probe: tf.Tensor) {
  try {
    return gradientCallback({ ...options, probe } as GradientCallbackOptions);
  } catch (e) {
    if (e instanceof UnknownOptionError && /probe/.test(e.message)) return gradientCallback(options);
    throw e;
  }
}
const EPOCHS = 3;

type Build = (seed: number) => { model: tfl.Sequential; optimizer: tf.Optimizer; images: boolean };

/**
 * Fits the model of `build(seed)` on the digits once per `every`, with a `gradientCallback` reporting
 * every `every` optimizer steps, and measures the test accuracy.
 */
async function fitRuns(build: Build, seed: number, everys: readonly number[], outcome: OutcomeCheck) {
  const data = digits(seed);
  const results = new Map<number, RunResult>();
  try {
    for (const every of everys) {
      const { model, optimizer, images } = build(seed);
      // Images at half resolution (14 × 14, 2 × 2 means): a quarter of the convolutions' work, digits still legible.
      const shape = (x: tf.Tensor) => (images ? tf.tidy(() => tf.avgPool(tf.reshape(x, [-1, 28, 28, 1]) as tf.Tensor4D, 2, 2, 'valid')) : x);
      const x = shape(data.train.x);
      const testX = shape(data.test.x);
      const probe = tf.slice(x, 0, PROBE);
      const errors: unknown[] = [];
      const cb = callbackWithProbe({ model, every, onError: (e) => errors.push(e) }, probe);
      try {
        const history = await model.fit(x, data.train.y, { epochs: EPOCHS, batchSize: BATCH, shuffle: false, verbose: 0, callbacks: [cb] as never });
        if (errors.length > 0) throw errors[0];
        const diverged = (history.history.loss as number[]).some((l) => !Number.isFinite(l));
        const probs = model.predict(testX) as tf.Tensor;
        const acc = diverged ? 0 : await accuracy(probs, data.test.y);
        probs.dispose();
        results.set(every, { reports: cb.monitor.history, diverged, outcome: outcome(acc, diverged) });
      } finally {
        cb.detach();
        probe.dispose();
        if (images) tf.dispose([x, testX]);
        model.dispose();
        optimizer.dispose();
      }
    }
  } finally {
    tf.dispose(data as unknown as tf.TensorContainer);
  }
  return results;
}

const glorot = (seed: number) => tfl.initializers.glorotUniform({ seed });

/** tfjs-examples' MNIST `createConvModel`, scaled down (14 × 14 images, 8 and 16 filters, a dense layer of 32, no third conv), seeded, compiled with RMSProp at `lr` (tfjs-examples: 'rmsprop', 1e-3). */
function convNet(lr: number): Build {
  return (seed) => {
    const model = tfl.sequential({
      layers: [
        tfl.layers.conv2d({ inputShape: [14, 14, 1], kernelSize: 3, filters: 8, activation: 'relu', kernelInitializer: glorot(seed * 10 + 1) }),
        tfl.layers.maxPooling2d({ poolSize: 2, strides: 2 }),
        tfl.layers.conv2d({ kernelSize: 3, filters: 16, activation: 'relu', kernelInitializer: glorot(seed * 10 + 2) }),
        tfl.layers.maxPooling2d({ poolSize: 2, strides: 2 }),
        tfl.layers.flatten(),
        tfl.layers.dense({ units: 32, activation: 'relu', kernelInitializer: glorot(seed * 10 + 3) }),
        tfl.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: glorot(seed * 10 + 4) }),
      ],
    });
    const optimizer = tf.train.rmsprop(lr);
    model.compile({ optimizer, loss: 'categoricalCrossentropy' });
    return { model, optimizer, images: true };
  };
}

/** 10 dense layers of 32 units with `activation` and `kernelInitializer(seed)`, then a softmax of 10, compiled with `optimizer()` (default SGD at 0.05). */
function denseNet(
  activation: 'relu' | 'sigmoid',
  kernelInitializer: (seed: number) => ReturnType<typeof tfl.initializers.glorotUniform>,
  makeOptimizer: () => tf.Optimizer = () => tf.train.sgd(0.05),
): Build {
  return (seed) => {
    const layers = Array.from({ length: 10 }, (_, i) =>
      tfl.layers.dense({ ...(i === 0 ? { inputShape: [784] } : {}), units: 32, activation, kernelInitializer: kernelInitializer(seed * 100 + i) }),
    );
    const model = tfl.sequential({ layers: [...layers, tfl.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: glorot(seed * 100 + 99) })] });
    const optimizer = makeOptimizer();
    model.compile({ optimizer, loss: 'categoricalCrossentropy' });
    return { model, optimizer, images: false };
  };
}

function layersCase(id: string, what: string, build: Build, label: LabelledCase['label'], outcome: OutcomeCheck, webgpu = false): LabelledCase {
  return { id, family: 'tfjs-layers', what, label, webgpu, run: (seed, everys) => fitRuns(build, seed, everys, outcome) };
}

/** The labelled tfjs-layers cases. */
export const LAYERS_CASES: readonly LabelledCase[] = [
  layersCase(
    'layers-conv',
    "tfjs-examples' MNIST conv net (8, 16 filters), RMSProp 3e-3",
    convNet(3e-3),
    { verdict: 'healthy', mustNotOffer: [GRADKIT_API] },
    trainsAbove(0.5),
  ),
  layersCase(
    'layers-conv-lr1000x',
    'the same conv net at RMSProp 3 (1000× too high): the softmax saturates and the clipped cross-entropy gives exactly zero gradients',
    convNet(3),
    { verdict: 'exploding', mustNotFind: ['vanishing'], mustOffer: [LOWER_LR], mustNotOffer: [SIGMOID_ADVICE, RAISE_LR, CLIP_FOR_HIGH_LR, GRADKIT_API] },
    failsBelow(0.25),
  ),
  layersCase(
    'layers-relu-4xhe',
    '10 ReLU dense layers at 4× He variance (varianceScaling scale 8), SGD 0.05: the activations explode',
    denseNet('relu', (seed) => tfl.initializers.varianceScaling({ scale: 8, mode: 'fanIn', distribution: 'normal', seed })),
    { verdict: 'exploding', mustFind: ['explodingActivations'], mustNotFind: ['vanishing'], mustNotOffer: [SIGMOID_ADVICE, RAISE_LR, GRADKIT_API] },
    failsBelow(0.25),
    true,
  ),
  layersCase(
    'layers-sigmoid-deep',
    '10 sigmoid dense layers, Glorot uniform, SGD 0.05',
    denseNet('sigmoid', glorot),
    { verdict: 'vanishing', mustFind: ['vanishing'], mustNotOffer: [RAISE_LR, GRADKIT_API] },
    failsBelow(0.25),
  ),
  layersCase(
    'layers-sigmoid-deep-adam',
    "the same compiled with tf.train.adam(1e-3) (the lab's adam: Adam does not cure vanishing gradients)",
    denseNet('sigmoid', glorot, () => tf.train.adam(1e-3)),
    { verdict: 'vanishing', mustFind: ['vanishing'], mustNotOffer: [ADAM_AGAIN, RAISE_LR, GRADKIT_API] },
    failsBelow(0.25),
  ),
];
