// The loss the doctor trains a tfjs-layers model with: the one given, the model's compiled one, or
// one inferred from its output layer (said so, with the layer's name).
import { describeValue, HyperParameterError, suggestOption, ValueError } from '@gradkit/core';
import type { DoctorSettings, LayersModelLike } from './doctor-types.js';

/** tfjs-layers' loss names (its `losses.lossesMap`, what `model.compile({ loss })` takes by name). */
export const LOSS_NAMES: readonly string[] = [
  'meanSquaredError',
  'meanAbsoluteError',
  'meanAbsolutePercentageError',
  'meanSquaredLogarithmicError',
  'squaredHinge',
  'hinge',
  'categoricalHinge',
  'logcosh',
  'categoricalCrossentropy',
  'sparseCategoricalCrossentropy',
  'binaryCrossentropy',
  'kullbackLeiblerDivergence',
  'poisson',
  'cosineProximity',
];

/** Throws a HyperParameterError naming `field` unless `name` is one of tfjs-layers' loss names (the closest one suggested). */
export function checkLossName(field: string, name: unknown): string {
  if (typeof name === 'string' && LOSS_NAMES.includes(name)) return name;
  const hint = typeof name === 'string' ? suggestOption(name, LOSS_NAMES) : undefined;
  throw new HyperParameterError(
    field,
    `${field} must be a tfjs-layers loss name, got ${describeValue(name)}${hint ? ` (did you mean '${hint.key}'?)` : ''}; valid names: ${LOSS_NAMES.join(', ')}`,
  );
}

/** The name of the loss `model.compile` was given (or loaded from the model's training config), when it is one name for one output. */
function compiledLoss(model: LayersModelLike): string | undefined {
  const loss = (model as { loss?: unknown }).loss;
  const one = Array.isArray(loss) && loss.length === 1 ? loss[0] : loss;
  return typeof one === 'string' && LOSS_NAMES.includes(one) ? one : undefined;
}

/** The output layer's activation name: its own `activation` config, or the class of an activation layer (`Softmax`, `Activation`). */
function outputActivation(layer: LayersModelLike['layers'][number]): string | undefined {
  if (layer.getClassName() === 'Softmax') return 'softmax';
  const activation = (layer.getConfig() as { activation?: unknown }).activation;
  return typeof activation === 'string' ? activation : undefined;
}

/**
 * The loss the doctor trains `model` with: `option` when given (a tfjs-layers loss name), else the
 * model's compiled loss (`model.loss`, set by `compile` and by `tf.loadLayersModel` from a model.json
 * with a `training_config`), else inferred from the output layer's activation (softmax →
 * `categoricalCrossentropy`, sigmoid → `binaryCrossentropy`, anything else → `meanSquaredError`),
 * with why (naming the layer). A compiled loss that is a function, or several (one per output), is
 * not a name the doctor can reuse: then the loss is inferred and `why` says so.
 *
 * Keras: what `model.compile(loss=…)` would be given; the inference mirrors Keras' pairing of output
 * activations and losses (softmax with categorical cross-entropy, sigmoid with binary cross-entropy).
 *
 * @throws HyperParameterError naming `loss` for a name tfjs-layers does not know (the valid names
 *   listed), `model` when it is not a tfjs-layers model; ValueError naming `model` when it has no layers.
 * @example
 * ```ts
 * resolveLoss(model); // { value: 'categoricalCrossentropy', source: 'inferred', why: 'the output layer dense_3 has a softmax activation' }
 * ```
 */
export function resolveLoss(model: LayersModelLike, option?: string): DoctorSettings['loss'] {
  if (model === null || typeof model !== 'object' || typeof (model as Partial<LayersModelLike>).getConfig !== 'function')
    throw new HyperParameterError('model', `resolveLoss takes a tfjs-layers model (tf.sequential, tf.model, tf.loadLayersModel), got ${describeValue(model)}`);
  if (option !== undefined) return { value: checkLossName('loss', option), source: 'option' };
  const compiled = compiledLoss(model);
  if (compiled !== undefined) return { value: compiled, source: 'compiled' };
  const layers = (model as { layers?: unknown }).layers;
  const last = Array.isArray(layers) ? (layers[layers.length - 1] as LayersModelLike['layers'][number] | undefined) : undefined;
  if (last === undefined) throw new ValueError('model', 'the model has no layers: the doctor needs a built tfjs-layers model');
  const activation = outputActivation(last);
  const given = (model as { loss?: unknown }).loss;
  const notReusable =
    given === undefined || given === null ? '' : ' (the compiled loss is not one tfjs-layers loss name for one output, so it cannot be reused)';
  const value = activation === 'softmax' ? 'categoricalCrossentropy' : activation === 'sigmoid' ? 'binaryCrossentropy' : 'meanSquaredError';
  return { value, source: 'inferred', why: `the output layer ${last.name} has a ${activation ?? 'linear'} activation${notReusable}` };
}
