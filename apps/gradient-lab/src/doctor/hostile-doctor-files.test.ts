// The hostile user of the doctor's file readers and writer: every bad input of issue 17 (a missing or
// corrupt model.json, weights that do not match, data whose width does not match the model, labels
// that do not fit the output, an empty file, a non-numeric cell) and careless arguments. Each must be
// a typed GradkitError (DoctorInputError for the user's files) naming the file, column, weight or
// option; a refused save writes nothing (checked in the case, before the error is rethrown).
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hostileCases } from '@gradkit/testing';
import { afterAll, describe, expect } from 'vitest';
import { type DatasetExpect, readDataset, toDoctorData } from './data-files.js';
import { artifactsFromFiles, loadLayersModelFromArtifacts, modelToFiles } from './model-artifacts.js';
import { loadModelFromDisk, saveModelToDir } from './model-files.js';
import { mlp, savedFiles } from './model-test-support.js';

const bad = (x: unknown) => x as never;
const text = (s: string) => new TextEncoder().encode(s);
const expectFour: DatasetExpect = { inputShape: [3], outputUnits: 3, outputActivation: 'softmax' };
const csv =
  (s: string, e: object = expectFour) =>
  () =>
    readDataset(text(s), 'data.csv', bad(e));
const good = 'x1,x2,x3,y\n1,2,3,0\n4,5,6,1\n';

let root: string | undefined;
async function tmp(name: string): Promise<string> {
  root ??= await mkdtemp(join(tmpdir(), 'hostile-doctor-files-'));
  const dir = join(root, name);
  await mkdir(dir, { recursive: true });
  return dir;
}
afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

/** A saved model directory (model.json + weights.bin) with `change` applied to its files. */
async function savedDir(name: string, change: (json: Record<string, unknown>, bin: Uint8Array) => { json?: string; bin?: Uint8Array } = () => ({})) {
  const { model, json, weights } = await savedFiles();
  model.dispose();
  const dir = await tmp(name);
  const out = change(json as unknown as Record<string, unknown>, weights.get('weights.bin') as Uint8Array);
  await writeFile(join(dir, 'model.json'), out.json ?? JSON.stringify(json));
  if (out.bin !== undefined || !('bin' in out)) await writeFile(join(dir, 'weights.bin'), out.bin ?? (weights.get('weights.bin') as Uint8Array));
  return dir;
}

/** Runs a refused save and checks that `dir` holds exactly what it held before, then rethrows. */
async function refusedSave(dir: string) {
  const before = await readdir(dir).catch(() => null);
  const model = mlp();
  try {
    await saveModelToDir(model, dir);
  } catch (e) {
    expect(await readdir(dir).catch(() => null)).toEqual(before);
    throw e;
  } finally {
    model.dispose();
  }
}

