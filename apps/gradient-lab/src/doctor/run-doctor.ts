// The doctor's orchestration, shared by the CLI and the playground's worker (browser-safe: no Node
// imports): the loss the model trains with, the data as tensors for it, the diagnosis, then the
// remedies tried on copies and ranked. Progress goes to callbacks; nothing is printed here.
import { checkOptions, HyperParameterError, ValueError } from '@gradkit/core';
import {
  type DoctorProgress,
  type DoctorSettings,
  diagnoseModel,
  type LayersModelLike,
  type ModelDiagnosis,
  type RemedyTrial,
  resolveLoss,
  tryRemedies,
} from '@gradkit/diagnostics';
import type { DoctorTask } from '../args.js';
import { type Dataset, toDoctorData } from './data-files.js';

/** What the doctor says about a model before it runs: its layers, parameters and shapes. */
export interface ModelSummary {
  /** The model's name. */
  readonly name: string;
  /** Its layers, input to output: name, class and activation where it has one. */
  readonly layers: readonly { readonly name: string; readonly className: string; readonly activation?: string }[];
  /** Trainable and non-trainable parameters. */
  readonly params: number;
  /** The input shape without the batch dimension (`null`: any length). */
  readonly inputShape: readonly (number | null)[];
  /** The output shape without the batch dimension. */
  readonly outputShape: readonly (number | null)[];
}

/** The summary of a tfjs-layers model (see `ModelSummary`). */
export function summarizeModel(model: LayersModelLike): ModelSummary {
  const layers = model.layers.map((l) => {
    const activation = (l.getConfig() as { activation?: unknown }).activation;
    return { name: l.name, className: l.getClassName(), ...(typeof activation === 'string' ? { activation } : {}) };
  });
  const params = model.getWeights().reduce((n, w) => n + w.size, 0);
  return {
    name: model.name,
    layers,
    params,
    inputShape: (model.inputs[0]?.shape ?? []).slice(1),
    outputShape: (model.outputs[0]?.shape ?? []).slice(1),
  };
}

/** One line: `sequential_1: 6 layers (Dense ×6), 4,867 parameters, input [16] → output [3]`. */
export function describeModel(s: ModelSummary): string {
  const counts = new Map<string, number>();
  for (const l of s.layers) counts.set(l.className, (counts.get(l.className) ?? 0) + 1);
  const kinds = [...counts].map(([k, n]) => (n > 1 ? `${k} ×${n}` : k)).join(', ');
  const shape = (x: readonly (number | null)[]) => `[${x.map((d) => d ?? 'any').join(', ')}]`;
  return `${s.name}: ${s.layers.length} layers (${kinds}), ${s.params.toLocaleString('en-US')} parameters, input ${shape(s.inputShape)} → output ${shape(s.outputShape)}`;
}

const CLASSIFY_LOSSES = [
  'categoricalCrossentropy',
  'sparseCategoricalCrossentropy',
  'binaryCrossentropy',
  'hinge',
  'squaredHinge',
  'categoricalHinge',
  'kullbackLeiblerDivergence',
];

/**
 * The loss `--task` asks for, when it differs from the model's own (compiled, else inferred): none
 * when the task agrees with it; for `classify` a cross-entropy (binary for one output unit,
 * categorical otherwise); for `regress` the mean squared error.
 */
export function lossForTask(model: LayersModelLike, task: DoctorTask | undefined): string | undefined {
  if (task === undefined) return undefined;
  const own = resolveLoss(model).value;
  const classifies = CLASSIFY_LOSSES.includes(own);
  if (task === 'classify') {
    if (classifies) return undefined;
    const units = model.outputs[0]?.shape.at(-1) ?? 1;
    return units === 1 ? 'binaryCrossentropy' : 'categoricalCrossentropy';
  }
  return classifies ? 'meanSquaredError' : undefined;
}

/** What was read from the data, in one line: `150 samples of [4] from iris.csv, label column "species": 3 classes (setosa, versicolor, virginica)`. */
export function describeDataset(dataset: Dataset): string {
  const shape = `[${dataset.xShape.slice(1).join(', ')}]`;
  const column = dataset.labelColumn === undefined ? '' : `, label column "${dataset.labelColumn}"`;
  let labels: string;
  if (dataset.task === 'regress') labels = 'regression targets';
  else if (dataset.classes !== undefined) labels = `${dataset.classes.length} classes (${dataset.classes.join(', ')})`;
  else labels = `${new Set(dataset.labels ?? []).size} classes seen (integer labels)`;
  return `${dataset.n} samples of ${shape} from ${dataset.file}${column}: ${labels}`;
}

/** Options of `runDoctor`: the probe fit's settings (see `DiagnoseOptions`), what to try, and the callbacks. */
export interface RunDoctorOptions {
  /** Classes or regression targets (changes the loss when the model's own disagrees; see `lossForTask`). Default: the dataset's task (as read). */
  readonly task?: DoctorTask;
  /** Steps of each probe fit. Default 100. */
  readonly budget?: number;
  /** Samples per step. Default 32. */
  readonly batchSize?: number;
  /** The optimizer by tfjs name. Default: the compiled one, else adam. */
  readonly optimizer?: string;
  /** Its learning rate. */
  readonly learningRate?: number;
  /** Also estimate the curvature (top Hessian eigenvalue, edge of stability). */
  readonly curvature?: boolean;
  /** Try only these remedies (default: every applicable one). */
  readonly remedies?: readonly string[];
  /** Seed of the batch order. Default 0. */
  readonly seed?: number;
  /** Called with the diagnosis before any remedy is tried (throwing here stops the run; the data is disposed). */
  readonly onDiagnosis?: (diagnosis: ModelDiagnosis) => void;
  /** Called as each fit advances (`phase`: `'baseline'`, `'curvature'`, a remedy's name). */
  readonly onProgress?: (progress: DoctorProgress) => void;
}

