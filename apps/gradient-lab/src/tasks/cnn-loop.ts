// The training loop of the `cnn` and `transformer` tasks: minibatch steps with the lab's `trainStep`, the
// gradient monitor (taps, the loss and the learning rate) at the first and at evenly spaced steps, and
// the loss curve read back a few dozen times per run.
import type { GradientTransformation, Module, Optimizer as OptimizerType } from '@gradkit/core';
import { Optimizer } from '@gradkit/core';
import { GradientMonitor, type GradientReport } from '@gradkit/diagnostics';
import * as tf from '@tensorflow/tfjs-core';
import { LossReader } from '../loss-reader.js';
import { tapKinds, trainStep } from '../model.js';
import { summarize } from '../verdict.js';
import type { TaskProgress, TaskRun, TaskRunResult, TaskSettings } from './task.js';

/** What `trainLoop` trains. */
export interface LoopSpec {
  /** The network (the caller disposes it). */
  readonly model: Module;
  /** The optimizer's transformation. */
  readonly transform: GradientTransformation;
  /** The next training batch (the loop disposes it). */
  readonly nextBatch: () => { readonly x: tf.Tensor; readonly y: tf.Tensor };
  /** The loss of the logits against the batch's labels. */
  readonly loss: (logits: tf.Tensor, y: tf.Tensor) => tf.Scalar;
  /** Some inputs, to find how to read each tap (`tapKinds`). */
  readonly sample: tf.Tensor;
}

/** What `trainLoop` produced. */
export interface LoopResult {
  /** The monitor's reports, oldest first. */
  readonly reports: readonly GradientReport[];
  /** Minibatch loss at the steps it was read back. */
  readonly lossCurve: readonly { readonly step: number; readonly loss: number }[];
  /** Steps taken (fewer than `settings.steps` when the loss became NaN or ±Infinity). */
  readonly stepsTaken: number;
  /** Whether the loss became NaN or ±Infinity. */
  readonly diverged: boolean;
  /** Mean of the last few read-back losses. */
  readonly finalLoss: number;
}

/** Monitor reports per run, evenly spaced, besides the first `EARLY_STEPS` steps and the last. */
export const LOOP_REPORTS = 20;
/** Steps at the start that are always observed (a run that fails at a high rate does so early). */
export const EARLY_STEPS = 8;
/** Points of the loss curve per run. */
const LOSS_POINTS = 60;

/**
 * Trains `spec.model` for `settings.steps` steps with `trainStep` (the lab's step: gradients with
 * every layer's tap, the update, the monitor), observing the first `EARLY_STEPS` steps, every
 * ⌊steps/LOOP_REPORTS⌋-th and the last, each with its minibatch loss and learning rate (so the
 * monitor's spike rule sees the loss). A loss that becomes NaN or ±Infinity ends the run.
 */
export async function trainLoop(spec: LoopSpec, settings: TaskSettings, onProgress?: (p: TaskProgress) => void): Promise<LoopResult> {
  const { steps } = settings;
  const monitor = new GradientMonitor({ historyLimit: 10_000, activationKinds: tapKinds(spec.model, spec.sample as tf.Tensor2D) });
  const optimizer: OptimizerType = new Optimizer(spec.model.params, spec.transform);
  const every = Math.max(1, Math.floor(steps / LOOP_REPORTS));
  const readEvery = Math.max(1, Math.floor(steps / LOSS_POINTS));
  const losses = new LossReader();
  let diverged = false;
  let step = 0;
  const readLosses = async () => {
    const points = await losses.read();
    if (points.length === 0) return;
    if (points.some((p) => !Number.isFinite(p.loss))) diverged = true;
    onProgress?.({ step, steps, loss: points[points.length - 1]?.loss as number });
  };
  try {
    onProgress?.({ step: 0, steps, loss: Number.NaN });
    while (step < steps && !diverged) {
      const { x, y } = spec.nextBatch();
      const observe = step < EARLY_STEPS || step % every === 0 || step === steps - 1;
      try {
        // trainStep gives the monitor this step's loss (read back without blocking) and learning rate.
        losses.push(
          step,
          trainStep(() => spec.loss(spec.model.apply(x, { training: true }), y), spec.model.params, optimizer, observe ? monitor : undefined, step),
        );
      } finally {
        tf.dispose([x, y]);
      }
      step++;
      if (observe || step % readEvery === 0 || step === steps) await readLosses();
    }
    await readLosses();
    await monitor.flush();
    // The net is measured where the optimizer evaluates (schedule-free's x; the weights for others).
    optimizer.eval();
    const tail = losses.curve.slice(-5).map((p) => p.loss);
    return {
      reports: monitor.history,
      lossCurve: losses.curve,
      stepsTaken: step,
      diverged,
      finalLoss: tail.reduce((a, b) => a + b, 0) / Math.max(1, tail.length),
    };
  } finally {
    losses.dispose();
    optimizer.dispose();
  }
}

/** A run's result from its loop, its metric and extra numbers, timed from `started` (a `performance.now()`). */
export function loopResult(run: TaskRun, loop: LoopResult, metric: number, extra: Readonly<Record<string, number>>, started: number): TaskRunResult {
  return {
    run,
    ...summarize(loop.reports, { diverged: loop.diverged }),
    reports: loop.reports,
    lossCurve: loop.lossCurve,
    metric,
    finalLoss: loop.finalLoss,
    stepsTaken: loop.stepsTaken,
    seconds: (performance.now() - started) / 1000,
    extra,
  };
}