describe('doctor files, hostile', () => {
  hostileCases([
    // model.json and its weights, on disk
    { input: "loadModelFromDisk('')", names: 'model', run: () => loadModelFromDisk('') },
    { input: 'loadModelFromDisk(a path that does not exist)', names: '/nonexistent/model-dir', run: () => loadModelFromDisk('/nonexistent/model-dir') },
    { input: 'loadModelFromDisk(a directory without model.json)', names: 'empty', run: async () => loadModelFromDisk(await tmp('empty')) },
    {
      input: 'loadModelFromDisk(model.json that is not JSON)',
      names: 'model.json',
      run: async () => loadModelFromDisk(join(await savedDir('corrupt', () => ({ json: '{"modelTopology": {' })), 'model.json')),
    },
    {
      input: 'loadModelFromDisk(an empty model.json)',
      names: 'model.json',
      run: async () => loadModelFromDisk(await savedDir('empty-json', () => ({ json: '' }))),
    },
    {
      input: 'loadModelFromDisk(model.json without modelTopology)',
      names: 'modelTopology',
      run: async () => loadModelFromDisk(await savedDir('no-topology', (j) => ({ json: JSON.stringify({ ...j, modelTopology: undefined }) }))),
    },
    {
      input: 'loadModelFromDisk(model.json without weightsManifest)',
      names: 'weightsManifest',
      run: async () => loadModelFromDisk(await savedDir('no-manifest', (j) => ({ json: JSON.stringify({ ...j, weightsManifest: undefined }) }))),
    },
    {
      input: 'loadModelFromDisk(weights.bin missing)',
      names: 'weights.bin',
      run: async () => loadModelFromDisk(await savedDir('no-bin', () => ({ bin: undefined }))),
    },
    {
      input: 'loadModelFromDisk(weights.bin truncated)',
      names: 'weights.bin',
      run: async () => loadModelFromDisk(await savedDir('short-bin', (_, bin) => ({ bin: bin.slice(0, bin.byteLength - 4) }))),
    },
    {
      input: 'loadModelFromDisk(weights of another shape)',
      names: 'hidden/kernel',
      run: async () =>
        loadModelFromDisk(
          await savedDir('other-shape', (j) => {
            const [group] = j.weightsManifest as { weights: { name: string; shape: number[] }[] }[];
            const weights = group?.weights.map((w) => (w.name === 'hidden/kernel' ? { ...w, shape: [6, 4] } : w));
            return { json: JSON.stringify({ ...j, weightsManifest: [{ ...group, weights }] }) };
          }),
        ),
    },
    {
      input: 'loadModelFromDisk(weights saved under other names)',
      names: 'out/bias',
      run: async () => loadModelFromDisk(await savedDir('other-names', (j) => ({ json: JSON.stringify(j).replace('"out/bias"', '"output/bias"') }))),
    },
    {
      input: 'loadLayersModelFromArtifacts(a topology tfjs-layers cannot build)',
      names: 'modelTopology',
      run: async () => {
        const { model, json, weights } = await savedFiles();
        model.dispose();
        return loadLayersModelFromArtifacts(
          artifactsFromFiles(JSON.stringify({ ...json, modelTopology: { class_name: 'Nope', config: {} } }), weights, 'model.json'),
        );
      },
    },
    { input: 'artifactsFromFiles(model.json as an array)', names: 'model.json', run: () => artifactsFromFiles('[]', new Map(), 'model.json') },
    { input: 'artifactsFromFiles(42, weights, source)', names: 'modelJson', run: () => artifactsFromFiles(bad(42), new Map(), 'model.json') },
    {
      input: 'artifactsFromFiles(json, { "weights.bin": bytes }, source) (not a Map)',
      names: 'weights',
      run: () => artifactsFromFiles('{}', bad({ 'weights.bin': new Uint8Array(4) }), 'model.json'),
    },
    {
      input: 'artifactsFromFiles(json, Map of strings, source)',
      names: 'weights',
      run: () => artifactsFromFiles('{}', bad(new Map([['weights.bin', 'AAAA']])), 'model.json'),
    },
    { input: 'artifactsFromFiles(json, weights, undefined)', names: 'source', run: () => artifactsFromFiles('{}', new Map(), bad(undefined)) },
    { input: 'loadLayersModelFromArtifacts(null)', names: 'artifacts', run: () => loadLayersModelFromArtifacts(bad(null)) },
    { input: "loadLayersModelFromArtifacts('model.json') (a path)", names: 'artifacts', run: () => loadLayersModelFromArtifacts(bad('model.json')) },
    { input: 'loadModelFromDisk(42)', names: 'model', run: () => loadModelFromDisk(bad(42)) },
    { input: 'saveModelToDir({}, dir) (not a model)', names: 'model', run: async () => saveModelToDir(bad({}), await tmp('not-a-model')) },
    { input: 'modelToFiles(undefined)', names: 'model', run: () => modelToFiles(bad(undefined)) },
    // saving: never overwrite
    {
      input: 'saveModelToDir(model, a directory holding model.json)',
      names: 'model.json',
      run: async () => {
        const dir = await tmp('has-json');
        await writeFile(join(dir, 'model.json'), 'mine');
        await refusedSave(dir).finally(async () => expect(await readFile(join(dir, 'model.json'), 'utf8')).toBe('mine'));
      },
    },
    {
      input: 'saveModelToDir(model, a directory holding weights.bin)',
      names: 'weights.bin',
      run: async () => {
        const dir = await tmp('has-bin');
        await writeFile(join(dir, 'weights.bin'), 'mine');
        await refusedSave(dir);
      },
    },
    {
      input: 'saveModelToDir(model, a file)',
      names: 'a-file',
      run: async () => {
        const file = join(await tmp('file-parent'), 'a-file');
        await writeFile(file, 'mine');
        await refusedSave(file).catch(async (e) => {
          expect(await readFile(file, 'utf8')).toBe('mine');
          throw e;
        });
      },
    },
    { input: "saveModelToDir(model, '')", names: 'save', run: () => refusedSave('') },
    // data files: the user's mistakes
    { input: 'readDataset(an empty file)', names: 'data.csv', run: csv('') },
    { input: 'readDataset(a header and no rows)', names: 'data.csv', run: csv('x1,x2,x3,y\n') },
    { input: 'readDataset(no header row)', names: 'data.csv', run: csv('1,2,3,0\n') },
    { input: 'readDataset(a non-numeric cell)', names: 'x3', run: csv('x1,x2,x3,y\n1,2,3,0\n4,5,abc,1\n') },
    { input: 'readDataset(an empty cell)', names: 'x1', run: csv('x1,x2,x3,y\n,2,3,0\n') },
    { input: 'readDataset(a cell of NaN)', names: 'x2', run: csv('x1,x2,x3,y\n1,NaN,3,0\n') },
    { input: 'readDataset(a cell beyond float32)', names: 'x2', run: csv('x1,x2,x3,y\n1,1e39,3,0\n') },
    { input: 'readDataset(a ragged row)', names: 'data.csv', run: csv(`${good}1,2,0\n`) },
    { input: 'readDataset(an unclosed quote)', names: 'data.csv', run: csv('x1,x2,x3,y\n"1,2,3,0\n') },
    { input: 'readDataset(too few feature columns)', names: 'data.csv', run: csv('x1,x2,y\n1,2,0\n') },
    { input: 'readDataset(too many feature columns)', names: 'data.csv', run: csv('a,b,c,d,y\n1,2,3,4,0\n') },
    { input: "readDataset(a ';'-separated file)", names: 'data.csv', run: csv('x1;x2;x3;y\n1;2;3;0\n') },
    { input: 'readDataset(a class beyond the output units)', names: 'data.csv', run: csv('x1,x2,x3,y\n1,2,3,3\n') },
    { input: 'readDataset(a negative class)', names: 'data.csv', run: csv('x1,x2,x3,y\n1,2,3,-1\n') },
    {
      input: 'readDataset(class 2 for one sigmoid unit)',
      names: 'data.csv',
      run: csv(good.replace(',1\n', ',2\n'), { inputShape: [3], outputUnits: 1, outputActivation: 'sigmoid' }),
    },
    { input: 'readDataset(more class names than units)', names: 'data.csv', run: csv('x1,x2,x3,y\n1,2,3,a\n1,2,3,b\n1,2,3,c\n1,2,3,d\n') },
    { input: 'readDataset(an empty label)', names: 'data.csv', run: csv('x1,x2,x3,y\n1,2,3,a\n1,2,3, \n') },
    {
      input: 'readDataset(text targets, task regress)',
      names: 'data.csv',
      run: csv('x1,x2,x3,y\n1,2,3,a\n', { inputShape: [3], outputUnits: 1, task: 'regress' }),
    },
    { input: 'readDataset(a fractional class, task classify)', names: 'data.csv', run: csv('x1,x2,x3,y\n1,2,3,0.5\n', { ...expectFour, task: 'classify' }) },
    { input: "readDataset(label: 'species', no such column)", names: 'species', run: csv(good, { ...expectFour, label: 'species' }) },
    { input: 'readDataset(data.xlsx)', names: 'data.xlsx', run: () => readDataset(text(good), 'data.xlsx', expectFour) },
    { input: 'readDataset(binary bytes as CSV)', names: 'data.csv', run: () => readDataset(new Uint8Array([0xff, 0xfe, 0xfd]), 'data.csv', expectFour) },
    {
      input: 'readDataset(JSON with x and y of other lengths)',
      names: 'y',
      run: () => readDataset(text('{"x": [[1,2,3]], "y": [0, 1]}'), 'data.json', expectFour),
    },
    { input: 'readDataset(JSON rows of another width)', names: 'data.json', run: () => readDataset(text('{"x": [[1,2]], "y": [0]}'), 'data.json', expectFour) },
    { input: 'readDataset(JSON null feature)', names: 'data.json', run: () => readDataset(text('{"x": [[1,null,3]], "y": [0]}'), 'data.json', expectFour) },
    { input: 'readDataset(.npy that is not one)', names: 'data.npy', run: () => readDataset(text('x1,x2\n'), 'data.npy', expectFour) },
    // careless arguments
    { input: 'readDataset(a string instead of bytes)', names: 'bytes', run: () => readDataset(bad(good), 'data.csv', expectFour) },
    { input: 'readDataset(bytes, undefined)', names: 'fileName', run: () => readDataset(text(good), bad(undefined), expectFour) },
    { input: 'readDataset(bytes, name) (no expect)', names: 'options', run: () => readDataset(text(good), 'data.csv', bad(undefined)) },
    { input: 'readDataset(…, { num_classes: 3 }) (PyTorch)', names: 'num_classes', run: csv(good, { ...expectFour, num_classes: 3 }) },
    { input: 'readDataset(…, { outputShape: [3] })', names: 'outputShape', run: csv(good, { inputShape: [3], outputUnits: 3, outputShape: [3] }) },
    ...([0, -1, 2.5, Number.NaN, null, '3'] as const).map((outputUnits) => ({
      input: `readDataset(…, { outputUnits: ${typeof outputUnits === 'string' ? `'${outputUnits}'` : String(outputUnits)} })`,
      names: 'outputUnits',
      run: csv(good, { inputShape: [3], outputUnits }),
    })),
    ...([[], [0], [3, -1], [null, null], '3', null] as const).map((inputShape) => ({
      input: `readDataset(…, { inputShape: ${JSON.stringify(inputShape)} })`,
      names: 'inputShape',
      run: csv(good, { inputShape, outputUnits: 3 }),
    })),
    { input: "readDataset(…, { task: 'classification' })", names: 'task', run: csv(good, { ...expectFour, task: 'classification' }) },
    { input: "readDataset(…, { label: '' })", names: 'label', run: csv(good, { ...expectFour, label: '' }) },
    { input: "toDoctorData(data, 'crossEntropy')", names: 'loss', run: () => toDoctorData(readDataset(text(good), 'data.csv', expectFour), 'crossEntropy', 3) },
    {
      input: 'toDoctorData(data, loss, 0)',
      names: 'outputUnits',
      run: () => toDoctorData(readDataset(text(good), 'data.csv', expectFour), 'categoricalCrossentropy', 0),
    },
    { input: 'toDoctorData({}, loss, 3)', names: 'dataset', run: () => toDoctorData(bad({}), 'categoricalCrossentropy', 3) },
  ]);
});
