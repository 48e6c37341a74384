// The checks of diagnoseModel's target, options and data, all made before anything runs: typed
// errors naming the field, and the settings resolved from the options, the model and the defaults.
import { checkNumberOption, checkOptions, describeValue, HyperParameterError, ValueError } from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import { checkCallback, wholeNumber } from './checks.js';
import { checkOptimizerName, resolveOptimizer } from './doctor-optimizer.js';
import type { DiagnoseOptions, DoctorData, DoctorSettings, DoctorTarget, GradkitModelTarget, LayersModelLike } from './doctor-types.js';
import { checkLossName, resolveLoss } from './infer-loss.js';
import { isGradkitTarget } from './probe-fit.js';

/** diagnoseModel's options. */
export const DIAGNOSE_KEYS = ['data', 'budget', 'batchSize', 'loss', 'optimizer', 'learningRate', 'every', 'seed', 'curvature', 'onProgress'] as const;
const EXAMPLE = "diagnoseModel(model, { data: { x, y }, budget: 100, optimizer: 'adam', learningRate: 1e-3 })";

/** What diagnoseModel runs with, checked. */
export interface CheckedDiagnosis {
  readonly settings: DoctorSettings;
  readonly data: DoctorData;
  readonly curvature: boolean;
  readonly onProgress: DiagnoseOptions['onProgress'];
}

const shapeText = (shape: readonly (number | null)[]) => `[${shape.map((d) => (d === null ? 'batch' : d)).join(', ')}]`;

/** Whether a tfjs-layers model is built (an unbuilt Sequential throws when asked for its inputs). */
function isBuilt(model: Partial<LayersModelLike>): boolean {
  try {
    return Array.isArray(model.inputs) && Array.isArray(model.outputs);
  } catch {
    return false;
  }
}

/** Throws unless `target` is a tfjs-layers model with one input and one output, or a `{ module, loss }` gradkit target. */
export function checkTarget(target: unknown): asserts target is DoctorTarget {
  if (target === null || typeof target !== 'object')
    throw new HyperParameterError(
      'target',
      `diagnoseModel takes a tfjs-layers model or a gradkit { module, loss } as its first argument, got ${describeValue(target)}`,
    );
  const layers = target as Partial<LayersModelLike>;
  if (typeof layers.getConfig === 'function' && typeof layers.trainOnBatch === 'function') {
    if (!isBuilt(layers))
      throw new ValueError('target', 'the tfjs-layers model is not built: give its first layer an inputShape (or call model.build) before diagnosing it');
    if (layers.inputs?.length !== 1 || layers.outputs?.length !== 1)
      throw new ValueError(
        'target',
        `the doctor takes models with one input and one output; this one has ${layers.inputs?.length} inputs and ${layers.outputs?.length} outputs`,
      );
    return;
  }
  const g = checkOptions('target', target as GradkitModelTarget, ['module', 'loss'], {
    example: 'diagnoseModel({ module, loss: (pred, y) => tf.losses.meanSquaredError(y, pred) }, { data })',
    required: true,
  });
  if (
    g.module === null ||
    typeof g.module !== 'object' ||
    typeof g.module.apply !== 'function' ||
    g.module.params === null ||
    typeof g.module.params !== 'object'
  )
    throw new HyperParameterError('target.module', `target.module must be a gradkit module (with apply and params), got ${describeValue(g.module)}`);
  if (typeof g.loss !== 'function')
    throw new HyperParameterError('target.loss', `target.loss must be the loss function (prediction, y) => scalar, got ${describeValue(g.loss)}`);
}

/** A live tensor of one of `dtypes` with at least one sample, else a typed error naming `field`. */
function checkTensor(field: string, t: unknown, dtypes: readonly string[]): tf.Tensor {
  if (!(t instanceof tf.Tensor)) throw new HyperParameterError(field, `${field} must be a tensor of samples [n, …], got ${describeValue(t)}`);
  if (t.isDisposed) throw new ValueError(field, `${field} was disposed: keep the data alive until diagnoseModel resolves`);
  if (!dtypes.includes(t.dtype)) throw new ValueError(field, `${field} has dtype ${t.dtype}: give ${dtypes.join(' or ')}`);
  if (t.rank === 0 || (t.shape[0] as number) < 1) throw new ValueError(field, `${field} has shape [${t.shape.join(', ')}]: it must hold at least one sample`);
  return t;
}

