// Trains one configuration on the MNIST split with gradient monitoring, then evaluates it.
import { checkOptions, describeValue, HyperParameterError, Optimizer, optionOr } from '@gradkit/core';
import { GradientMonitor, type GradientReport } from '@gradkit/diagnostics';
import { batches } from '@gradkit/nn';
import * as tf from '@tensorflow/tfjs-core';
import { checkTrainingConfig, type LabConfig } from './config.js';
import { LossReader } from './loss-reader.js';
import { buildModel, buildTransform, crossEntropy, tapKinds, trainStep } from './model.js';
import { type RunSummary, summarize } from './verdict.js';

/** The data of a run as tensors (the caller owns and disposes them). */
export interface LabTensors {
  /** Training images `[n, 784]` and one-hot labels `[n, 10]`. */
  readonly train: { readonly x: tf.Tensor2D; readonly y: tf.Tensor2D };
  /** Test images and one-hot labels. */
  readonly test: { readonly x: tf.Tensor2D; readonly y: tf.Tensor2D };
}

/** Progress of a run, reported every few steps. */
export interface Progress {
  /** Steps done. */
  readonly step: number;
  /** Steps in the run. */
  readonly steps: number;
  /** The latest minibatch loss read back (NaN before the first). */
  readonly loss: number;
}

/** Options of `trainConfiguration`. */
export interface TrainOptions {
  /** Reports of the gradient monitor over the run, evenly spaced (default 20), besides the first `EARLY_REPORTS` steps and the last. */
  readonly reports?: number;
  /** Called every few steps and at the end. */
  readonly onProgress?: (p: Progress) => void;
}

/** What one run produced. */
export interface TrainResult extends RunSummary {
  /** The configuration. */
  readonly config: LabConfig;
  /** The gradient monitor's reports, oldest first. */
  readonly reports: readonly GradientReport[];
  /** Minibatch loss at the steps it was read back. */
  readonly lossCurve: readonly { readonly step: number; readonly loss: number }[];
  /** Cross-entropy over the whole training split after training (inference mode). */
  readonly trainLoss: number;
  /** Accuracy over the training split after training. */
  readonly trainAccuracy: number;
  /** Accuracy over the test split after training. */
  readonly testAccuracy: number;
  /** Steps actually taken (fewer than configured when the loss became NaN or ±Infinity). */
  readonly stepsTaken: number;
  /** Wall-clock seconds of training and evaluation. */
  readonly seconds: number;
  /** The tfjs backend it ran on. */
  readonly backend: string;
}

/** Steps at the start that are always observed: a run that diverges does so within a few steps, and the
 * monitor needs consecutive reports to see a norm that multiplies from step to step. */
export const EARLY_REPORTS = 8;

/** Loss and accuracy of `model` over a split, in inference mode, in chunks; one read back. */
async function evaluate(model: ReturnType<typeof buildModel>, split: LabTensors['train']): Promise<{ loss: number; accuracy: number }> {
  const n = split.x.shape[0];
  const chunk = 1000;
  model.eval();
  let totals: tf.Tensor1D = tf.zeros([2]);
  try {
    for (let start = 0; start < n; start += chunk) {
      const size = Math.min(chunk, n - start);
      const next = tf.tidy(() => {
        const x = tf.slice(split.x, [start, 0], [size, -1]);
        const y = tf.slice(split.y, [start, 0], [size, -1]);
        const logits = model.apply(x, { training: false });
        const lossSum = tf.neg(tf.sum(tf.mul(y, tf.logSoftmax(logits))));
        const correct = tf.sum(tf.cast(tf.equal(tf.argMax(logits, -1), tf.argMax(y, -1)), 'float32'));
        return tf.add(totals, tf.stack([lossSum, correct])) as tf.Tensor1D;
      });
      totals.dispose();
      totals = next;
    }
    const [lossSum, correct] = await totals.data();
    return { loss: (lossSum as number) / n, accuracy: (correct as number) / n };
  } finally {
    totals.dispose();
    model.train();
  }
}

/** Whether `step` is one whose batch `config.corruptEvery` corrupts (steps corruptEvery − 1, 2·corruptEvery − 1 …). */
export function isCorrupted(config: Pick<LabConfig, 'corruptEvery'>, step: number): boolean {
  const every = config.corruptEvery ?? 0;
  return every > 0 && step % every === every - 1;
}

