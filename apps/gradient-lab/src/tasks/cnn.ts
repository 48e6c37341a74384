// `gradient-lab compare --task cnn`: a deep plain conv net on MNIST, the same with BatchNorm, the same
// with residual blocks (He et al. 2016). What each run should show, with its source, and a note with
// the numbers behind each result.

import { batches, softmaxCrossEntropy } from '@gradkit/nn';
import { sgd } from '@gradkit/optimizers';
import * as tf from '@tensorflow/tfjs-core';
import { loadMnist, type MnistData, type Split } from '../data.js';
import { num, pct } from '../table.js';
import { median, tapRatioOf } from '../verdict.js';
import { loopResult, trainLoop } from './cnn-loop.js';
import { buildCnn, CNN_VARIANTS, type CnnVariant } from './cnn-model.js';
import type { TaskDefinition, TaskExpectation, TaskRun, TaskRunResult, TaskSettings } from './task.js';

/** Channels of every convolution. */
export const CNN_CHANNELS = 8;
/** SGD's learning rate (momentum 0.9) for every run, as He et al. train their plain and residual nets alike. */
export const CNN_LR = 0.05;

/**
 * "Trains": test accuracy at least this. Measured with the defaults on wasm: batchnorm 85.7% and 76.0%,
 * residual 93.4% and 92.3% (seeds 1 and 2); plain 9.8% and 11.3% (chance; seed 3 too). 50% sits far
 * from both.
 */
export const CNN_TRAINS = 0.5;
/** "Does not train": test accuracy at most this (chance is 0.1). */
export const CNN_FAILS = 0.3;

const HE = 'He et al. 2016 ("Deep Residual Learning", Fig. 1 and §4.1: plain nets degrade with depth, residual ones do not)';

const TITLES: Readonly<Record<CnnVariant, string>> = {
  plain: 'plain: conv → ReLU',
  batchnorm: 'conv → BatchNorm → ReLU',
  residual: 'residual blocks (BatchNorm)',
};

function expectation(variant: CnnVariant): TaskExpectation {
  if (variant === 'plain')
    return {
      // Dead units or a vanishing ∂L/∂h: either way the net does not train; the metric decides.
      verdicts: ['vanishing', 'healthy'],
      maxMetric: CNN_FAILS,
      claim: `A deep plain ReLU conv net does not train as well as a shallower one, even with He initialization (${HE}); with SGD at the rate the normalized nets take, it does not train at all (Ioffe & Szegedy 2015: BatchNorm allows much higher rates).`,
    };
  return {
    verdicts: ['healthy'],
    minMetric: CNN_TRAINS,
    claim:
      variant === 'batchnorm'
        ? 'BatchNorm after each convolution keeps every layer’s input normalized, so the same deep net trains at the same rate (Ioffe & Szegedy 2015).'
        : `Residual blocks give the gradient an identity path to every layer, so the deep net trains (${HE}).`,
  };
}

/** A run of the `cnn` task. */
export interface CnnRun extends TaskRun {
  /** Which net. */
  readonly variant: CnnVariant;
}

/** The images of a split as `[count, 28, 28, 1]` and int32 labels (the caller disposes them). */
function imageTensors(split: Split): { x: tf.Tensor4D; y: tf.Tensor1D } {
  return { x: tf.tensor4d(split.images, [split.count, 28, 28, 1]), y: tf.tensor1d(split.labels, 'int32') };
}

/** Accuracy of `net` (inference mode: BatchNorm on running statistics) on `x`, `y`, in chunks. */
async function accuracy(net: ReturnType<typeof buildCnn>, x: tf.Tensor4D, y: tf.Tensor1D): Promise<number> {
  net.eval();
  const chunk = 500;
  const correct: tf.Tensor[] = [];
  try {
    for (let start = 0; start < x.shape[0]; start += chunk) {
      const size = Math.min(chunk, x.shape[0] - start);
      correct.push(
        tf.tidy(() =>
          tf.sum(tf.cast(tf.equal(tf.argMax(net.apply(tf.slice(x, [start, 0, 0, 0], [size, -1, -1, -1])), -1), tf.slice(y, start, size)), 'float32')),
        ),
      );
    }
    const total = tf.addN(correct);
    const n = (await total.data())[0] as number;
    total.dispose();
    return n / x.shape[0];
  } finally {
    tf.dispose(correct);
    net.train();
  }
}

/** ‖∂L/∂h‖ of the first and the last tap with a gradient at a report. */
function endNorms(r: { activations: readonly { gradNorm?: number }[] }): [number, number] | undefined {
  const g = r.activations.filter((a) => a.gradNorm !== undefined).map((a) => a.gradNorm as number);
  return g.length < 2 ? undefined : [g[0] as number, g[g.length - 1] as number];
}

/**
 * Trains one `cnn` run: SGD with momentum 0.9 at `CNN_LR` on minibatches of the 8,000 training digits,
 * the monitor at the first and evenly spaced steps, then the accuracy on the 2,000 test digits
 * (`data`: another split, e.g. a few digits per class for a quick check).
 */
