// artifactsFromFiles + loadLayersModelFromArtifacts on the files tfjs's model.save writes (captured
// with tf.io.withSaveHandler), and on those files broken one way at a time: each is a
// DoctorInputError with the exact message.
import { expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { DoctorInputError } from './doctor-errors.js';
import { artifactsFromFiles, loadLayersModelFromArtifacts } from './model-artifacts.js';
import { mlp, savedFiles } from './model-test-support.js';

const SRC = 'm/model.json';

async function rejection(run: () => Promise<unknown> | unknown): Promise<DoctorInputError> {
  try {
    await run();
  } catch (e) {
    expect(e).toBeInstanceOf(DoctorInputError);
    return e as DoctorInputError;
  }
  throw new Error('expected a DoctorInputError');
}

describe('artifactsFromFiles + loadLayersModelFromArtifacts', () => {
  it('loads the saved model to the same predictions, with its shapes and no training config', async () => {
    const { model, json, weights } = await savedFiles();
    const loaded = await loadLayersModelFromArtifacts(artifactsFromFiles(JSON.stringify(json), weights, SRC), SRC);
    expect(loaded.hasTrainingConfig).toBe(false);
    expect(loaded.inputShape).toEqual([4]);
    expect(loaded.outputShape).toEqual([3]);
    expect(loaded.outputActivation).toBe('softmax');
    const x = tf.tensor2d([1, 2, 3, 4], [1, 4]);
    const [p, q] = [model.predict(x) as tf.Tensor, loaded.model.predict(x) as tf.Tensor];
    expect(Array.from(await q.data())).toEqual(Array.from(await p.data()));
    tf.dispose([x, p, q]);
    loaded.model.dispose();
    model.dispose();
  });

  it('finds a weight path by its base name, and keeps a free time dimension as null', async () => {
    const rnn = tfl.sequential({ layers: [tfl.layers.simpleRNN({ inputShape: [null, 3], units: 5 }), tfl.layers.dense({ units: 1 })] });
    const { json, weights } = await savedFiles(rnn);
    const bytes = new TextEncoder().encode(JSON.stringify(json));
    const loaded = await loadLayersModelFromArtifacts(artifactsFromFiles(bytes, new Map([['weights.bin', weights.get('weights.bin') as Uint8Array]]), SRC));
    expect(loaded.inputShape).toEqual([null, 3]);
    expect(loaded.outputShape).toEqual([1]);
    expect(loaded.outputActivation).toBe('linear');
    loaded.model.dispose();
    rnn.dispose();
  });

  it("reads the converter's layout: topology under model_config, weights in two shards", async () => {
    const { model, json, weights } = await savedFiles();
    const bin = weights.get('weights.bin') as Uint8Array;
    const converted = {
      format: 'layers-model',
      generatedBy: 'keras v2.13.1',
      convertedBy: 'TensorFlow.js Converter v4.22.0',
      modelTopology: { keras_version: '2.13.1', backend: 'tensorflow', model_config: json.modelTopology },
      weightsManifest: [{ paths: ['group1-shard1of2.bin', 'group1-shard2of2.bin'], weights: json.weightsManifest[0]?.weights }],
    };
    const shards = new Map([
      ['group1-shard1of2.bin', bin.slice(0, 100)],
      ['group1-shard2of2.bin', bin.slice(100)],
    ]);
    const loaded = await loadLayersModelFromArtifacts(artifactsFromFiles(JSON.stringify(converted), shards, SRC), SRC);
    const read = async (m: tfl.LayersModel) => Promise.all(m.getWeights().map(async (w) => Array.from(await w.data())));
    expect(await read(loaded.model)).toEqual(await read(model));
    const missing = new Map([['group1-shard1of2.bin', bin.slice(0, 100)]]);
    expect((await rejection(() => artifactsFromFiles(JSON.stringify(converted), missing, SRC))).message).toBe(
      `${SRC} names the weight file group1-shard2of2.bin, which is missing (given: group1-shard1of2.bin): put it beside model.json (or select it with model.json)`,
    );
    loaded.model.dispose();
    model.dispose();
  });

  it('rejects model.json that is not JSON, empty, or not a layers model', async () => {
    const { model, weights } = await savedFiles();
    model.dispose();
    const fix = `give the model.json that tfjs's model.save wrote (it holds "modelTopology" and "weightsManifest")`;
    expect((await rejection(() => artifactsFromFiles('{"modelTopology": ', weights, SRC))).message).toMatch(
      new RegExp(`^m/model\\.json is not valid JSON \\(.+\\): ${fix.replace(/[()".]/g, '\\$&')}$`),
    );
    expect((await rejection(() => artifactsFromFiles(' \n', weights, SRC))).message).toBe(`${SRC} is empty: ${fix}`);
    expect((await rejection(() => artifactsFromFiles(new Uint8Array([0xff, 0xfe, 0x00]), weights, SRC))).message).toBe(
      `${SRC} is not text (not UTF-8): ${fix}`,
    );
    expect((await rejection(() => artifactsFromFiles('[1, 2]', weights, SRC))).message).toBe(`${SRC} is not a JSON object: ${fix}`);
    const noTopology = await rejection(() => artifactsFromFiles('{"weightsManifest": []}', weights, SRC));
    expect(noTopology.message).toBe(
      `${SRC} has no "modelTopology": it is not a tfjs-layers model.json (a graph model from tensorflowjs_converter is not supported; save a tfjs-layers model with model.save)`,
    );
    expect(noTopology.file).toBe(SRC);
    expect((await rejection(() => artifactsFromFiles('{"modelTopology": {}}', weights, SRC))).message).toBe(
      `${SRC} has no "weightsManifest" list: re-save the model with tfjs's model.save, which writes it`,
    );
  });

  it('rejects a missing weight file and weights of the wrong size', async () => {
    const { model, json, weights } = await savedFiles();
    model.dispose();
    const text = JSON.stringify(json);
    expect((await rejection(() => artifactsFromFiles(text, new Map([['other.bin', new Uint8Array(4)]]), SRC))).message).toBe(
      `${SRC} names the weight file weights.bin, which is missing (given: other.bin): put it beside model.json (or select it with model.json)`,
    );
    const bin = weights.get('weights.bin') as Uint8Array;
    // 4·6 + 6 + 6·3 + 3 = 51 float32 weights = 204 bytes
    expect(bin.byteLength).toBe(204);
    const truncated = await rejection(() => artifactsFromFiles(text, new Map([['weights.bin', bin.slice(0, 200)]]), SRC));
    expect(truncated.message).toBe(
      `weights.bin holds 200 bytes, but ${SRC} describes 4 weights of 204 bytes: the weights do not belong to this model.json (or were truncated); give the files model.save wrote together`,
    );
    expect(truncated.what).toBe('weights.bin');
  });

  it('names the weight whose name, shape or presence does not match the model', async () => {
    const { model, json, weights } = await savedFiles();
    const specs = json.weightsManifest[0]?.weights as tf.io.WeightsManifestEntry[];
    const kernel = specs[0]?.name as string;
    const bias = specs[1]?.name as string;
    expect(kernel).toMatch(/\/kernel$/);
    const edit =
      (change: (w: tf.io.WeightsManifestEntry[]) => tf.io.WeightsManifestEntry[], bytes = weights) =>
      async () =>
        loadLayersModelFromArtifacts(
          artifactsFromFiles(
            JSON.stringify({ ...json, weightsManifest: [{ paths: ['weights.bin'], weights: change(specs.map((s) => ({ ...s }))) }] }),
            bytes,
            SRC,
          ),
          SRC,
        );
    const fix = 'the weights were saved from another model: give the model.json and weight files that one model.save wrote';

    const renamed = await rejection(edit((w) => w.map((s, i) => (i === 1 ? { ...s, name: 'dense_9/bias' } : s))));
    expect(renamed.message).toBe(`${SRC}: the model's weight ${bias} (shape [6]) is not in weightsManifest; ${fix}`);
    expect(renamed.what).toBe(bias);

    const transposed = await rejection(edit((w) => w.map((s, i) => (i === 0 ? { ...s, shape: [6, 4] } : s))));
    expect(transposed.message).toBe(`${SRC}: weight ${kernel} is saved as float32 [6,4], but the model's layer takes float32 [4,6]; ${fix}`);

    const extraBytes = new Map([['weights.bin', new Uint8Array([...(weights.get('weights.bin') as Uint8Array), 0, 0, 0, 0])]]);
    const extra = await rejection(edit((w) => [...w, { name: 'stray/w', shape: [1], dtype: 'float32' }], extraBytes));
    expect(extra.message).toBe(`${SRC}: weightsManifest holds weight stray/w, which no layer of the model has; ${fix}`);
    model.dispose();
  });

  it('rejects a topology tfjs-layers cannot build, and a model with two inputs', async () => {
    const { model, json, weights } = await savedFiles();
    model.dispose();
    const bad = await rejection(async () =>
      loadLayersModelFromArtifacts(artifactsFromFiles(JSON.stringify({ ...json, modelTopology: { class_name: 'NotALayer', config: {} } }), weights, SRC), SRC),
    );
    expect(bad.message).toMatch(
      /^m\/model\.json: tfjs-layers cannot build its modelTopology \(.*NotALayer.*\): it must be a model saved by tfjs-layers' model\.save \(custom layers are not supported\)$/,
    );
    const [a, b] = [tfl.input({ shape: [2] }), tfl.input({ shape: [2] })];
    const two = tfl.model({ inputs: [a, b], outputs: tfl.layers.dense({ units: 1 }).apply(tfl.layers.concatenate().apply([a, b])) as tfl.SymbolicTensor });
    const saved = await savedFiles(two);
    const error = await rejection(async () => loadLayersModelFromArtifacts(artifactsFromFiles(JSON.stringify(saved.json), saved.weights, SRC), SRC));
    expect(error.message).toBe(`${SRC}: the model has 2 inputs; the doctor takes a model with one input and one output`);
    two.dispose();
  });
});

describe('loadLayersModelFromArtifacts, refusals', () => {
  it('leaves no tensors behind when the weights do not fit', async () => {
    const { model, json, weights } = await savedFiles();
    model.dispose();
    const [group] = json.weightsManifest;
    const specs = group?.weights.map((w) => (w.name === 'hidden/kernel' ? { ...w, shape: [6, 4] } : w));
    const text = JSON.stringify({ ...json, weightsManifest: [{ ...group, weights: specs }] });
    await expectNoLeaks(async () => {
      const error = await rejection(() => loadLayersModelFromArtifacts(artifactsFromFiles(text, weights, SRC), SRC));
      expect(error.what).toBe('hidden/kernel');
    });
  });

  it('names a training config tfjs-layers cannot compile', async () => {
    const { model, json, weights } = await savedFiles(mlp(true));
    model.dispose();
    const trainingConfig = { loss: 'categorical_crossentropy', metrics: [], optimizer_config: { class_name: 'NoSuchOptimizer', config: {} } };
    const error = await rejection(() => loadLayersModelFromArtifacts(artifactsFromFiles(JSON.stringify({ ...json, trainingConfig }), weights, SRC), SRC));
    expect(error.what).toBe('trainingConfig');
    expect(error.message).toMatch(
      /^m\/model\.json: tfjs-layers cannot compile the model from its trainingConfig \(.*NoSuchOptimizer.*\): re-save it without the optimizer/,
    );
  });
});