/** What `runDoctor` found: the diagnosis (verdict, findings, settings with where each came from) and the ranked trial. */
export interface DoctorRun {
  /** The baseline's diagnosis. */
  readonly diagnosis: ModelDiagnosis;
  /** The remedies tried, ranked, and the recommendation. */
  readonly trial: RemedyTrial;
  /** The settings of every fit, each with its source. */
  readonly settings: DoctorSettings;
  /** Set when the task changed the loss: why (e.g. `the labels are classes (--task classify); the model's own loss is meanSquaredError`). */
  readonly lossNote?: string;
}

/** Why the loss is not the model's own: the labels' kind (given by `--task`, or as read from the data) and the model's loss. */
export function taskNote(model: LayersModelLike, task: DoctorTask, given: boolean): string {
  const kind = task === 'classify' ? 'classes' : 'regression targets';
  return `the labels are ${kind} (${given ? `--task ${task}` : 'as read from the data'}); the model's own loss is ${resolveLoss(model).value}`;
}

/** The remedies `tryRemedies` will run after `diagnosis`: `only` when given, else every applicable one. */
export function remediesToTry(diagnosis: ModelDiagnosis, only?: readonly string[]): string[] {
  return only !== undefined ? [...only] : diagnosis.remedies.filter((r) => r.applicable).map((r) => r.name);
}

const OPTIONS = ['task', 'budget', 'batchSize', 'optimizer', 'learningRate', 'curvature', 'remedies', 'seed', 'onDiagnosis', 'onProgress'];

/** Checks runDoctor's arguments before anything is made (the numbers are checked by diagnoseModel). */
function checkArguments(model: LayersModelLike, dataset: Dataset, options: RunDoctorOptions): void {
  if (model === null || typeof model !== 'object' || !Array.isArray(model.layers) || typeof model.getConfig !== 'function')
    throw new ValueError('model', 'runDoctor needs a tfjs-layers model (from loadLayersModelFromArtifacts or tf.loadLayersModel)');
  if (dataset === null || typeof dataset !== 'object' || !(dataset.x instanceof Float32Array))
    throw new ValueError('dataset', 'runDoctor needs a dataset read by readDataset(bytes, fileName, expect)');
  checkOptions('runDoctor', options, OPTIONS, { example: 'runDoctor(model, dataset, { budget: 100, batchSize: 32 })' });
  if (options.task !== undefined && options.task !== 'classify' && options.task !== 'regress')
    throw new HyperParameterError('task', `task must be 'classify' or 'regress', got ${JSON.stringify(options.task)}`);
  if (options.remedies !== undefined && (!Array.isArray(options.remedies) || !options.remedies.every((r) => typeof r === 'string')))
    throw new HyperParameterError('remedies', `remedies must be a list of remedy names (e.g. ['relu-he']), got ${JSON.stringify(options.remedies)}`);
  for (const key of ['onDiagnosis', 'onProgress'] as const)
    if (options[key] !== undefined && typeof options[key] !== 'function') throw new HyperParameterError(key, `${key} must be a function`);
}

/**
 * Runs the doctor on `model` (never changed) and `dataset`: resolves the loss (`task`, else the
 * compiled one, else inferred from the output layer), turns the dataset into tensors for it, runs
 * `diagnoseModel`, calls `onDiagnosis`, then `tryRemedies` with the same settings. Disposes the data
 * tensors it made, whatever happens.
 *
 * @throws ValueError naming `model` or `dataset` when they are not what the readers make;
 *   UnknownOptionError for an option it does not take; HyperParameterError for a bad `task`,
 *   `remedies` or callback; whatever diagnoseModel and tryRemedies throw for bad numbers.
 * @example
 * ```ts
 * const { model } = await loadLayersModelFromArtifacts(artifactsFromFiles(json, weights, 'model.json'));
 * const dataset = readDataset(bytes, 'data.csv', { inputShape: [4], outputUnits: 3 });
 * const run = await runDoctor(model, dataset, { budget: 100, onProgress: (p) => console.log(p.phase, p.step) });
 * console.log(formatDoctorTable(run.trial));
 * ```
 */
export async function runDoctor(model: LayersModelLike, dataset: Dataset, options: RunDoctorOptions = {}): Promise<DoctorRun> {
  checkArguments(model, dataset, options);
  const task = options.task ?? dataset.task;
  const loss = lossForTask(model, task);
  const resolved = resolveLoss(model, loss);
  const units = model.outputs[0]?.shape.at(-1) ?? 1;
  const data = toDoctorData(dataset, resolved.value, units);
  const settings = {
    data,
    ...(loss === undefined ? {} : { loss }),
    ...(options.budget === undefined ? {} : { budget: options.budget }),
    ...(options.batchSize === undefined ? {} : { batchSize: options.batchSize }),
    ...(options.optimizer === undefined ? {} : { optimizer: options.optimizer }),
    ...(options.learningRate === undefined ? {} : { learningRate: options.learningRate }),
    ...(options.seed === undefined ? {} : { seed: options.seed }),
    ...(options.curvature ? { curvature: true } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  };
  try {
    const diagnosis = await diagnoseModel(model, settings);
    options.onDiagnosis?.(diagnosis);
    const trial = await tryRemedies(model, { ...settings, diagnosis, ...(options.remedies ? { remedies: options.remedies } : {}) });
    const lossNote = loss === undefined ? undefined : taskNote(model, task, options.task !== undefined);
    return { diagnosis, trial, settings: diagnosis.settings, ...(lossNote ? { lossNote } : {}) };
  } finally {
    data.x.dispose();
    data.y.dispose();
  }
}
