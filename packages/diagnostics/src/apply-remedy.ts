// Applying one remedy: a copy of a tfjs-layers model (its config edited where the remedy changes the
// model) and the optimizer to train it with. Remedies that change only the model train with the
// doctor's own tfjs optimizer, exactly as the baseline; those that change the step (clipping, a
// guard, a warm-up, another optimizer) with the gradkit chain, through `toTfOptimizer`.

import { applyIfFinite, clipByGlobalNorm } from '@gradkit/clipping';
import { chain, describeValue, flatten, type GradientTransformation, type ParamTree, ValueError } from '@gradkit/core';
import { glorotUniform, heNormal, orthogonal } from '@gradkit/initializers';
import { adamw, muon, scheduleFreeAdamW } from '@gradkit/optimizers';
import { warmupCosineDecay } from '@gradkit/schedules';
import * as tf from '@tensorflow/tfjs-core';
import { checkTarget } from './doctor-checks.js';
import { OPTIMIZER_NAMES, tfOptimizerFor, transformationFor, trialOptimizer } from './doctor-optimizer.js';
import type { DoctorSettings, DoctorTarget, GradkitModelTarget, LayersModelLike, RemediedModel, RemedyAction } from './doctor-types.js';
import { gatedRecurrence, insertBatchNorm, type LayersEdit, reinitKernels, switchActivation } from './layers-edits.js';
import { copyLayersModel } from './layers-model.js';
import { isGradkitTarget } from './probe-fit.js';
import { REMEDY_NAMES, type RemedyName } from './remedy-actions.js';

const num = (action: RemedyAction, key: string): number => {
  const v = action.params[key];
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0)
    throw new ValueError(`action.params.${key}`, `${action.name} needs params.${key}, a finite number > 0; got ${String(v)}`);
  return v;
};

const names = (action: RemedyAction, key: string): string[] => {
  const v = action.params[key];
  if (!Array.isArray(v) || v.length === 0 || v.some((n) => typeof n !== 'string'))
    throw new ValueError(
      `action.params.${key}`,
      `${action.name} needs params.${key}, a non-empty list of names (as remedyActions gives); got ${JSON.stringify(v)}`,
    );
  return v as string[];
};

/** The transformation of a remedy that changes the step, or undefined for one that changes only the model. */
function stepOf(action: RemedyAction, settings: DoctorSettings): GradientTransformation | undefined {
  switch (action.name as RemedyName) {
    case 'clip-global-norm':
      return chain(clipByGlobalNorm(num(action, 'maxNorm')), transformationFor(settings.optimizer));
    case 'guard':
      return applyIfFinite(transformationFor(settings.optimizer));
    case 'warmup': {
      const [warmupSteps, decaySteps] = [num(action, 'warmupSteps'), num(action, 'decaySteps')];
      if (!Number.isInteger(warmupSteps) || !Number.isInteger(decaySteps) || decaySteps <= warmupSteps)
        throw new ValueError('action.params.warmupSteps', `warmup needs integer steps with warmupSteps < decaySteps, got ${warmupSteps} and ${decaySteps}`);
      const schedule = warmupCosineDecay({ peak: num(action, 'peak'), warmupSteps, decaySteps });
      // transformationFor types the rate as a number; every gradkit optimizer takes a schedule there (HyperParam).
      return transformationFor({ ...settings.optimizer, learningRate: schedule as unknown as number });
    }
    case 'optimizer-adamw':
      return adamw({ learningRate: num(action, 'learningRate'), weightDecay: num(action, 'weightDecay') });
    case 'optimizer-muon':
      return muon({ learningRate: num(action, 'learningRate'), adamw: { learningRate: num(action, 'adamwLearningRate') } });
    case 'optimizer-schedule-free':
      return scheduleFreeAdamW({ learningRate: num(action, 'learningRate') });
    default:
      return undefined;
  }
}

