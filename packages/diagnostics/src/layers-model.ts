// Copies of a tfjs-layers model made with the model's own classes (its constructor's `fromConfig`),
// so this package never imports @tensorflow/tfjs-layers and a copy always belongs to the same
// tfjs-layers instance as the user's model. A copy may have an edited config (another activation,
// an inserted layer); each of its layers whose name and weight shapes match the original's gets the
// original's weights (copies of them), the others keep their fresh initialization.
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModelLike } from './doctor-types.js';

/** A tfjs-layers config object (`model.getConfig()`), in tfjs-layers' snake_case keys. */
export type LayersConfig = { [key: string]: unknown };

interface ModelClass {
  fromConfig(cls: ModelClass, config: LayersConfig): LayersModelLike;
}

interface LayerWithWeights {
  readonly name: string;
  getWeights(): tf.Tensor[];
  setWeights(weights: tf.Tensor[]): void;
}

const layersOf = (model: LayersModelLike) => model.layers as unknown as readonly LayerWithWeights[];

/**
 * A new model from `model`'s config (edited by `edit`, which gets a deep copy) with the original's
 * weights in every layer whose name and weight shapes match, except the layers `fresh` names (they
 * keep the initialization of their config). The copy is not compiled; it is the caller's to dispose.
 */
export function copyLayersModel(
  model: LayersModelLike,
  edit?: (config: LayersConfig) => LayersConfig,
  fresh: ReadonlySet<string> = new Set(),
): LayersModelLike {
  const cls = model.constructor as unknown as ModelClass;
  const config = structuredClone(model.getConfig()) as LayersConfig;
  // Built inside tidy: a layer's initializer may leave tensors behind (tfjs-layers' LSTM with unitForgetBias
  // leaves 4); the weights are variables, which tidy keeps.
  let copy: LayersModelLike | undefined;
  tf.tidy(() => {
    copy = cls.fromConfig(cls, edit ? edit(config) : config);
  });
  if (copy === undefined) throw new Error('copyLayersModel: the model class built nothing');
  const originals = new Map(layersOf(model).map((l) => [l.name, l]));
  for (const layer of layersOf(copy)) {
    const original = originals.get(layer.name);
    if (original === undefined || fresh.has(layer.name)) continue;
    const from = original.getWeights();
    const to = layer.getWeights();
    const same = from.length === to.length && from.every((w, i) => tf.util.arraysEqual(w.shape, (to[i] as tf.Tensor).shape));
    if (same && from.length > 0) layer.setWeights(from);
  }
  return copy;
}
