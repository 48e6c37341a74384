// Benchmark 3: one training step end to end — the gradient lab's MLP built with gradkit (@gradkit/nn,
// valueAndGrad, Optimizer with adam) against the same net built with tfjs-layers and trained with
// `model.fit` / `model.trainOnBatch` and `tf.train.adam`: samples per second on the same minibatches.
import { flatten, Optimizer, type StepPath, valueAndGrad } from '@gradkit/core';
import { adam } from '@gradkit/optimizers';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { buildMlp, type MlpConfig } from './overhead.js';
import { interleave, type RoundOptions, type Summary, settle, summarize } from './timing.js';

/** Options of `benchEndToEnd`. */
export interface EndToEndOptions {
  /** Hidden layers, each dense → ReLU (default 10, the gradient lab's). */
  readonly depth?: number;
  /** Units per hidden layer (default 64, the gradient lab's). */
  readonly width?: number;
  /** Samples per minibatch (default 128, the gradient lab's). */
  readonly batch?: number;
  /** Input features (default 784, an MNIST image). */
  readonly inputs?: number;
  /** Classes (default 10). */
  readonly classes?: number;
  /** Minibatches (training steps) per sample: one `model.fit` epoch over this many (default 8). */
  readonly batchesPerSample?: number;
  /** Untimed samples of every variant first (default 2; the first compiles WebGPU's shaders). */
  readonly warmup?: number;
  /** Rounds of interleaved samples, one of every variant per round. */
  readonly rounds?: RoundOptions;
}

/** The variants, in the order of the tables. */
export const E2E_VARIANTS = ['gradkit step', 'model.fit', 'gradkit minimize', 'trainOnBatch'] as const;
/** One of `E2E_VARIANTS`. */
export type EndToEndVariant = (typeof E2E_VARIANTS)[number];

/** One variant: ms per training step, and samples (images) per second at its median. */
export type EndToEndTimed = Summary & { readonly samplesPerSecond: number };

/** What `benchEndToEnd` measured. */
export interface EndToEndResult {
  /** The network and training setup (the parameter count is the same on both sides; checked). */
  readonly config: MlpConfig & {
    readonly batchesPerSample: number;
    readonly learningRate: number;
  };
  /** ms per training step by variant. */
  readonly variants: Readonly<Record<EndToEndVariant, EndToEndTimed>>;
  /** How gradkit's optimizer ran its last step (`'fused:…'` or `'reference'`). */
  readonly path: StepPath;
  /** `model.fit` median ÷ gradkit step median (> 1: gradkit is faster): the target's ratio. */
  readonly speedupOverFit: number;
  /** `trainOnBatch` median ÷ gradkit `minimize` median (both read the loss back every step). */
  readonly speedupOverTrainOnBatch: number;
}

const DEFAULT_ROUNDS: RoundOptions = { maxRounds: 15, minRounds: 6, budgetMs: 20_000 };
const LEARNING_RATE = 1e-3;

