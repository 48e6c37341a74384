// saveModelToDir writes what tfjs-node's file:// handler writes, and the files load back with tfjs's
// own reader (tf.io.getModelArtifactsForJSON + tfl.loadLayersModel, the path of tfjs-node's
// `loadLayersModel('file://…')`) to the same weights and predictions; loadModelFromDisk reads a
// directory or a model.json path; a missing path, a directory without model.json, existing files:
// DoctorInputError, nothing written.
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DoctorInputError } from './doctor-errors.js';
import { loadModelFromDisk, saveModelToDir } from './model-files.js';
import { mlp } from './model-test-support.js';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'doctor-files-'));
});
afterAll(() => rm(root, { recursive: true, force: true }));

/** tfjs's own reading of a saved directory (what tfjs-node's file:// loader does). */
async function loadWithTfjs(dir: string): Promise<tfl.LayersModel> {
  const json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8')) as tf.io.ModelJSON;
  const artifacts = await tf.io.getModelArtifactsForJSON(json, async (manifest) => {
    const buffers = await Promise.all(manifest[0]?.paths.map((p) => readFile(join(dir, p))) ?? []);
    const data = tf.io.concatenateArrayBuffers(buffers.map((b) => new Uint8Array(b).slice().buffer));
    return [manifest.flatMap((g) => g.weights), data];
  });
  return tfl.loadLayersModel(tf.io.fromMemory(artifacts));
}

async function values(ts: readonly tf.Tensor[]): Promise<number[][]> {
  return Promise.all(ts.map(async (t) => Array.from(await t.data())));
}

describe('saveModelToDir', () => {
  it("writes tfjs's file:// format, which tfjs loads back to the same weights and predictions", async () => {
    const model = mlp(true);
    const dir = join(root, 'saved', 'nested');
    const result = await saveModelToDir(model, dir);
    expect(result).toEqual({ modelJsonPath: join(dir, 'model.json'), weightsPath: join(dir, 'weights.bin'), hasTrainingConfig: true });
    expect((await readdir(dir)).sort()).toEqual(['model.json', 'weights.bin']);
    const json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8'));
    expect(Object.keys(json)).toEqual(['modelTopology', 'format', 'generatedBy', 'convertedBy', 'weightsManifest', 'trainingConfig']);
    expect(json.format).toBe('layers-model');
    expect(json.generatedBy).toMatch(/^TensorFlow\.js tfjs-layers v4\.22\.0$/);
    expect(json.convertedBy).toBeNull();
    expect(json.weightsManifest).toHaveLength(1);
    expect(json.weightsManifest[0].paths).toEqual(['weights.bin']);
    // 4·6 + 6 + 6·3 + 3 = 51 float32 weights = 204 bytes
    expect(json.weightsManifest[0].weights.map((w: { shape: number[] }) => w.shape)).toEqual([[4, 6], [6], [6, 3], [3]]);
    expect((await readFile(join(dir, 'weights.bin'))).byteLength).toBe(204);
    expect(json.trainingConfig.loss).toBe('categorical_crossentropy'); // tfjs writes Keras's spelling
    expect(json.trainingConfig.optimizer_config.class_name).toBe('Adam');

    const back = await loadWithTfjs(dir);
    expect(await values(back.getWeights())).toEqual(await values(model.getWeights()));
    const x = tf.tensor2d([0.5, -1, 2, 0.25, -0.3, 0.7, 0.1, -2], [2, 4]);
    const [p, q] = [model.predict(x) as tf.Tensor, back.predict(x) as tf.Tensor];
    expect(Array.from(await q.data())).toEqual(Array.from(await p.data()));
    tf.dispose([x, p, q]);
    back.dispose();
    model.dispose();
  });

  it('leaves the training config out of an uncompiled model', async () => {
    const model = mlp(false);
    const dir = join(root, 'uncompiled');
    expect((await saveModelToDir(model, dir)).hasTrainingConfig).toBe(false);
    expect(Object.keys(JSON.parse(await readFile(join(dir, 'model.json'), 'utf8')))).not.toContain('trainingConfig');
    model.dispose();
  });

  it('refuses to overwrite model.json or weights.bin, and writes nothing', async () => {
    const model = mlp(false);
    for (const existing of ['model.json', 'weights.bin']) {
      const dir = join(root, `occupied-${existing}`);
      await mkdir(dir);
      await writeFile(join(dir, existing), 'mine');
      const error = await saveModelToDir(model, dir).catch((e) => e);
      expect(error).toBeInstanceOf(DoctorInputError);
      expect(error.message).toBe(
        `${join(dir, existing)} already exists: the doctor never overwrites a file; name a new directory (or move the old model away)`,
      );
      expect(await readdir(dir)).toEqual([existing]);
      expect(await readFile(join(dir, existing), 'utf8')).toBe('mine');
    }
    model.dispose();
  });
});

describe('loadModelFromDisk', () => {
  it('loads a directory or its model.json, with the shapes, activation and training config', async () => {
    const model = mlp(true);
    const dir = join(root, 'to-load');
    await saveModelToDir(model, dir);
    for (const path of [dir, join(dir, 'model.json')]) {
      const loaded = await loadModelFromDisk(path);
      expect(loaded.modelJsonPath).toBe(join(dir, 'model.json'));
      expect(loaded.hasTrainingConfig).toBe(true);
      expect(loaded.inputShape).toEqual([4]);
      expect(loaded.outputShape).toEqual([3]);
      expect(loaded.outputActivation).toBe('softmax');
      expect(loaded.model.loss).toBe('categoricalCrossentropy'); // compiled from the training config
      expect(await values(loaded.model.getWeights())).toEqual(await values(model.getWeights()));
      loaded.model.dispose();
    }
    model.dispose();
  });

  it('leaks no tensors beyond the model it returns', async () => {
    const model = mlp(false);
    const dir = join(root, 'leaks');
    await saveModelToDir(model, dir);
    model.dispose();
    await expectNoLeaks(async () => (await loadModelFromDisk(dir)).model.dispose());
  });

  it('names a missing path and a directory without model.json', async () => {
    const missing = join(root, 'nowhere');
    await expect(loadModelFromDisk(missing)).rejects.toThrow(
      new DoctorInputError(missing, `${missing} does not exist: give a directory holding model.json, or the path of a model.json`),
    );
    const empty = join(root, 'empty-dir');
    await mkdir(empty);
    await expect(loadModelFromDisk(empty)).rejects.toThrow(
      `${empty} holds no model.json: give the directory tfjs's model.save wrote to (model.json + weights), or the model.json itself`,
    );
  });
});
