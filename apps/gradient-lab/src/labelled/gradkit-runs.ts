// Training loops of the labelled gradkit runs, as the lab trains (model.ts's trainStep: withTaps +
// valueAndGrad, Optimizer.step, GradientMonitor.observe with the taps, the parameters, the updates and
// the chain). One training run feeds one monitor per `every`: monitor k observes the steps a user's
// `if (step % every === 0) monitor.observe(…)` would, so the verdicts at every = 1 and 5 are those of
// the same weights.
import { type Module, Optimizer, type ParamTree } from '@gradkit/core';
import { GradientMonitor, type GradientMonitorOptions, type MonitorObservation } from '@gradkit/diagnostics';
import { batches } from '@gradkit/nn';
import * as tf from '@tensorflow/tfjs-core';
import type { LabConfig } from '../config.js';
import { buildModel, buildTransform, crossEntropy, tapKinds, trainStep } from '../model.js';
import { accuracy } from './digits.js';
import type { RunResult } from './label.js';

/** What a training loop of a labelled run hands back, before its outcome is judged. */
export interface Trained {
  /** Per `every`, the monitor's reports. */
  readonly reports: ReadonlyMap<number, GradientMonitor['history']>;
  /** Whether a training loss became NaN or ±Infinity (training stopped there). */
  readonly diverged: boolean;
  /** The mean of the last losses read back (NaN when diverged). */
  readonly finalLoss: number;
}

/** One monitor per `every`, behind one `observe` that hands each observation to the monitors whose `every` divides its step. */
export function monitorsFor(everys: readonly number[], options: GradientMonitorOptions) {
  const monitors = new Map(everys.map((every) => [every, new GradientMonitor({ historyLimit: 10_000, ...options })]));
  const fanOut = {
    observe: (input: MonitorObservation) =>
      Promise.all([...monitors].filter(([every]) => (input.step as number) % every === 0).map(([, m]) => m.observe(input))),
  };
  const flush = () => Promise.all([...monitors.values()].map((m) => m.flush()));
  return { monitors, fanOut: fanOut as unknown as GradientMonitor, flush };
}

/** The losses pushed so far, read back in one go: whether any is not finite, and the mean of the last few. */
async function readLosses(losses: tf.Scalar[]): Promise<{ diverged: boolean; last: number }> {
  if (losses.length === 0) return { diverged: false, last: Number.NaN };
  const stacked = tf.stack(losses);
  const values = await stacked.data();
  stacked.dispose();
  const tail = Array.from(values.slice(-5));
  return { diverged: !Array.from(values).every(Number.isFinite), last: tail.reduce((a, b) => a + b, 0) / tail.length };
}

/**
 * Trains `model` with `optimizer` for `steps` minibatch steps of `loss(batch)` over `data`
 * (batches of `batch`, order from `seed`), observing every step a monitor of `everys` wants; stops
 * early when the loss becomes non-finite. Disposes nothing it was given.
 */
export async function trainLoop(
  model: Module,
  optimizer: Optimizer<ParamTree>,
  loss: (b: { x: tf.Tensor; y: tf.Tensor }) => tf.Scalar,
  data: { x: tf.Tensor; y: tf.Tensor },
  { steps, batch, seed, everys, monitor }: { steps: number; batch: number; seed: number; everys: readonly number[]; monitor: GradientMonitorOptions },
): Promise<Trained> {
  const { monitors, fanOut, flush } = monitorsFor(everys, monitor);
  const loader = batches({ x: data.x, y: data.y }, { batchSize: batch, seed, dropLast: true });
  let pending: tf.Scalar[] = [];
  let diverged = false;
  let finalLoss = Number.NaN;
  let step = 0;
  try {
    outer: while (step < steps)
      for (const b of loader) {
        pending.push(trainStep(() => loss(b as { x: tf.Tensor; y: tf.Tensor }), model.params, optimizer, fanOut, step));
        tf.dispose(b);
        step++;
        if (step % 10 === 0 || step === steps) {
          const read = await readLosses(pending);
          tf.dispose(pending);
          pending = [];
          diverged = read.diverged;
          finalLoss = read.last;
        }
        if (diverged || step >= steps) break outer;
      }
    await flush();
  } finally {
    tf.dispose(pending);
  }
  return { reports: new Map([...monitors].map(([every, m]) => [every, m.history])), diverged, finalLoss };
}

/** The results per `every` of a trained run, with the outcome `judge` makes of it. */
export function resultsOf(trained: Trained, outcome: RunResult['outcome']): Map<number, RunResult> {
  return new Map([...trained.reports].map(([every, reports]) => [every, { reports, diverged: trained.diverged, outcome }]));
}

/**
 * Trains a lab configuration (an MLP of `buildModel`, the chain of `buildTransform`) on the digits,
 * then measures its test accuracy. Returns the trained run and the accuracy (0 when diverged).
 */
export async function trainMlp(
  config: LabConfig,
  data: { train: { x: tf.Tensor2D; y: tf.Tensor2D }; test: { x: tf.Tensor2D; y: tf.Tensor2D } },
  everys: readonly number[],
): Promise<{ trained: Trained; accuracy: number }> {
  const model = buildModel(config);
  const optimizer = new Optimizer(model.params, buildTransform(config));
  try {
    const trained = await trainLoop(model, optimizer, (b) => crossEntropy(b.y, model.apply(b.x, { training: true })), data.train, {
      steps: config.steps,
      batch: config.batch,
      seed: config.seed,
      everys,
      monitor: { activationKinds: tapKinds(model, data.train.x) },
    });
    model.eval();
    optimizer.eval(); // at the point the optimizer evaluates (schedule-free's x)
    const logits = model.apply(data.test.x, { training: false });
    const acc = trained.diverged ? 0 : await accuracy(logits, data.test.y);
    logits.dispose();
    return { trained, accuracy: acc };
  } finally {
    optimizer.dispose();
    model.dispose();
  }
}
