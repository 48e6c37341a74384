import { HyperParameterError } from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { asTarget } from './doctor-test-support.js';
import { resolveLoss } from './index.js';

const model = (output: tfl.layers.Layer[]) =>
  tfl.sequential({ layers: [tfl.layers.dense({ units: 4, inputShape: [3], activation: 'relu', name: 'hidden' }), ...output] });
const dense = (activation?: 'softmax' | 'sigmoid' | 'relu' | 'linear') => tfl.layers.dense({ units: 2, name: 'out', ...(activation ? { activation } : {}) });

/** The model.json + weights tfjs's `model.save` writes (kept in memory), loaded back with tfjs-layers' own loader. */
async function saveAndLoad(m: tfl.LayersModel, includeOptimizer: boolean): Promise<tfl.LayersModel> {
  let saved: tf.io.ModelArtifacts | undefined;
  await m.save(
    tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
    { includeOptimizer },
  );
  return tfl.loadLayersModel(tf.io.fromMemory(saved as tf.io.ModelArtifacts));
}

describe('resolveLoss', () => {
  it('infers the loss from the output activation, naming the layer', () => {
    const cases = [
      [[dense('softmax')], 'categoricalCrossentropy', 'the output layer out has a softmax activation'],
      [[dense('sigmoid')], 'binaryCrossentropy', 'the output layer out has a sigmoid activation'],
      [[dense('relu')], 'meanSquaredError', 'the output layer out has a relu activation'],
      [[dense()], 'meanSquaredError', 'the output layer out has a linear activation'],
      [[dense(), tfl.layers.softmax({ name: 'probs' })], 'categoricalCrossentropy', 'the output layer probs has a softmax activation'],
    ] as const;
    for (const [layers, value, why] of cases) {
      const m = model([...layers]);
      expect(resolveLoss(asTarget(m))).toEqual({ value, source: 'inferred', why });
      m.dispose();
    }
  });

  it('prefers the option, then the compiled loss (also from a model.json with a training config)', async () => {
    const m = model([dense('softmax')]);
    expect(resolveLoss(asTarget(m), 'meanSquaredError')).toEqual({ value: 'meanSquaredError', source: 'option' });
    m.compile({ optimizer: 'sgd', loss: 'meanAbsoluteError' });
    expect(resolveLoss(asTarget(m))).toEqual({ value: 'meanAbsoluteError', source: 'compiled' });
    const withConfig = await saveAndLoad(m, true);
    expect(resolveLoss(asTarget(withConfig))).toEqual({ value: 'meanAbsoluteError', source: 'compiled' });
    const without = await saveAndLoad(m, false);
    expect(resolveLoss(asTarget(without))).toMatchObject({ value: 'categoricalCrossentropy', source: 'inferred' });
    m.compile({ optimizer: 'sgd', loss: ['hinge'] });
    expect(resolveLoss(asTarget(m))).toEqual({ value: 'hinge', source: 'compiled' });
    m.compile({ optimizer: 'sgd', loss: (a: tf.Tensor, b: tf.Tensor) => tf.losses.absoluteDifference(a, b) });
    expect(resolveLoss(asTarget(m))).toEqual({
      value: 'categoricalCrossentropy',
      source: 'inferred',
      why: 'the output layer out has a softmax activation (the compiled loss is not one tfjs-layers loss name for one output, so it cannot be reused)',
    });
    for (const x of [m, withConfig, without]) x.dispose();
  });

  it('rejects a loss name tfjs-layers does not know, naming loss and the valid names', () => {
    const m = model([dense('softmax')]);
    const err = (() => {
      try {
        resolveLoss(asTarget(m), 'categorical_crossentropy');
      } catch (e) {
        return e;
      }
    })() as HyperParameterError;
    expect(err).toBeInstanceOf(HyperParameterError);
    expect(err.field).toBe('loss');
    expect(err.message).toContain("did you mean 'categoricalCrossentropy'?");
    expect(err.message).toContain('sparseCategoricalCrossentropy');
    expect(() => resolveLoss(asTarget(m), 3 as never)).toThrow(HyperParameterError);
    m.dispose();
  });
});