/** The shapes of the data against a tfjs-layers model's input and output (under `loss`). */
function checkLayersShapes(model: LayersModelLike, x: tf.Tensor, y: tf.Tensor, loss: string): void {
  const input = model.inputs[0]?.shape ?? [];
  const fits = x.rank === input.length && input.every((d, k) => k === 0 || d === null || d === x.shape[k]);
  if (!fits)
    throw new ValueError('data.x', `data.x has shape [${x.shape.join(', ')}], the model's input ${shapeText(input)}: give one sample of that shape per row`);
  const output = model.outputs[0]?.shape ?? [];
  if (loss === 'sparseCategoricalCrossentropy') {
    if (!(y.rank === 1 || (y.rank === 2 && y.shape[1] === 1)))
      throw new ValueError('data.y', `data.y has shape [${y.shape.join(', ')}]: sparseCategoricalCrossentropy takes one class index per sample, [n] or [n, 1]`);
    return;
  }
  const fitsY = y.rank === output.length && output.every((d, k) => k === 0 || d === null || d === y.shape[k]);
  if (!fitsY) {
    const hint =
      loss === 'categoricalCrossentropy' && y.rank === 1 ? ' (class indices: one-hot them with tf.oneHot, or use loss: sparseCategoricalCrossentropy)' : '';
    throw new ValueError('data.y', `data.y has shape [${y.shape.join(', ')}], the model's output ${shapeText(output)} under ${loss}${hint}`);
  }
}

/** Throws a ValueError naming `field` at the first sample holding NaN or ±Infinity. */
async function checkFinite(field: string, t: tf.Tensor): Promise<void> {
  const rows = tf.tidy(() => tf.all(tf.isFinite(tf.reshape(t, [t.shape[0] as number, -1])), 1));
  const ok = await rows.data();
  rows.dispose();
  const bad = ok.indexOf(0);
  if (bad >= 0) throw new ValueError(field, `${field} holds NaN or Infinity (first at sample ${bad}): clean or drop those samples`);
}

/** The loss settings of a gradkit target: its own loss function (named by the function's name). */
function gradkitLoss(target: GradkitModelTarget, option: unknown): DoctorSettings['loss'] {
  if (option !== undefined)
    throw new HyperParameterError('loss', 'a gradkit target brings its loss function ({ module, loss }): leave options.loss out (it names tfjs-layers losses)');
  return { value: target.loss.name || 'loss', source: 'option', why: 'the loss function given with the module' };
}

/**
 * Checks diagnoseModel's arguments (before anything runs) and resolves the settings: unknown option
 * keys are UnknownOptionError; bad numbers, names and types HyperParameterError; data that does not
 * fit the model (sample counts, shapes, dtypes, NaN/Infinity) ValueError naming `data.x`/`data.y`.
 */
export async function checkDiagnoseInput(target: unknown, options: unknown): Promise<CheckedDiagnosis> {
  checkTarget(target);
  const o = checkOptions('diagnoseModel', options as DiagnoseOptions, DIAGNOSE_KEYS, { example: EXAMPLE, required: true });
  const d = checkOptions('data', o.data, ['x', 'y'], { example: '{ data: { x, y } }', required: true });
  const x = checkTensor('data.x', d.x, ['float32', 'int32']);
  const y = checkTensor('data.y', d.y, ['float32', 'int32']);
  const n = x.shape[0] as number;
  if (y.shape[0] !== n) throw new ValueError('data.y', `data.x has ${n} samples and data.y ${y.shape[0]}: give one label per sample`);
  if (y.dtype === 'int32' && !isGradkitTarget(target))
    throw new ValueError(
      'data.y',
      "data.y is int32, but tfjs-layers' losses take float32 labels (class indices too, for sparseCategoricalCrossentropy): give tf.cast(y, 'float32')",
    );
  const budget = wholeNumber('budget', o.budget, 100, 1, 'optimizer steps of the probe fit', 1_000_000);
  const batchSize = Math.min(n, wholeNumber('batchSize', o.batchSize, 32, 1, 'samples per step'));
  const every = wholeNumber('every', o.every, Math.max(1, Math.floor(budget / 20)), 1, 'report every that many steps');
  const seed = wholeNumber('seed', o.seed, 0, 0, 'the seed of the batch order', 2 ** 32 - 1);
  const learningRate = o.learningRate === undefined ? undefined : checkNumberOption('learningRate', o.learningRate, { min: 0, minExclusive: true });
  const name = o.optimizer === undefined ? undefined : checkOptimizerName(o.optimizer);
  if (o.curvature !== undefined && typeof o.curvature !== 'boolean')
    throw new HyperParameterError('curvature', `curvature must be true or false, got ${describeValue(o.curvature)}`);
  checkCallback('onProgress', o.onProgress, '({ phase, step, total, loss }) => void');
  let loss: DoctorSettings['loss'];
  let optimizer: DoctorSettings['optimizer'];
  if (isGradkitTarget(target)) {
    loss = gradkitLoss(target, o.loss);
    optimizer = resolveOptimizer(undefined, name, learningRate);
  } else {
    loss = resolveLoss(target, o.loss === undefined ? undefined : checkLossName('loss', o.loss));
    checkLayersShapes(target, x, y, loss.value);
    optimizer = resolveOptimizer(target.optimizer, name, learningRate);
  }
  await checkFinite('data.x', x);
  await checkFinite('data.y', y);
  return { settings: { loss, optimizer, budget, batchSize, every, seed }, data: { x, y }, curvature: o.curvature ?? false, onProgress: o.onProgress };
}
