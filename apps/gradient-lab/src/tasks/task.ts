// The shape of a `gradient-lab compare --task <name>` task beyond the MNIST MLP matrix: its runs (each
// with what the literature expects), how one run trains, and what the table shows. The CLI, the
// table, the notes and report.html/report.json are shared (src/tasks/compare-task.ts).
import type { GradientReport, Verdict } from '@gradkit/diagnostics';
import type { RunSummary } from '../verdict.js';

/** The tasks of `compare --task`. `mlp` is the MNIST MLP matrix of `experiments.ts`. */
export const TASKS = ['mlp', 'adding', 'cnn', 'transformer'] as const;

/** A task's name. */
export type TaskName = (typeof TASKS)[number];

/** Settings shared by every run of a task (its defaults, changed by the CLI flags that apply to it). */
export interface TaskSettings {
  /** Optimizer steps per run. */
  readonly steps: number;
  /** Minibatch size. */
  readonly batch: number;
  /** Seed of every run. */
  readonly seed: number;
  /** Task-specific sizes (sequence lengths for `adding`, depth for `cnn`, …), by flag name without `--`. */
  readonly sizes: Readonly<Record<string, number>>;
  /** Task-specific lists of sizes (`--lengths 50,100,200` of `adding`), by flag name without `--`: the flags whose `sizeFlags` entry has `list: true`. */
  readonly lists?: Readonly<Record<string, readonly number[]>>;
}

/** A task-specific size flag: its range (every value of a list must be in it) and its help line. */
export interface SizeFlag {
  /** Smallest value. */
  readonly min: number;
  /** Largest value (what fits in memory or the time a run may take), said in the error message. */
  readonly max: number;
  /** The help line of `gradient-lab help compare`. */
  readonly help: string;
  /** Whether the flag takes a comma-separated list (into `TaskSettings.lists`) instead of one number (into `sizes`). */
  readonly list?: boolean;
  /** Why `max` is the limit, for the error message (e.g. 'the unrolled graph of every step is kept for backpropagation'). */
  readonly why?: string;
}

/** An extra column of a task's table (and a field of report.json's rows). */
export interface TaskColumn {
  /** Header. */
  readonly title: string;
  /** The cell of a result. */
  readonly value: (result: TaskRunResult) => string;
}

/** What the literature expects of a run, checked against its result. */
export interface TaskExpectation {
  /** The verdicts that agree with the literature. */
  readonly verdicts: readonly Verdict[];
  /** The task metric must be at most this (a loss or an error rate, lower is better) … */
  readonly maxMetric?: number;
  /** … or at least this (an accuracy). */
  readonly minMetric?: number;
  /** The claim in words, with its source. */
  readonly claim: string;
}

/** One run of a task's comparison. */
export interface TaskRun {
  /** Short id, unique in the task. */
  readonly id: string;
  /** Name in the table and the report. */
  readonly title: string;
  /** What the literature expects. */
  readonly expect: TaskExpectation;
}

/** What one run produced. */
export interface TaskRunResult extends RunSummary {
  /** The run. */
  readonly run: TaskRun;
  /** The gradient monitor's reports, oldest first. */
  readonly reports: readonly GradientReport[];
  /** Minibatch loss at the steps it was read back. */
  readonly lossCurve: readonly { readonly step: number; readonly loss: number }[];
  /** The task's metric after training on held-out data (see `TaskDefinition.metric`). */
  readonly metric: number;
  /** The final training loss (mean over the last few read-back steps). */
  readonly finalLoss: number;
  /** Steps actually taken (fewer when the loss became NaN or ±Infinity). */
  readonly stepsTaken: number;
  /** Wall-clock seconds. */
  readonly seconds: number;
  /** Extra numbers for the notes and the JSON (e.g. `{ gradRatioThroughTime: 1e-9 }`). */
  readonly extra?: Readonly<Record<string, number>>;
}

/** Progress of a run. */
export interface TaskProgress {
  readonly step: number;
  readonly steps: number;
  readonly loss: number;
}

/** One task of `compare --task`. */
export interface TaskDefinition {
  /** The task's name. */
  readonly name: TaskName;
  /** Report and table title. */
  readonly title: string;
  /** The task in one paragraph, with its source. */
  readonly description: string;
  /** What was scaled down to fit the 5-minute budget on 2 cores (wasm), and why the effect survives. */
  readonly scaledDown: string;
  /** The metric: its name in the table and whether higher is better. */
  readonly metric: { readonly name: string; readonly higherIsBetter: boolean; readonly format: (x: number) => string };
  /** The default settings. */
  readonly defaults: TaskSettings;
  /** The flags (without `--`) of `sizes` this task takes, with their range, e.g. `{ lengths: … }`. */
  readonly sizeFlags: Readonly<Record<string, SizeFlag>>;
  /** How long the whole comparison took with the defaults, measured, with the machine (e.g. 'about 4 min on 2 cores, wasm'), for the help and the demo's last lines. */
  readonly measuredTime?: string;
  /** Columns of the table after the metric (e.g. the gradient ratio through time), if any. */
  readonly columns?: readonly TaskColumn[];
  /** The runs of a comparison with these settings. */
  runs(settings: TaskSettings): readonly TaskRun[];
  /** Trains one run (uses the current tfjs backend; disposes every tensor it makes). */
  train(run: TaskRun, settings: TaskSettings, onProgress?: (p: TaskProgress) => void): Promise<TaskRunResult>;
  /** A note for the table's notes, given the result and whether it agrees with `run.expect`. */
  explain?(result: TaskRunResult, agrees: boolean): string | undefined;
}
