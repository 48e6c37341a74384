// Trains one run of the adding task: fresh batches every step, the gradient monitor with the step taps
// (∂L/∂hₜ of every t) at evenly spaced steps, then the held-out metric.
import { Optimizer } from '@gradkit/core';
import { GradientMonitor, type GradientReport } from '@gradkit/diagnostics';
import { meanSquaredError } from '@gradkit/nn';
import * as tf from '@tensorflow/tfjs-core';
import { LossReader } from '../loss-reader.js';
import { trainStep } from '../model.js';
import { median, summarize } from '../verdict.js';
import { addingBatch, addingStreams, addingTensors, SOLVED_ERROR } from './adding-data.js';
import { type AddingHyper, type AddingModel, addingNetwork, addingTransform } from './adding-model.js';
import type { TaskProgress, TaskRun, TaskRunResult, TaskSettings } from './task.js';

/** A run of the adding task: the model, the sequence length T and how it trains. */
export interface AddingRun extends TaskRun {
  /** The recurrent model. */
  readonly model: AddingModel;
  /** Time steps per sequence (T). */
  readonly length: number;
  /** Hidden units, learning rate, clipping. */
  readonly hyper: AddingHyper;
}

/** Held-out sequences the metric is measured on (a fixed set per seed, never trained on). */
export const HELD_OUT = 500;

/** Monitor reports per run, evenly spaced, besides the first `EARLY` steps and the last. */
const REPORTS = 10;
const EARLY = 3;
/**
 * The verdict of a run is that of the trained network: the most frequent among its last
 * `TRAINED_REPORTS` reports (ties to the more severe). A gated net's reports say "vanishing through
 * time" on the mean-predictor plateau, before its gates learn to hold the first marked value, and
 * "healthy" once they do; the whole run's counts stay in `verdictCounts`.
 */
export const TRAINED_REPORTS = 3;

/** Points of the loss curve per run (each a read-back of the minibatch losses since the last). */
const LOSS_POINTS = 50;
/** Sequences per forward pass of the held-out evaluation. */
const EVAL_CHUNK = 100;

/**
 * A run stops once the mean training MSE of its last `SOLVED_WINDOW` steps is below this: the task is
 * solved (errors of standard deviation √0.0015 ≈ 0.039 put about 70% of sequences within 0.04), and
 * more steps would only spend the time budget. Runs that never get there take every step.
 */
export const SOLVED_MSE = 0.0015;
/** Steps averaged for `SOLVED_MSE`. */
export const SOLVED_WINDOW = 50;

/**
 * ‖∂L/∂h_first‖/‖∂L/∂h_last‖ of the recurrent layer at a report: from `report.temporal` (the
 * diagnostics' temporal profile) when there is one, else from the step taps `<layer>.t<k>` among the
 * activations. Undefined without two step taps with gradients or when the last is 0.
 */
export function timeRatioOf(report: GradientReport): number | undefined {
  const profile = report.temporal?.[0];
  if (profile !== undefined) return profile.firstLastRatio;
  const steps = report.activations
    .map((a) => ({ t: /\.t(\d+)$/.exec(a.name)?.[1], g: a.gradNorm }))
    .filter((s): s is { t: string; g: number } => s.t !== undefined && s.g !== undefined)
    .sort((a, b) => Number(a.t) - Number(b.t));
  const first = steps[0]?.g;
  const last = steps.at(-1)?.g;
  return steps.length < 2 || first === undefined || last === undefined || !(last > 0) ? undefined : first / last;
}

/** The fraction of held-out sequences with |prediction − target| < `SOLVED_ERROR`, and their mean squared error. */
async function heldOutMetric(net: ReturnType<typeof addingNetwork>, seed: number, length: number): Promise<{ solved: number; mse: number }> {
  const rng = addingStreams(seed).heldOut;
  const errors: tf.Tensor[] = [];
  try {
    for (let start = 0; start < HELD_OUT; start += EVAL_CHUNK) {
      const { x, y } = addingTensors(addingBatch(rng, Math.min(EVAL_CHUNK, HELD_OUT - start), length));
      errors.push(tf.tidy(() => tf.sub(net.apply(x) as tf.Tensor, y)));
      tf.dispose([x, y]);
    }
    const all = tf.concat(errors);
    const e = await all.data();
    all.dispose();
    let solved = 0;
    let sq = 0;
    for (const v of e) {
      if (Math.abs(v) < SOLVED_ERROR) solved++;
      sq += v * v;
    }
    return { solved: solved / e.length, mse: sq / e.length };
  } finally {
    tf.dispose(errors);
  }
}

