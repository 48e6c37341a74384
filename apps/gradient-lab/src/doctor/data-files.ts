// API (browser-safe):
//   readDataset(bytes: Uint8Array, fileName: string, expect: DatasetExpect): Dataset
//     expect = { inputShape, outputUnits, label?, task?, outputActivation? } (from loadLayersModelFromArtifacts)
//     → { file, x, n, xShape, labels?, targets?, classes?, labelColumn?, task, notes }
//   toDoctorData(dataset, loss: string, outputUnits: number): { x: tf.Tensor; y: tf.Tensor }
// Bad data: DoctorInputError (file, row, line, column, and what to do); bad arguments: HyperParameterError.
import { checkOptions, HyperParameterError, ValueError } from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import { cellNumber, type RawData, readCsv, readJson, readNpy, type WidthRule } from './data-parse.js';
import { DoctorInputError } from './doctor-errors.js';

/** What the model takes, for {@link readDataset}. @example `{ inputShape: [28, 28, 1], outputUnits: 10, outputActivation: 'softmax' }` */
export interface DatasetExpect {
  /** The model's input shape without the batch dimension; one `null` (a free dimension, e.g. a sequence's time) is inferred from the data. */
  readonly inputShape: readonly (number | null)[];
  /** The model's output units (the last dimension of its output). */
  readonly outputUnits: number;
  /** The label's column (CSV) or key (JSON objects); default: the last column/key. */
  readonly label?: string;
  /** Classification or regression; default: chosen from the labels and the output (see {@link readDataset}). */
  readonly task?: 'classify' | 'regress';
  /** The output layer's activation (`'softmax'`, `'sigmoid'`, `'linear'` …), for the default task. */
  readonly outputActivation?: string;
}

/** A data file read for the doctor: features shaped for the model, and class labels or regression targets. @example `readDataset(bytes, 'data.csv', expect).classes` */
export interface Dataset {
  /** The file, as named to readDataset. */
  readonly file: string;
  /** `n × product(inputShape)` features, row-major. */
  readonly x: Float32Array;
  /** Samples. */
  readonly n: number;
  /** `[n, ...inputShape]` (a free dimension resolved). */
  readonly xShape: number[];
  /** Class indices, for classification. */
  readonly labels?: Int32Array;
  /** `n × outputUnits` targets, for regression. */
  readonly targets?: Float32Array;
  /** The class names, when the labels are names (sorted; index = class). */
  readonly classes?: string[];
  /** The label's column or key. */
  readonly labelColumn?: string;
  /** Classification or regression, given or chosen. */
  readonly task: 'classify' | 'regress';
  /** What was decided on the user's behalf (label column, task, class numbering), to print. */
  readonly notes: string[];
}

const OPTIONS = ['inputShape', 'outputUnits', 'label', 'task', 'outputActivation'];

function checkExpect(expect: DatasetExpect): void {
  checkOptions('readDataset', expect, OPTIONS, { example: "readDataset(bytes, 'data.csv', { inputShape: [16], outputUnits: 3 })", required: true });
  const shape = expect.inputShape as unknown;
  if (
    !Array.isArray(shape) ||
    shape.length === 0 ||
    !shape.every((d) => d === null || (Number.isInteger(d) && d > 0)) ||
    shape.filter((d) => d === null).length > 1
  )
    throw new HyperParameterError(
      'inputShape',
      `inputShape must be a list of positive integers (one null at most), e.g. [16] or [null, 8]; got ${JSON.stringify(shape)}`,
    );
  if (!Number.isInteger(expect.outputUnits) || expect.outputUnits < 1)
    throw new HyperParameterError('outputUnits', `outputUnits must be a positive integer (the model's output units); got ${String(expect.outputUnits)}`);
  if (expect.label !== undefined && (typeof expect.label !== 'string' || expect.label === ''))
    throw new HyperParameterError('label', `label must be a column name; got ${JSON.stringify(expect.label)}`);
  if (expect.task !== undefined && expect.task !== 'classify' && expect.task !== 'regress')
    throw new HyperParameterError('task', `task must be 'classify' or 'regress'; got ${JSON.stringify(expect.task)}`);
  if (expect.outputActivation !== undefined && typeof expect.outputActivation !== 'string')
    throw new HyperParameterError('outputActivation', `outputActivation must be an activation name such as 'softmax'; got ${String(expect.outputActivation)}`);
}