export async function trainCnnRun(
  run: CnnRun,
  settings: TaskSettings,
  onProgress?: Parameters<TaskDefinition['train']>[2],
  data: Pick<MnistData, 'train' | 'test'> = loadMnist(),
): Promise<TaskRunResult> {
  const started = performance.now();
  const train = imageTensors(data.train);
  const test = imageTensors(data.test);
  const net = buildCnn(run.variant, { depth: settings.sizes.depth ?? 20, channels: CNN_CHANNELS, seed: settings.seed });
  const loader = batches({ x: train.x, y: train.y }, { batchSize: settings.batch, seed: settings.seed, dropLast: true });
  let epoch = loader[Symbol.iterator]();
  const nextBatch = () => {
    let b = epoch.next();
    if (b.done) {
      epoch = loader[Symbol.iterator]();
      b = epoch.next();
    }
    return b.value as { x: tf.Tensor; y: tf.Tensor };
  };
  try {
    const loop = await trainLoop(
      {
        model: net,
        transform: sgd({ learningRate: CNN_LR, momentum: 0.9 }),
        nextBatch,
        loss: (logits, y) => softmaxCrossEntropy(logits, y),
        sample: train.x,
      },
      settings,
      onProgress,
    );
    const metric = loop.diverged ? 0.1 : await accuracy(net, test.x, test.y);
    const first = endNorms(loop.reports[0] ?? { activations: [] });
    const last = endNorms(loop.reports[loop.reports.length - 1] ?? { activations: [] });
    const extra: Record<string, number> = { trainSteps: loop.stepsTaken };
    if (first) [extra.firstTapGradStart, extra.lastTapGradStart] = first;
    if (last) [extra.firstTapGradEnd, extra.lastTapGradEnd] = last;
    const ratio = median(loop.reports.map(tapRatioOf));
    if (ratio !== undefined) extra.tapRatio = ratio;
    return loopResult(run, loop, metric, extra, started);
  } finally {
    net.dispose();
    tf.dispose([train.x, train.y, test.x, test.y]);
  }
}

/** The note of a run: accuracy, ‖∂L/∂h‖ at the first and last tap at the start and the end, and why. */
function explain(result: TaskRunResult, agrees: boolean): string {
  const e = result.extra ?? {};
  const grads =
    e.firstTapGradStart !== undefined
      ? ` ‖∂L/∂h‖ first/last tap: ${num(e.firstTapGradStart)}/${num(e.lastTapGradStart)} at step 0, ${num(e.firstTapGradEnd)}/${num(e.lastTapGradEnd)} at the end.`
      : '';
  const dead = result.reports.at(-1)?.findings.some((f) => f.kind === 'deadUnits') ? ' Dead ReLU units at the end.' : '';
  const firstBad = result.reports.find((r) => r.verdict !== 'healthy');
  const since = firstBad ? ` First ${firstBad.verdict} report at step ${firstBad.step}.` : '';
  const verdict = `${result.run.id}: test accuracy ${pct(result.metric)}, verdict ${result.verdict}.${grads}${dead}${since}`;
  return agrees ? verdict : `${verdict} This differs from the literature's direction (${result.run.expect.claim}).`;
}

/** The `cnn` task of `gradient-lab compare --task`. */
export const cnnTask: TaskDefinition = {
  name: 'cnn',
  title: 'gradient-lab: a deep conv net on MNIST, plain, with BatchNorm, with residual blocks',
  description: `A 20-layer conv net (He et al.'s count: a stem convolution, 18 convolutions 3×3, the dense head; ${CNN_CHANNELS} channels, He initialization, global average pooling) on the MNIST digits of the mnist package, trained with SGD (momentum 0.9, rate ${CNN_LR}): plain, with BatchNorm after every convolution, and with residual blocks (${HE}).`,
  scaledDown: `${CNN_CHANNELS} channels instead of 16–64, at 7×7 (the images are average-pooled to 14×14 and the stem convolution has stride 2) instead of 32×32 CIFAR-10, 600 steps of 32 instead of 64k of 128: one run takes about 27 s of one core on wasm. The depth is the paper's (20 weight layers) and so is the comparison (same net, same optimizer and rate, only BatchNorm or the shortcuts added), which is what decides the result: at the rate the other two train with, the plain net's ReLUs die within its first 150 steps (‖∂L/∂h‖ at the stem falls to exactly 0, for seeds 1, 2 and 3) and it stays at chance, while with BatchNorm or the shortcuts the gradient keeps reaching every layer.`,
  measuredTime: 'measured: 1 min 7 s on wasm, 1 thread, 2-core machine',
  metric: { name: 'test acc', higherIsBetter: true, format: pct },
  defaults: { steps: 600, batch: 32, seed: 1, sizes: { depth: 20 } },
  sizeFlags: {
    depth: {
      min: 4,
      max: 56,
      help: 'weight layers of each net (stem conv, depth − 2 body convs, dense head; default 20)',
      why: 'each layer adds about 1.5 s per run on wasm, and the task must fit 5 minutes',
    },
  },
  columns: [{ title: '‖∂L/∂h‖ first/last', value: (r) => num(r.tapRatio) }],
  runs: (): CnnRun[] => CNN_VARIANTS.map((variant) => ({ id: variant, title: TITLES[variant], expect: expectation(variant), variant })),
  train: (run, settings, onProgress) => trainCnnRun(run as CnnRun, settings, onProgress),
  explain,
};
