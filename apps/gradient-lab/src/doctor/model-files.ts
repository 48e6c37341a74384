// API (Node only: reads and writes files):
//   loadModelFromDisk(path: string): Promise<LoadedModel & { modelJsonPath: string }>
//     path = a directory holding model.json, or a model.json (its weight paths are relative to it).
//   saveModelToDir(model: tfl.LayersModel, dir: string): Promise<{ modelJsonPath: string; weightsPath: string; hasTrainingConfig: boolean }>
//     writes dir/model.json + dir/weights.bin as tfjs's file:// handler does; never overwrites.
// Errors: DoctorInputError naming the path and saying what to do.
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { ValueError } from '@gradkit/core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { DoctorInputError } from './doctor-errors.js';
import { artifactsFromFiles, type LoadedModel, loadLayersModelFromArtifacts, modelToFiles } from './model-artifacts.js';

const reason = (e: unknown) => (e as NodeJS.ErrnoException)?.code ?? String((e as Error)?.message ?? e);

async function statOrUndefined(path: string) {
  try {
    return await stat(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException)?.code === 'ENOENT') return undefined;
    throw new DoctorInputError(path, `${path} cannot be read (${reason(e)}): check its permissions`);
  }
}

async function readBytes(path: string, what: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException)?.code;
    if (code === 'ENOENT') throw new DoctorInputError(path, `${what} ${path} does not exist: put the files that model.save wrote together in one directory`);
    throw new DoctorInputError(path, `${what} ${path} cannot be read (${reason(e)}): check that it is a file you may read`);
  }
}

/** The weight file paths a parsed model.json names (for reading them beside it); none when it is not a manifest. */
function manifestPaths(text: string): string[] {
  try {
    const json = JSON.parse(text.replace(/^\uFEFF/, '')) as { weightsManifest?: { paths?: unknown }[] };
    if (!Array.isArray(json?.weightsManifest)) return [];
    return json.weightsManifest.flatMap((g) => (Array.isArray(g?.paths) ? g.paths.filter((p): p is string => typeof p === 'string') : []));
  } catch {
    return [];
  }
}

/**
 * Loads a tfjs-layers model that `model.save` wrote (`model.json` + its weight files) from disk, in
 * Node without tfjs-node: `path` is a directory holding `model.json`, or the path of a model.json
 * (whose `weightsManifest` paths are relative to it). A missing path, a directory without model.json,
 * an unreadable or corrupt file and weights that do not fit are each a {@link DoctorInputError}. The
 * equivalent of tfjs-node's `tf.loadLayersModel('file://path/model.json')`.
 *
 * @example
 * ```ts
 * const { model, hasTrainingConfig, inputShape } = await loadModelFromDisk('examples/deep-sigmoid');
 * ```
 */
export async function loadModelFromDisk(path: string): Promise<LoadedModel & { modelJsonPath: string }> {
  if (typeof path !== 'string' || path === '')
    throw new DoctorInputError(String(path), 'the model path is empty: give a directory holding model.json, or the path of a model.json', 'model');
  const info = await statOrUndefined(path);
  if (info === undefined) throw new DoctorInputError(path, `${path} does not exist: give a directory holding model.json, or the path of a model.json`);
  const modelJsonPath = info.isDirectory() ? join(path, 'model.json') : path;
  if (info.isDirectory() && (await statOrUndefined(modelJsonPath)) === undefined)
    throw new DoctorInputError(
      path,
      `${path} holds no model.json: give the directory tfjs's model.save wrote to (model.json + weights), or the model.json itself`,
    );
  const jsonBytes = await readBytes(modelJsonPath, 'model.json');
  const text = new TextDecoder().decode(jsonBytes);
  const weights = new Map<string, Uint8Array>();
  const base = dirname(modelJsonPath);
  for (const p of manifestPaths(text)) {
    const file = resolve(base, p);
    if ((await statOrUndefined(file)) === undefined) continue; // artifactsFromFiles names the missing file
    weights.set(p, await readBytes(file, 'the weight file'));
  }
  const loaded = await loadLayersModelFromArtifacts(artifactsFromFiles(jsonBytes, weights, modelJsonPath), modelJsonPath);
  return { ...loaded, modelJsonPath };
}

/**
 * Writes `model` to the directory `dir` as tfjs-node's `model.save('file://dir')` does: `model.json`
 * (`modelTopology`, `format: 'layers-model'`, `generatedBy`, `convertedBy: null`, `weightsManifest:
 * [{ paths: ['weights.bin'], weights: [...] }]`, and `trainingConfig` (loss, metrics, optimizer) when
 * the model is compiled with an optimizer tfjs can deserialize) and `weights.bin`, made by
 * {@link modelToFiles} (`model.save(tf.io.withSaveHandler(...))`). Creates `dir` when missing; refuses with a
 * {@link DoctorInputError} (before writing anything) when `dir/model.json` or `dir/weights.bin`
 * exists: nothing is ever overwritten. Load it back with `tf.loadLayersModel('file://dir/model.json')`
 * (tfjs-node) or {@link loadModelFromDisk}.
 *
 * @example
 * ```ts
 * await saveModelToDir(remedied, 'fixed-model'); // fixed-model/model.json + fixed-model/weights.bin
 * ```
 */
export async function saveModelToDir(model: tfl.LayersModel, dir: string): Promise<{ modelJsonPath: string; weightsPath: string; hasTrainingConfig: boolean }> {
  if (typeof model !== 'object' || model === null || typeof model.save !== 'function')
    throw new ValueError('model', 'saveModelToDir takes a tfjs-layers model (tf.sequential(), tf.model() or one tf.loadLayersModel returned)');
  if (typeof dir !== 'string' || dir === '')
    throw new DoctorInputError(String(dir), 'the output directory is empty: name a new directory to save the model in', 'save');
  const modelJsonPath = join(dir, 'model.json');
  const weightsPath = join(dir, 'weights.bin');
  const info = await statOrUndefined(dir);
  if (info !== undefined && !info.isDirectory())
    throw new DoctorInputError(dir, `${dir} is a file, not a directory: name a new directory to save the model in`);
  for (const p of [modelJsonPath, weightsPath])
    if ((await statOrUndefined(p)) !== undefined)
      throw new DoctorInputError(p, `${p} already exists: the doctor never overwrites a file; name a new directory (or move the old model away)`);
  const files = await modelToFiles(model);
  try {
    await mkdir(dir, { recursive: true });
    // 'wx': fail rather than replace a file that appeared since the check above.
    await writeFile(weightsPath, files.weightsBin, { flag: 'wx' });
    await writeFile(modelJsonPath, JSON.stringify(files.modelJson), { flag: 'wx' });
  } catch (e) {
    throw new DoctorInputError(dir, `the model could not be written to ${dir} (${reason(e)}): name a directory you may write to`);
  }
  return { modelJsonPath, weightsPath, hasTrainingConfig: files.hasTrainingConfig };
}