/** The config edit of a remedy that changes a tfjs-layers model, or undefined for one that changes only the step. */
function editOf(action: RemedyAction, model: LayersModelLike, seed: number): LayersEdit | undefined {
  const name = action.name as RemedyName;
  if (
    !['reinit-he', 'reinit-glorot', 'reinit-orthogonal', 'relu-he', 'tanh-glorot', 'insert-batchnorm', 'gated-recurrence', 'gated-recurrence-lstm'].includes(
      name,
    )
  )
    return undefined;
  const layers = names(action, 'layers');
  const known = new Set(model.layers.map((l) => l.name));
  const missing = layers.find((l) => !known.has(l));
  if (missing !== undefined) throw new ValueError('action.params.layers', `the model has no layer '${missing}' (its layers: ${[...known].join(', ')})`);
  if (name === 'relu-he') return switchActivation(layers, 'relu', 'he', seed);
  if (name === 'tanh-glorot') return switchActivation(layers, 'tanh', 'glorot', seed);
  if (name === 'insert-batchnorm') return insertBatchNorm(layers);
  if (name === 'gated-recurrence') return gatedRecurrence(layers, 'GRU', seed);
  if (name === 'gated-recurrence-lstm') return gatedRecurrence(layers, 'LSTM', seed);
  return reinitKernels(layers, name === 'reinit-he' ? 'he' : name === 'reinit-glorot' ? 'glorot' : 'orthogonal', seed);
}

/** The rate of the doctor's optimizer for this remedy: lower-lr's and raise-lr's, else the settings'. */
const rateOf = (action: RemedyAction, settings: DoctorSettings) =>
  action.name === 'lower-lr' || action.name === 'raise-lr' ? num(action, 'learningRate') : settings.optimizer.learningRate;

function checkAction(action: RemedyAction): void {
  if (action === null || typeof action !== 'object' || typeof action.name !== 'string' || action.params === null || typeof action.params !== 'object')
    throw new ValueError('action', 'applyRemedy takes one of the actions remedyActions (or diagnosis.remedies) gives');
  if (!(REMEDY_NAMES as readonly string[]).includes(action.name))
    throw new ValueError('action.name', `'${action.name}' is not a remedy; the remedies are ${REMEDY_NAMES.join(', ')}`);
  if (!action.applicable) throw new ValueError('action', `${action.name} cannot be applied to this model: ${action.whyNot ?? 'see its whyNot'}`);
}

function checkSettings(settings: DoctorSettings): void {
  if (settings === null || typeof settings !== 'object')
    throw new ValueError('settings', `applyRemedy takes the diagnosis's settings (diagnosis.settings), got ${describeValue(settings)}`);
  const o = settings.optimizer;
  if (!OPTIMIZER_NAMES.includes(o?.value) || typeof o.learningRate !== 'number' || !Number.isFinite(o.learningRate) || o.learningRate <= 0)
    throw new ValueError(
      'settings.optimizer',
      `settings.optimizer must be { value: one of ${OPTIMIZER_NAMES.join(', ')}, learningRate: a number > 0 } (diagnosis.settings.optimizer), got ${describeValue(o)}`,
    );
  if (!Number.isSafeInteger(settings.seed))
    throw new ValueError('settings.seed', `settings.seed must be an integer (diagnosis.settings.seed), got ${describeValue(settings.seed)}`);
}

/** Re-initializes a gradkit module's parameters at `paths` in place (a gradkit module cannot be copied). */
function reinitParams(params: ParamTree, paths: readonly string[], name: RemedyName, seed: number): void {
  const make = name === 'reinit-he' ? heNormal : name === 'reinit-glorot' ? glorotUniform : orthogonal;
  const leaves = new Map(flatten(params).map((e) => [e.path, e.value]));
  const missing = paths.find((p) => !leaves.has(p));
  if (missing !== undefined)
    throw new ValueError('action.params.paths', `the module has no parameter '${missing}' (its parameters: ${[...leaves.keys()].join(', ')})`);
  paths.forEach((p, i) => {
    const v = leaves.get(p) as tf.Variable;
    tf.tidy(() => v.assign(make({ seed: seed + i })(v.shape, v.dtype)));
  });
}

function applyToModule(target: GradkitModelTarget, action: RemedyAction, settings: DoctorSettings): RemediedModel {
  const name = action.name as RemedyName;
  const step = stepOf(action, settings);
  if (step) return { target, optimizer: step, action };
  const optimizer = transformationFor({ ...settings.optimizer, learningRate: rateOf(action, settings) });
  if (name.startsWith('reinit-')) reinitParams(target.module.params, names(action, 'paths'), name, settings.seed);
  return { target, optimizer, action };
}

