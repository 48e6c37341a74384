// The doctor's shared types: what `diagnoseModel`, `remedyActions` and `tryRemedies` take and return.
// Plain data where it crosses into reports (JSON-able), structural types for tfjs-layers (this package
// does not import @tensorflow/tfjs-layers: a model brings its own classes, see layers-model.ts).
import type { GradientTransformation, ParamTree } from '@gradkit/core';
import type * as tf from '@tensorflow/tfjs-core';
import type { Finding, FindingKind, GradientReport, Verdict } from './report.js';

/**
 * What the doctor needs of a tfjs-layers model (`tf.LayersModel`, `tf.Sequential`), structurally:
 * its config and weights (to make copies with its own classes), `compile`, `fit`-free batch
 * training (`trainOnBatch`), `evaluate`-free prediction (`apply`) and its layers.
 *
 * @example
 * ```ts
 * const model: LayersModelLike = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
 * ```
 */
export interface LayersModelLike {
  readonly name: string;
  readonly layers: readonly { readonly name: string; getClassName(): string; getConfig(): object; readonly trainable: boolean }[];
  readonly inputs: readonly { readonly shape: readonly (number | null)[] }[];
  readonly outputs: readonly { readonly shape: readonly (number | null)[] }[];
  readonly trainableWeights: readonly { readonly name: string; read(): tf.Tensor }[];
  readonly optimizer?: tf.Optimizer | null;
  /** tfjs-layers' loss names after `compile` (`'categoricalCrossentropy'` …); absent for a model loaded without its training config. */
  readonly loss?: string | string[] | unknown;
  getClassName(): string;
  getConfig(): object;
  getWeights(trainableOnly?: boolean): tf.Tensor[];
  setWeights(weights: tf.Tensor[]): void;
  compile(args: { optimizer: tf.Optimizer | string; loss: string | string[] | ((yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor) }): void;
  trainOnBatch(x: tf.Tensor | tf.Tensor[], y: tf.Tensor | tf.Tensor[]): Promise<number | number[]>;
  apply(inputs: tf.Tensor | tf.Tensor[], kwargs?: { training?: boolean }): tf.Tensor | tf.Tensor[] | unknown;
  predict(x: tf.Tensor | tf.Tensor[]): tf.Tensor | tf.Tensor[];
  save(handlerOrURL: unknown): Promise<unknown>;
  dispose(): unknown;
}

/**
 * A gradkit model for the doctor: a module (`apply(x, { training })` and `params`, see @gradkit/nn)
 * and its loss `(prediction, y) => scalar`.
 *
 * @example
 * ```ts
 * const target: GradkitModelTarget = { module: sequential(dense(…), dense(…)), loss: softmaxCrossEntropy };
 * ```
 */
export interface GradkitModelTarget {
  readonly module: { apply(x: tf.Tensor, options?: { training?: boolean }): tf.Tensor; readonly params: ParamTree };
  readonly loss: (prediction: tf.Tensor, y: tf.Tensor) => tf.Scalar | tf.Tensor;
}

/** The model the doctor examines: a tfjs-layers model, or a gradkit module with its loss. @example `await diagnoseModel(model, { data })` */
export type DoctorTarget = LayersModelLike | GradkitModelTarget;

/** The data of a probe fit: all samples (the doctor batches them, in a seeded order): `x` `[n, …inputShape]`, `y` `[n, …outputShape]` (one-hot, class indices for a sparse loss, or targets). @example `{ x: tf.tensor2d(rows, [n, 16]), y: tf.oneHot(labels, 3) }` */
export interface DoctorData {
  readonly x: tf.Tensor;
  readonly y: tf.Tensor;
}

/**
 * How the probe fit trains: the compile settings of the model (its loss and optimizer), the budget
 * and the batches. Everything the model's own compile settings do not give is filled in and said so
 * in `ModelDiagnosis.settings`.
 *
 * @example
 * ```ts
 * await diagnoseModel(model, { data, budget: 100, batchSize: 32, optimizer: 'adam', learningRate: 1e-3 });
 * ```
 */
export interface DiagnoseOptions {
  /** The samples. */
  readonly data: DoctorData;
  /** Optimizer steps of the probe fit. Default 100. */
  readonly budget?: number;
  /** Samples per step. Default 32 (all samples when fewer). */
  readonly batchSize?: number;
  /** The loss, a tfjs-layers loss name (`'categoricalCrossentropy'`, `'sparseCategoricalCrossentropy'`, `'binaryCrossentropy'`, `'meanSquaredError'` …). Default: the model's compiled loss, else inferred from the output layer (softmax → categorical, sigmoid → binary, linear → mean squared error). */
  readonly loss?: string;
  /** The optimizer by tfjs name (`'sgd'`, `'adam'`, `'rmsprop'`, `'adagrad'`, `'adadelta'`, `'adamax'`, `'momentum'`). Default: the model's compiled optimizer's kind, else `'adam'`. */
  readonly optimizer?: string;
  /** Its learning rate. Default: the compiled optimizer's, else 1e-3 (1e-2 for sgd). */
  readonly learningRate?: number;
  /** Report every `every` steps. Default: budget / 20, at least 1. */
  readonly every?: number;
  /** Seed of the batch order. Default 0. */
  readonly seed?: number;
  /** Also estimate the top Hessian eigenvalue at the start (power iteration on finite-difference Hessian-vector products) and the edge-of-stability ratio. Default false. */
  readonly curvature?: boolean;
  /** Called as the fit advances. */
  readonly onProgress?: (progress: DoctorProgress) => void;
}

/** Where a doctor run is: the phase (`'baseline'`, a remedy's name, `'curvature'`), its step and total. @example `onProgress: (p) => console.log(p.phase, p.step, '/', p.total, p.loss)` */
export interface DoctorProgress {
  readonly phase: string;
  readonly step: number;
  readonly total: number;
  readonly loss?: number;
}

/** The settings the probe fit used, each with where it came from. @example `diagnosis.settings.loss` → `{ value: 'categoricalCrossentropy', source: 'inferred', why: 'the output layer is a softmax' }` */
export interface DoctorSettings {
  readonly loss: { readonly value: string; readonly source: 'compiled' | 'option' | 'inferred'; readonly why?: string };
  readonly optimizer: { readonly value: string; readonly learningRate: number; readonly source: 'compiled' | 'option' | 'default' };
  readonly budget: number;
  readonly batchSize: number;
  readonly every: number;
  readonly seed: number;
}

/** Loss-spike statistics of a fit: spikes flagged by the monitor, the largest z-score, non-finite losses. @example `diagnosis.spikes.count` */
export interface SpikeStats {
  readonly count: number;
  readonly maxZ: number;
  readonly nonFiniteSteps: number;
}

/** The top Hessian eigenvalue and the edge-of-stability ratio η·λmax/2 (Cohen et al. 2021: plain SGD is stable while it is below 1; adaptive optimizers rescale their steps, so the ratio speaks of SGD only). @example `if (settings.optimizer.value === 'sgd' && c.eosRatio > 1) console.log('rate too large for the curvature')` */
export interface CurvatureEstimate {
  readonly lambdaMax: number;
  readonly eosRatio: number;
  readonly iterations: number;
  readonly converged: boolean;
}

/**
 * What `diagnoseModel` returns: the verdict over the probe fit, its findings (with the remedies as
 * code that apply to this model), the monitor's reports and the loss curve.
 *
 * @example
 * ```ts
 * const d = await diagnoseModel(model, { data });
 * console.log(d.verdict, d.findings.map((f) => f.kind), d.finalLoss);
 * ```
 */
export interface ModelDiagnosis {
  readonly verdict: Verdict;
  readonly findings: readonly Finding[];
  readonly reports: readonly GradientReport[];
  /** The loss of every step of the probe fit. */
  readonly losses: readonly number[];
  /** The loss over the data before the fit. */
  readonly initialLoss: number;
  /** The loss over the data after the fit (evaluated the same way for the baseline and every remedy). */
  readonly finalLoss: number;
  readonly spikes: SpikeStats;
  readonly curvature?: CurvatureEstimate;
  readonly settings: DoctorSettings;
  /** The remedies as code that apply to this model for these findings (and those that cannot, with why). */
  readonly remedies: readonly RemedyAction[];
}

/**
 * A remedy as code: a change to a copy of the model or to its training, with its parameters
 * measured on this model (e.g. the clipping norm at the 90th percentile of the measured norms).
 *
 * @example
 * ```ts
 * for (const r of diagnosis.remedies) console.log(r.name, r.applicable ? r.code : `n/a: ${r.whyNot}`);
 * ```
 */
export interface RemedyAction {
  /** Stable id, e.g. `clip-global-norm`, `lower-lr`, `warmup`, `reinit-he`, `relu-he`, `tanh-glorot`, `insert-batchnorm`, `gated-recurrence`, `optimizer-adamw`. */
  readonly name: string;
  /** One line for people. */
  readonly title: string;
  /** The findings it answers. */
  readonly answers: readonly FindingKind[];
  /** Whether it can be applied to this model. */
  readonly applicable: boolean;
  /** Why not, when it cannot. */
  readonly whyNot?: string;
  /** The change in the user's API (tfjs-layers or gradkit code). */
  readonly code: string;
  /** Its measured parameters (JSON-able). */
  readonly params: Readonly<Record<string, number | string | boolean | readonly string[]>>;
}

/** Options of `tryRemedies`: those of `diagnoseModel`, the remedies to try (default: all applicable ones of the diagnosis) and a diagnosis already made. @example `await tryRemedies(model, { data, budget: 100 })` */
export interface TryRemediesOptions extends DiagnoseOptions {
  /** Names of the remedies to try (default every applicable one). */
  readonly remedies?: readonly string[];
  /** The baseline's diagnosis, when already made with the same options (else `tryRemedies` makes it). */
  readonly diagnosis?: ModelDiagnosis;
}

/** One remedy's trial (or the baseline's): applied or why not, and what the same budget measured. @example `trial.remedies[0].finalLoss` */
export interface RemedyOutcome {
  readonly name: string;
  readonly title: string;
  readonly applied: boolean;
  readonly whyNot?: string;
  readonly code: string;
  readonly verdict?: Verdict;
  readonly findings?: readonly FindingKind[];
  readonly initialLoss?: number;
  readonly finalLoss?: number;
  readonly losses?: readonly number[];
  readonly spikes?: SpikeStats;
  /** baseline finalLoss / this finalLoss (above 1 is better). */
  readonly improvement?: number;
  /** Rank among the applied remedies (1 = best). */
  readonly rank?: number;
}

/** What `tryRemedies` returns: the untouched baseline, every remedy ranked by outcome, and the recommendation (none when nothing measurably helps or the model is healthy). @example `console.log(t.recommended?.name ?? 'nothing to change')` */
export interface RemedyTrial {
  readonly diagnosis: ModelDiagnosis;
  readonly baseline: RemedyOutcome;
  readonly remedies: readonly RemedyOutcome[];
  readonly recommended?: RemedyOutcome;
}

/**
 * A remedied copy: the model (new weights, the caller's to dispose), the optimizer to train it with,
 * and the action applied. For a tfjs-layers model `T` is the model's own type and `O` a tf.Optimizer.
 *
 * @example
 * ```ts
 * const { target: fixed, optimizer } = applyRemedy(model, action, diagnosis.settings);
 * fixed.compile({ optimizer, loss: 'categoricalCrossentropy' });
 * ```
 */
export interface RemediedModel<T extends DoctorTarget = DoctorTarget, O extends tf.Optimizer | GradientTransformation = tf.Optimizer | GradientTransformation> {
  readonly target: T;
  /** The optimizer to train it with (a tf.Optimizer for tfjs-layers, from `toTfOptimizer` where gradkit parts are involved; a gradkit transformation for a gradkit module). */
  readonly optimizer: O;
  readonly action: RemedyAction;
}
