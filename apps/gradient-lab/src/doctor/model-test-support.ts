// Test support: a small seeded tfjs-layers MLP and the files tfjs's model.save writes for a model.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { modelToFiles } from './model-artifacts.js';

/** A small seeded MLP: 4 → 6 (tanh, layer 'hidden') → 3 (softmax, layer 'out'), weights 'hidden/kernel' …; compiled with Adam and categorical cross-entropy when `compile`. */
export function mlp(compile = false): tfl.Sequential {
  const model = tfl.sequential({
    layers: [
      tfl.layers.dense({ name: 'hidden', inputShape: [4], units: 6, activation: 'tanh', kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }) }),
      tfl.layers.dense({ name: 'out', units: 3, activation: 'softmax', kernelInitializer: tfl.initializers.glorotUniform({ seed: 2 }) }),
    ],
  });
  if (compile) model.compile({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy' });
  return model;
}

/** `model` (default: a fresh `mlp()`) and its saved files: model.json's object and `weights.bin` by name. */
export async function savedFiles(model: tfl.LayersModel = mlp()) {
  const { modelJson, weightsBin } = await modelToFiles(model);
  return { model, json: modelJson as tf.io.ModelJSON & { weightsManifest: tf.io.WeightsManifestConfig }, weights: new Map([['weights.bin', weightsBin]]) };
}