/** The input shape with its free dimension resolved from `width` features per sample. */
function resolveShape(raw: RawData, inputShape: readonly (number | null)[]): number[] {
  const known = inputShape.reduce<number>((a, d) => a * (d ?? 1), 1);
  if (!inputShape.includes(null)) return inputShape as number[];
  if (raw.width === 0 || raw.width % known !== 0)
    throw new DoctorInputError(
      raw.file,
      `${raw.file} has ${raw.width} values per sample, which is not a whole number of steps of ${known} (input shape [${inputShape.map((d) => d ?? 'any')}]): give a multiple of ${known} values per sample`,
    );
  return inputShape.map((d) => d ?? raw.width / known);
}

const isOneHot = (row: readonly number[]) => row.every((v) => v === 0 || v === 1) && row.filter((v) => v === 1).length === 1;

/** Labels given as rows (JSON `y` rows, several .npy label columns): targets, or one-hot rows read as class indices. */
function rowLabels(raw: RawData, rows: readonly (readonly number[])[], expect: DatasetExpect, notes: string[]) {
  const units = expect.outputUnits;
  for (const [i, row] of rows.entries())
    if (row.length !== units)
      throw new DoctorInputError(
        raw.file,
        `${raw.at(i)} has ${row.length} values, but the model outputs ${units}: give one target per output unit (or one class per sample)`,
      );
  const oneHot = rows.every(isOneHot);
  const task = expect.task ?? (oneHot && units > 1 ? 'classify' : 'regress');
  if (task === 'regress') return { task, targets: Float32Array.from(rows.flat()) } as const;
  const bad = rows.findIndex((r) => !isOneHot(r));
  if (bad >= 0)
    throw new DoctorInputError(raw.file, `${raw.at(bad)}: [${rows[bad]}] is not one-hot: for classification give a class per sample, or one-hot rows`);
  notes.push('labels: one-hot rows, read as class indices');
  return { task, labels: Int32Array.from(rows, (r) => r.indexOf(1)) } as const;
}

/** Checks that class index `c` of sample `i` fits the model's output. */
function checkClass(raw: RawData, i: number, c: number, units: number) {
  if (c < 0) throw new DoctorInputError(raw.file, `${raw.at(i)}: class ${c} is negative: classes are numbered from 0`);
  if (units === 1 && c > 1)
    throw new DoctorInputError(
      raw.file,
      `${raw.at(i)}: class ${c} does not fit the model's single output unit, which takes two classes (0 or 1): give 0/1 labels, or a model with one unit per class`,
    );
  if (units > 1 && c >= units)
    throw new DoctorInputError(
      raw.file,
      `${raw.at(i)}: class ${c} does not fit the model's ${units} output units (classes 0 to ${units - 1}): give classes below ${units}, or a model with more units`,
    );
}