/** The batch's images with a NaN in the first pixel of the first sample (a corrupt input). */
function corrupt(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const mask = tf.buffer(x.shape, 'float32');
    mask.set(Number.NaN, 0, 0);
    return tf.add(x, mask.toTensor());
  });
}

/**
 * Trains `config` with minibatch steps on `data.train`, watching the gradients with a
 * `GradientMonitor` (taps included: dead units, saturation, ∂L/∂h per layer) at evenly spaced steps,
 * then evaluates on both splits. Losses and statistics are read back asynchronously, a few times per
 * run; a loss that becomes NaN or ±Infinity ends the run early (the parameters are lost then), except
 * on the batches `corruptEvery` corrupts on purpose (their loss is NaN by construction; the monitor
 * does not observe them, and what the parameters do afterwards decides).
 *
 * @throws UnknownOptionError / HyperParameterError for a configuration or options it does not take
 *   (`reports` not a whole number ≥ 1, `onProgress` not a function), before anything is built.
 */
export async function trainConfiguration(config: LabConfig, data: LabTensors, options: TrainOptions = {}): Promise<TrainResult> {
  checkTrainingConfig('trainConfiguration', config);
  checkOptions('trainConfiguration', options, ['reports', 'onProgress'], { example: '{ reports: 15, onProgress: (p) => … }' });
  const reports = optionOr('reports', options.reports, 20);
  if (typeof reports !== 'number' || !Number.isSafeInteger(reports) || reports < 1)
    throw new HyperParameterError('reports', `trainConfiguration: reports must be a whole number ≥ 1, got ${describeValue(reports)}`);
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function')
    throw new HyperParameterError('onProgress', `trainConfiguration: onProgress must be a function (p) => void, got ${describeValue(options.onProgress)}`);
  const started = performance.now();
  const model = buildModel(config);
  const params = model.params;
  const optimizer = new Optimizer(params, buildTransform(config));
  const monitor = new GradientMonitor({ historyLimit: 10_000, activationKinds: tapKinds(model, data.train.x) });
  const every = Math.max(1, Math.floor(config.steps / reports));
  const readEvery = Math.max(1, Math.min(every, Math.floor(config.steps / 50)));
  const loader = batches({ x: data.train.x, y: data.train.y }, { batchSize: config.batch, seed: config.seed, dropLast: true });
  const losses = new LossReader();
  let step = 0;
  let diverged = false;

  const readLosses = async () => {
    const points = await losses.read();
    if (points.length === 0) return;
    for (const p of points) if (!isCorrupted(config, p.step) && !Number.isFinite(p.loss)) diverged = true;
    options.onProgress?.({ step, steps: config.steps, loss: points[points.length - 1]?.loss as number });
  };

  try {
    options.onProgress?.({ step: 0, steps: config.steps, loss: Number.NaN });
    outer: while (step < config.steps) {
      for (const batch of loader) {
        const corrupted = isCorrupted(config, step);
        const x = corrupted ? corrupt(batch.x as tf.Tensor) : (batch.x as tf.Tensor);
        const loss = () => crossEntropy(batch.y as tf.Tensor, model.apply(x, { training: true }));
        const observe = !corrupted && (step < EARLY_REPORTS || step % every === 0 || step === config.steps - 1);
        losses.push(step, trainStep(loss, params, optimizer, observe ? monitor : undefined, step));
        tf.dispose(batch);
        if (corrupted) x.dispose();
        step++;
        if (step % readEvery === 0 || step === config.steps) await readLosses();
        if (diverged || step >= config.steps) break outer;
      }
    }
    await readLosses();
    await monitor.flush();
    // Evaluated where the optimizer evaluates (schedule-free's x; the weights for others).
    optimizer.eval();
    const train = await evaluate(model, data.train);
    const test = await evaluate(model, data.test);
    const reports = monitor.history;
    return {
      config,
      reports,
      lossCurve: losses.curve,
      trainLoss: train.loss,
      trainAccuracy: train.accuracy,
      testAccuracy: test.accuracy,
      stepsTaken: step,
      seconds: (performance.now() - started) / 1000,
      backend: tf.getBackend(),
      ...summarize(reports, { diverged }),
    };
  } finally {
    losses.dispose();
    optimizer.dispose();
    model.dispose();
  }
}