/** The gradient lab's MLP in tfjs-layers: `depth` × dense(relu, He-normal), then a dense head, adam. */
function layersMlp(o: { depth: number; width: number; inputs: number; classes: number }, optimizer: tf.Optimizer): tfl.Sequential {
  const model = tfl.sequential();
  for (let i = 0; i < o.depth; i++)
    model.add(
      tfl.layers.dense({
        units: o.width,
        activation: 'relu',
        kernelInitializer: tfl.initializers.heNormal({ seed: 1000 + i }),
        biasInitializer: 'zeros',
        ...(i === 0 ? { inputShape: [o.inputs] } : {}),
      }),
    );
  model.add(tfl.layers.dense({ units: o.classes, kernelInitializer: tfl.initializers.heNormal({ seed: 1999 }), biasInitializer: 'zeros' }));
  model.compile({ optimizer, loss: (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.losses.softmaxCrossEntropy(yTrue, yPred) });
  return model;
}

/**
 * Times training steps of the gradient lab's MLP (784 → depth × [dense width → ReLU], He-normal →
 * dense 10, softmax cross-entropy on the logits, adam lr 1e-3) built both ways, interleaved round by
 * round, each sample `batchesPerSample` steps over the same minibatches (sliced from one fixed
 * dataset inside the timed region on both sides):
 * - **gradkit step**: what a gradkit user writes, `valueAndGrad(loss)(net.params)` then
 *   `opt.step(grads)`, with no readback per step (one at the end of the sample waits for the queue);
 * - **model.fit**: one `model.fit(x, y, { batchSize, epochs: 1, shuffle: false })` over those minibatches;
 * - **gradkit minimize**: `await opt.minimize(loss)` per step (the loss read back every step);
 * - **trainOnBatch**: `await model.trainOnBatch(xb, yb)` per step (also reads the loss back).
 */
export async function benchEndToEnd(options: EndToEndOptions = {}): Promise<EndToEndResult> {
  const depth = options.depth ?? 10;
  const width = options.width ?? 64;
  const batch = options.batch ?? 128;
  const inputs = options.inputs ?? 784;
  const classes = options.classes ?? 10;
  const k = options.batchesPerSample ?? 8;
  const net = { depth, width, inputs, classes };

  const x = tf.randomNormal([k * batch, inputs], 0, 1, 'float32', 7) as tf.Tensor2D;
  const y = tf.tidy(() => tf.cast(tf.oneHot(tf.randomUniform([k * batch], 0, classes, 'int32', 8) as tf.Tensor1D, classes), 'float32')) as tf.Tensor2D;
  const minibatch = (i: number): [tf.Tensor2D, tf.Tensor2D] => [tf.slice(x, [i * batch, 0], [batch, inputs]), tf.slice(y, [i * batch, 0], [batch, classes])];

  // gradkit: one net and optimizer per variant (same seeds), as a user writes them.
  const gNet = buildMlp(net);
  const gOpt = new Optimizer(gNet.params, adam({ learningRate: LEARNING_RATE }));
  const mNet = buildMlp(net);
  const mOpt = new Optimizer(mNet.params, adam({ learningRate: LEARNING_RATE }));
  // tfjs-layers: the same, with tf.train.adam.
  const fitOpt = tf.train.adam(LEARNING_RATE);
  const fitModel = layersMlp(net, fitOpt);
  const tobOpt = tf.train.adam(LEARNING_RATE);
  const tobModel = layersMlp(net, tobOpt);

  const lossOf = (m: typeof gNet, xb: tf.Tensor, yb: tf.Tensor) => () => tf.losses.softmaxCrossEntropy(yb, m.apply(xb, { training: true })) as tf.Scalar;
  const perStep = async (body: () => Promise<void>): Promise<number> => {
    const t0 = performance.now();
    await body();
    return (performance.now() - t0) / k;
  };
  const firstWeight = (m: tfl.Sequential) => m.trainableWeights[0]?.read() as tf.Tensor;
  const gLeaves = flatten(gNet.params).map((e) => e.value as tf.Tensor);

  const variants: { name: EndToEndVariant; run: () => Promise<number> }[] = [
    {
      name: 'gradkit step',
      run: () =>
        perStep(async () => {
          for (let i = 0; i < k; i++) {
            const [xb, yb] = minibatch(i);
            const { value, grads } = valueAndGrad(lossOf(gNet, xb, yb))(gNet.params);
            gOpt.step(grads);
            tf.dispose([value, xb, yb, grads as tf.TensorContainer]);
          }
          await settle(gLeaves[0] as tf.Tensor);
        }),
    },
    {
      name: 'model.fit',
      run: () =>
        perStep(async () => {
          await fitModel.fit(x, y, { batchSize: batch, epochs: 1, shuffle: false, verbose: 0 });
          await settle(firstWeight(fitModel));
        }),
    },
    {
      name: 'gradkit minimize',
      run: () =>
        perStep(async () => {
          for (let i = 0; i < k; i++) {
            const [xb, yb] = minibatch(i);
            await mOpt.minimize(lossOf(mNet, xb, yb));
            tf.dispose([xb, yb]);
          }
        }),
    },
    {
      name: 'trainOnBatch',
      run: () =>
        perStep(async () => {
          for (let i = 0; i < k; i++) {
            const [xb, yb] = minibatch(i);
            await tobModel.trainOnBatch(xb, yb);
            tf.dispose([xb, yb]);
          }
        }),
    },
  ];

  try {
    const params = gLeaves.reduce((n, t) => n + t.size, 0);
    const layersParams = fitModel.countParams();
    if (params !== layersParams) throw new Error(`end to end: gradkit's net has ${params} parameters, the tfjs-layers one ${layersParams}`);
    for (let i = 0; i < (options.warmup ?? 2); i++) for (const v of variants) await v.run();
    const samples = await interleave(variants, options.rounds ?? DEFAULT_ROUNDS);
    const timed = (name: EndToEndVariant): EndToEndTimed => {
      const s = summarize(samples[name] as number[]);
      return { ...s, samplesPerSecond: batch / (s.median / 1000) };
    };
    const result = Object.fromEntries(E2E_VARIANTS.map((n) => [n, timed(n)])) as Record<EndToEndVariant, EndToEndTimed>;
    return {
      config: { ...net, batch, batchesPerSample: k, learningRate: LEARNING_RATE, params, tensors: gLeaves.length },
      variants: result,
      path: gOpt.lastStepPath,
      speedupOverFit: result['model.fit'].median / result['gradkit step'].median,
      speedupOverTrainOnBatch: result.trainOnBatch.median / result['gradkit minimize'].median,
    };
  } finally {
    gOpt.dispose();
    mOpt.dispose();
    gNet.dispose();
    mNet.dispose();
    fitModel.dispose();
    tobModel.dispose();
    fitOpt.dispose();
    tobOpt.dispose();
    tf.dispose([x, y]);
  }
}