/** Labels given one per sample as numbers or names: class indices (integers or sorted names) or targets. */
function cellLabels(raw: RawData, cells: readonly (number | string)[], expect: DatasetExpect, notes: string[]) {
  const units = expect.outputUnits;
  const numbers = cells.map((c) => cellNumber(c));
  const firstText = numbers.findIndex((v) => typeof v === 'string');
  const integers = firstText < 0 && numbers.every((v) => Number.isInteger(v));
  const classifies = units > 1 || expect.outputActivation === 'sigmoid';
  const task = expect.task ?? (firstText >= 0 ? 'classify' : integers && classifies ? 'classify' : 'regress');
  if (expect.task === undefined)
    notes.push(
      task === 'classify'
        ? `task: classify (${firstText >= 0 ? 'the labels are names' : `integer labels, ${units > 1 ? `${units} output units` : 'a sigmoid output'}`}; --task regress to override)`
        : `task: regress (${integers ? 'integer labels, but one output unit without a sigmoid' : 'the labels are not all integers'}; --task classify to override)`,
    );
  if (task === 'regress') {
    if (firstText >= 0)
      throw new DoctorInputError(raw.file, `${raw.at(firstText)}: ${numbers[firstText]}: regression takes numeric targets (or use --task classify)`);
    if (units !== 1)
      throw new DoctorInputError(
        raw.file,
        `${raw.file} has one target per sample, but the model outputs ${units} values: give ${units} targets per sample, or --task classify for class labels`,
      );
    return { task, targets: Float32Array.from(numbers as number[]) } as const;
  }
  const empty = cells.findIndex((c) => typeof c === 'string' && c.trim() === '');
  if (empty >= 0) throw new DoctorInputError(raw.file, `${raw.at(empty)}: the label is empty: give every sample a class`);
  if (firstText < 0) {
    const fraction = numbers.findIndex((v) => !Number.isInteger(v));
    if (fraction >= 0)
      throw new DoctorInputError(
        raw.file,
        `${raw.at(fraction)}: ${cells[fraction]} is not a class: classes are integers from 0, or names (or use --task regress)`,
      );
    for (const [i, c] of (numbers as number[]).entries()) checkClass(raw, i, c, units);
    return { task, labels: Int32Array.from(numbers as number[]) } as const;
  }
  const names = cells.map(String);
  const classes = [...new Set(names)].sort();
  const limit = units === 1 ? 2 : units;
  if (classes.length > limit)
    throw new DoctorInputError(
      raw.file,
      `${raw.file} has ${classes.length} classes (${classes.slice(0, 8).join(', ')}${classes.length > 8 ? ', …' : ''}), but the model outputs ${units === 1 ? 'one unit, which takes two classes' : `${units} units, one per class`}: give a model with ${classes.length} output units, or fewer classes`,
    );
  notes.push(`classes: names, sorted and numbered: ${classes.map((c, i) => `${c} → ${i}`).join(', ')}`);
  const index = new Map(classes.map((c, i) => [c, i]));
  return { task, labels: Int32Array.from(names, (c) => index.get(c) as number), classes } as const;
}

/**
 * Reads a data file the user gives the doctor (`bytes` of `fileName`; its extension picks the format)
 * and checks it fits the model `expect` describes.
 *
 * - **CSV** (`.csv`): a header row, then one row per sample; the label is the last column unless
 *   `expect.label` names one; RFC 4180 quoting, CRLF or LF, blank lines skipped.
 * - **JSON** (`.json`): `{ "x": [[…], …], "y": […] }` (nested rows are flattened row-major), or a list
 *   of objects `[{ "x1": 0.5, …, "label": "cat" }]` whose label is the key `expect.label`, else each
 *   object's last key (a feature value may be a list, flattened).
 * - **NumPy** (`.npy`, format 1.0–3.0, little-endian float/int/uint/bool, C order): a 2-D array
 *   `[n, F + k]`, one row per sample: F = product(inputShape) features, then the label in the last
 *   column (k = 1: a class index or a target) or `outputUnits` last columns (k = outputUnits:
 *   regression targets, or one-hot rows). With a free input dimension, k = 1.
 *
 * Features: each sample's values must number product(inputShape) (one `null` dimension is inferred:
 * a sequence of any length); rows are reshaped to `[n, ...inputShape]` (sequences `[time, features]`,
 * images `[h, w, c]`). Labels: classes are integers (0…units−1) or names (sorted, numbered from 0 in
 * that order, said in `notes`); for one output unit classes are 0/1. Regression targets are numbers,
 * one per output unit. The task, unless `expect.task` gives it: classify when the labels are names,
 * or one-hot rows with several output units, or integers and the output has several units or a
 * sigmoid; else regress (a note says which and why). Any problem is a {@link DoctorInputError}
 * naming the file, row, line and column (`data.csv, row 17 (line 18), column "x3": "abc" is not a
 * number`) and what to do. Keras has no reader of its own (`pandas.read_csv` + `np.load`).
 *
 * @example
 * ```ts
 * const data = readDataset(bytes, 'iris.csv', { inputShape: [4], outputUnits: 3, outputActivation: 'softmax' });
 * // data.task 'classify', data.classes ['setosa', 'versicolor', 'virginica'], data.xShape [150, 4]
 * ```
 */