/**
 * Trains `run` for `settings.steps` steps of `settings.batch` fresh sequences (seeded by
 * `settings.seed`, the same data for every model), minimizing the mean squared error with the run's
 * optimizer. The `GradientMonitor` observes the gradients with the taps (∂L/∂hₜ at every step t) at
 * the first steps, at evenly spaced ones and at the last. A loss that becomes NaN or ±Infinity ends the
 * run, and so does a solved task (`SOLVED_MSE`, after one more observed step). The metric is the
 * fraction of `HELD_OUT` held-out sequences predicted within `SOLVED_ERROR`.
 */
export async function trainAddingRun(run: AddingRun, settings: TaskSettings, onProgress?: (p: TaskProgress) => void): Promise<TaskRunResult> {
  const started = performance.now();
  const { steps, batch, seed } = settings;
  const net = addingNetwork(run.model, run.hyper.hidden, seed);
  const optimizer = new Optimizer(net.params, addingTransform(run.hyper));
  const monitor = new GradientMonitor({ historyLimit: 10_000 });
  const rng = addingStreams(seed).train;
  const every = Math.max(1, Math.floor(steps / REPORTS));
  const readEvery = Math.max(1, Math.floor(steps / LOSS_POINTS));
  const losses = new LossReader();
  const lossCurve = losses.curve;
  let diverged = false;
  let solved = false;
  let step = 0;
  const readLosses = async () => {
    const points = await losses.read();
    if (points.length === 0) return;
    if (points.some((p) => !Number.isFinite(p.loss))) diverged = true;
    const recent = lossCurve.slice(-SOLVED_WINDOW);
    if (recent.length === SOLVED_WINDOW && recent.reduce((sum, p) => sum + p.loss, 0) / SOLVED_WINDOW < SOLVED_MSE) solved = true;
    onProgress?.({ step, steps, loss: points[points.length - 1]?.loss as number });
  };
  try {
    onProgress?.({ step: 0, steps, loss: Number.NaN });
    let last = false;
    while (step < steps && !diverged && !last) {
      // Once solved, one more step, observed, ends the run.
      last = solved || step === steps - 1;
      const { x, y } = addingTensors(addingBatch(rng, batch, run.length));
      const observe = step < EARLY || step % every === 0 || last;
      try {
        const loss = () => meanSquaredError(net.apply(x) as tf.Tensor, y);
        losses.push(step, trainStep(loss, net.params, optimizer, observe ? monitor : undefined, step));
      } finally {
        tf.dispose([x, y]);
      }
      step++;
      if (step % readEvery === 0 || last) await readLosses();
    }
    await readLosses();
    await monitor.flush();
    optimizer.eval(); // measured where the optimizer evaluates (the weights, for Adam)
    const heldOut = await heldOutMetric(net, seed, run.length);
    const reports = monitor.history;
    const whole = summarize(reports, { diverged });
    const trained = reports.slice(-TRAINED_REPORTS);
    const tail = lossCurve.slice(-5).map((p) => p.loss);
    return {
      run,
      reports,
      lossCurve,
      metric: heldOut.solved,
      finalLoss: tail.reduce((a, b) => a + b, 0) / Math.max(1, tail.length),
      stepsTaken: step,
      seconds: (performance.now() - started) / 1000,
      extra: {
        heldOutMse: heldOut.mse,
        ...optional('timeRatio', median(trained.map(timeRatioOf))),
        ...optional('timeRatioAtStart', reports[0] === undefined ? undefined : timeRatioOf(reports[0])),
        ...(solved ? { solvedAt: step } : {}),
      },
      ...whole,
      verdict: diverged ? whole.verdict : summarize(trained, { diverged }).verdict,
    };
  } finally {
    losses.dispose();
    optimizer.dispose();
    net.dispose();
  }
}

const optional = (key: string, v: number | undefined): Record<string, number> => (v === undefined ? {} : { [key]: v });