/**
 * The tf.train optimizer equivalent to a remedy's training, for compiling a remedied tfjs-layers
 * model before `model.save` (tfjs-layers saves only its own optimizers in `model.json`): the doctor's
 * optimizer at the remedy's rate for the remedies that change the model or the rate; undefined for
 * those that need gradkit parts (clip-global-norm, guard, warmup, optimizer-*: compile with
 * `toTfOptimizer` from @gradkit/optimizers, as the remedy's `code` says). The caller disposes it.
 *
 * @example
 * ```ts
 * const opt = savableOptimizer(action, diagnosis.settings);
 * if (opt) copy.compile({ optimizer: opt, loss: diagnosis.settings.loss.value });
 * await copy.save('file://./fixed');
 * ```
 */
export function savableOptimizer(action: RemedyAction, settings: DoctorSettings): tf.Optimizer | undefined {
  checkAction(action);
  checkSettings(settings);
  return stepOf(action, settings) ? undefined : tfOptimizerFor({ ...settings.optimizer, learningRate: rateOf(action, settings) });
}

/**
 * Applies one remedy to `target` and returns the remedied model and the optimizer to train it with.
 *
 * - tfjs-layers model: a copy (`copyLayersModel`, with the model's own classes) with the remedy's
 *   config edit (relu-he, tanh-glorot, reinit-*, insert-batchnorm, gated-recurrence[-lstm]: the edited
 *   layers freshly initialized, seeded from `settings.seed`; the others with the model's weights) or unchanged (the step
 *   remedies); the original is never changed. The copy is not compiled and is the caller's to
 *   dispose, as is the optimizer: gradkit's transformation of the doctor's optimizer (with tf.train's
 *   defaults; lower-lr and raise-lr at the new rate), or for clip-global-norm, guard, warmup and
 *   optimizer-* the remedy's chain, as a tf.Optimizer (`toTfOptimizer`): the same implementation the
 *   baseline trains with, so that only the remedy differs. To save the copy compiled, see
 *   `savableOptimizer`.
 * - gradkit module: the same target and a gradkit transformation. A module cannot be copied, so the
 *   reinit-* remedies assign the new values to its parameters in place (snapshot them first, as
 *   `tryRemedies` does); the architecture remedies are not applicable (the user's code).
 *
 * Keras equivalent: `tf.keras.models.clone_model(model)` with an edited config, then `set_weights`.
 *
 * @throws HyperParameterError / ValueError naming `target` (not a model); ValueError naming `action`
 *   (not an action, or not applicable: its whyNot), `action.name`, `action.params.*` (missing, not
 *   finite, or naming layers the model does not have), `settings`, `settings.optimizer` or
 *   `settings.seed`; all before anything is copied.
 * @example
 * ```ts
 * const { target: fixed, optimizer } = applyRemedy(model, diagnosis.remedies[0], diagnosis.settings);
 * fixed.compile({ optimizer, loss: 'categoricalCrossentropy' });
 * ```
 */
export function applyRemedy<M extends LayersModelLike>(model: M, action: RemedyAction, settings: DoctorSettings): RemediedModel<M, tf.Optimizer>;
export function applyRemedy(
  target: GradkitModelTarget,
  action: RemedyAction,
  settings: DoctorSettings,
): RemediedModel<GradkitModelTarget, GradientTransformation>;
export function applyRemedy(target: DoctorTarget, action: RemedyAction, settings: DoctorSettings): RemediedModel;
export function applyRemedy(target: DoctorTarget, action: RemedyAction, settings: DoctorSettings): RemediedModel {
  checkTarget(target);
  checkAction(action);
  checkSettings(settings);
  if (isGradkitTarget(target)) return applyToModule(target, action, settings);
  const edit = editOf(action, target, settings.seed);
  const step = stepOf(action, settings);
  const optimizer = trialOptimizer(step ?? transformationFor({ ...settings.optimizer, learningRate: rateOf(action, settings) }));
  try {
    return { target: copyLayersModel(target, edit?.edit, edit?.fresh), optimizer, action };
  } catch (e) {
    optimizer.dispose();
    throw e;
  }
}