export function readDataset(bytes: Uint8Array, fileName: string, expect: DatasetExpect): Dataset {
  if (!(bytes instanceof Uint8Array)) throw new ValueError('bytes', `readDataset takes the file's bytes as a Uint8Array; got ${typeof bytes}`);
  if (typeof fileName !== 'string' || fileName === '') throw new ValueError('fileName', 'readDataset needs the file name (its extension picks the format)');
  checkExpect(expect);
  const known = expect.inputShape.reduce<number>((a, d) => a * (d ?? 1), 1);
  const rule: WidthRule = { width: expect.inputShape.includes(null) ? undefined : known, shape: `[${expect.inputShape.map((d) => d ?? 'any')}]` };
  const ext = /\.([a-z0-9]+)$/i.exec(fileName)?.[1]?.toLowerCase();
  if (bytes.byteLength === 0)
    throw new DoctorInputError(fileName, `${fileName} is empty: give a CSV with a header row and one row per sample (or JSON, or .npy)`);
  const raw =
    ext === 'csv'
      ? readCsv(bytes, fileName, rule, expect.label)
      : ext === 'json'
        ? readJson(bytes, fileName, rule, expect.label)
        : ext === 'npy'
          ? readNpy(bytes, fileName, rule, expect.outputUnits, expect.label)
          : undefined;
  if (raw === undefined)
    throw new DoctorInputError(fileName, `${fileName}: the doctor reads .csv, .json and .npy files; convert it to one of them (or rename it if it is one)`);
  const shape = resolveShape(raw, expect.inputShape);
  const notes = [...raw.notes];
  const rows = raw.labels.filter((l): l is readonly number[] => Array.isArray(l));
  if (rows.length > 0 && rows.length < raw.n) {
    const i = raw.labels.findIndex((l) => !Array.isArray(l));
    throw new DoctorInputError(fileName, `${raw.at(i)}: a single label among rows of targets: give every sample the same kind of label`);
  }
  const y = rows.length > 0 ? rowLabels(raw, rows, expect, notes) : cellLabels(raw, raw.labels as (number | string)[], expect, notes);
  if (y.task === 'classify' && expect.outputUnits > 1 && !('classes' in y)) {
    const seen = new Set(y.labels).size;
    if (seen < expect.outputUnits) notes.push(`classes: the data holds ${seen} of the model's ${expect.outputUnits} classes`);
  }
  return {
    file: fileName,
    x: raw.features,
    n: raw.n,
    xShape: [raw.n, ...shape],
    ...y,
    ...(raw.labelColumn !== undefined ? { labelColumn: raw.labelColumn } : {}),
    notes,
  } as Dataset;
}

/** tfjs-layers' loss names (camelCase; Keras's snake_case is accepted too), by what `y` they take. */
const LOSSES = {
  categorical: ['categoricalCrossentropy', 'categoricalHinge', 'kullbackLeiblerDivergence'],
  sparse: ['sparseCategoricalCrossentropy'],
  binary: ['binaryCrossentropy', 'hinge', 'squaredHinge'],
  regression: [
    'meanSquaredError',
    'meanAbsoluteError',
    'meanAbsolutePercentageError',
    'meanSquaredLogarithmicError',
    'huberLoss',
    'logcosh',
    'poisson',
    'cosineProximity',
  ],
} as const;
const ALIASES: Readonly<Record<string, string>> = {
  mse: 'meanSquaredError',
  mae: 'meanAbsoluteError',
  mape: 'meanAbsolutePercentageError',
  msle: 'meanSquaredLogarithmicError',
};
const key = (name: string) => name.replace(/_/g, '').toLowerCase();

function lossKind(loss: string): keyof typeof LOSSES {
  const name = ALIASES[key(loss)] ?? loss;
  for (const [kind, names] of Object.entries(LOSSES)) if (names.some((l) => key(l) === key(name))) return kind as keyof typeof LOSSES;
  throw new HyperParameterError('loss', `unknown loss '${loss}'; the doctor takes tfjs-layers' losses: ${Object.values(LOSSES).flat().join(', ')}`);
}

/**
 * The tensors the doctor trains on from a {@link readDataset} result, for the model's `loss` (a
 * tfjs-layers loss name, Keras's snake_case spelling accepted) and `outputUnits`: `x` `[n, ...inputShape]`
 * float32 and `y`: one-hot `[n, units]` for `categoricalCrossentropy` (and the other categorical
 * losses), class indices `[n, 1]` for `sparseCategoricalCrossentropy` (as tfjs-layers' fit expects),
 * a 0/1 column `[n, 1]` for `binaryCrossentropy` with one unit (one-hot for several), targets
 * `[n, units]` for regression losses (`meanSquaredError` …; class labels become one-hot there).
 * The caller disposes both. Keras equivalent: `keras.utils.to_categorical(labels, units)`.
 *
 * @example
 * ```ts
 * const { x, y } = toDoctorData(readDataset(bytes, 'data.csv', expect), 'categoricalCrossentropy', 3);
 * // y = one-hot [n, 3]; dispose x and y when done
 * ```
 */
export function toDoctorData(dataset: Dataset, loss: string, outputUnits: number): { x: tf.Tensor; y: tf.Tensor } {
  if (typeof loss !== 'string')
    throw new HyperParameterError('loss', `loss must be a tfjs-layers loss name such as 'categoricalCrossentropy'; got ${String(loss)}`);
  if (!Number.isInteger(outputUnits) || outputUnits < 1)
    throw new HyperParameterError('outputUnits', `outputUnits must be a positive integer; got ${String(outputUnits)}`);
  if (typeof dataset !== 'object' || dataset === null || !(dataset.x instanceof Float32Array))
    throw new ValueError('dataset', 'toDoctorData takes what readDataset returned');
  const kind = lossKind(loss);
  const { labels, targets, n, file } = dataset;
  if (labels === undefined && kind !== 'regression' && !(targets !== undefined && (kind === 'categorical' || kind === 'binary')))
    throw new DoctorInputError(
      file,
      `${file} holds regression targets, but the loss ${loss} takes class labels: pass --task classify, or use a regression loss`,
    );
  const top = labels?.reduce((a, c) => Math.max(a, c), 0) ?? 0;
  if (top >= Math.max(outputUnits, 2)) throw new DoctorInputError(file, `${file} has class ${top}, which does not fit the model's ${outputUnits} output units`);
  if (targets !== undefined && targets.length !== n * outputUnits)
    throw new DoctorInputError(file, `${file} has ${targets.length / n} targets per sample, but the model outputs ${outputUnits}`);
  return tf.tidy(() => {
    const x = tf.tensor(dataset.x, dataset.xShape, 'float32');
    let y: tf.Tensor;
    if (targets !== undefined) y = tf.tensor2d(targets, [n, outputUnits]);
    else if (kind === 'sparse' || (outputUnits === 1 && labels !== undefined)) y = tf.tensor2d(Float32Array.from(labels as Int32Array), [n, 1]);
    else y = tf.cast(tf.oneHot(tf.tensor1d(labels as Int32Array, 'int32'), outputUnits), 'float32');
    return { x, y };
  });
}
