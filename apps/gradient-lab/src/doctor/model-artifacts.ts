// API (browser-safe, no Node imports):
//   artifactsFromFiles(modelJson: string | Uint8Array, weights: ReadonlyMap<string, Uint8Array>, source: string): tf.io.ModelArtifacts
//     model.json's text or bytes + the weight files by the names model.json gives them → checked artifacts.
//   loadLayersModelFromArtifacts(artifacts, source?): Promise<LoadedModel>
//     → { model, hasTrainingConfig, inputShape, outputShape, outputActivation } (shapes without the batch dim).
//   modelToFiles(model): Promise<{ modelJson: tf.io.ModelJSON; weightsBin: Uint8Array; hasTrainingConfig: boolean }>
//     the two files tfjs's file:// handler writes (model.json's object + weights.bin), e.g. for a download.
// Every problem is a DoctorInputError naming the file (and the weight) and saying what to do.
import { ValueError } from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { DoctorInputError } from './doctor-errors.js';

/** Bytes per element of a weight's stored dtype (a quantized weight is stored in its quantization dtype). */
const BYTES: Readonly<Record<string, number>> = { float32: 4, int32: 4, bool: 1, complex64: 8, uint8: 1, uint16: 2, float16: 2 };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const basename = (p: string) => p.split(/[\\/]/).pop() ?? p;
const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;

function parseModelJson(modelJson: string | Uint8Array, source: string): Record<string, unknown> {
  const fix = `give the model.json that tfjs's model.save wrote (it holds "modelTopology" and "weightsManifest")`;
  let text: string;
  try {
    text = typeof modelJson === 'string' ? modelJson : new TextDecoder('utf-8', { fatal: true }).decode(modelJson);
  } catch {
    throw new DoctorInputError(source, `${source} is not text (not UTF-8): ${fix}`);
  }
  if (text.trim() === '') throw new DoctorInputError(source, `${source} is empty: ${fix}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (e) {
    throw new DoctorInputError(source, `${source} is not valid JSON (${(e as Error).message}): ${fix}`);
  }
  if (!isObject(parsed)) throw new DoctorInputError(source, `${source} is not a JSON object: ${fix}`);
  return parsed;
}

/** The bytes the specs of one manifest group take, checking each spec's fields. */
function specBytes(specs: unknown, source: string, group: number): { specs: tf.io.WeightsManifestEntry[]; bytes: number } {
  if (!Array.isArray(specs))
    throw new DoctorInputError(
      source,
      `${source}: weightsManifest[${group}].weights is not a list of weights: re-save the model with tfjs's model.save`,
      'weights',
    );
  let bytes = 0;
  for (const [i, spec] of specs.entries()) {
    const name = isObject(spec) && typeof spec.name === 'string' ? spec.name : `weightsManifest[${group}].weights[${i}]`;
    const shape = isObject(spec) ? spec.shape : undefined;
    if (!isObject(spec) || typeof spec.name !== 'string' || !Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0))
      throw new DoctorInputError(
        source,
        `${source}: weight ${name} has no valid name and shape in weightsManifest: re-save the model with tfjs's model.save`,
        name,
      );
    const quantization = isObject(spec.quantization) ? spec.quantization.dtype : undefined;
    const dtype = String(quantization ?? spec.dtype);
    const size = BYTES[dtype];
    if (size === undefined)
      throw new DoctorInputError(
        source,
        `${source}: weight ${name} has dtype '${dtype}', which a tfjs-layers model does not store (float32, int32, bool, or quantized uint8/uint16/float16)`,
        name,
      );
    bytes += size * (shape as number[]).reduce((a, b) => a * b, 1);
  }
  return { specs: specs as tf.io.WeightsManifestEntry[], bytes };
}

/** The weight file `path` names: as given, or by its base name (model.json's paths are relative to it). */
function weightFile(weights: ReadonlyMap<string, Uint8Array>, path: string): Uint8Array | undefined {
  return weights.get(path) ?? weights.get(path.replace(/^\.\//, '')) ?? weights.get(basename(path));
}

/**
 * The checked `tf.io.ModelArtifacts` of a saved tfjs-layers model: `modelJson` is the text (or bytes)
 * of its `model.json`, `weights` its weight files by the paths `model.json`'s `weightsManifest` names
 * (`weights.bin`, `group1-shard1of1.bin` …; a path is also found by its base name) and `source` what
 * to call model.json in messages. Checks, each a {@link DoctorInputError} saying what to do: model.json
 * is JSON with `modelTopology` and `weightsManifest`; every weight file it names is given; each
 * group's bytes equal Σ (product of the spec's shape × bytes of its dtype) over its weights (so a
 * truncated or foreign weights.bin is caught before tfjs reads past it). Whether the names and shapes
 * fit the model's layers is checked when it is built ({@link loadLayersModelFromArtifacts}). The
 * equivalent of what tfjs's `file://` and `http://` loaders assemble (`tf.io.getModelArtifactsForJSON`).
 *
 * @example
 * ```ts
 * const artifacts = artifactsFromFiles(jsonText, new Map([['weights.bin', bytes]]), 'my-model/model.json');
 * const { model } = await loadLayersModelFromArtifacts(artifacts, 'my-model/model.json');
 * ```
 */
export function artifactsFromFiles(modelJson: string | Uint8Array, weights: ReadonlyMap<string, Uint8Array>, source: string): tf.io.ModelArtifacts {
  if (typeof source !== 'string' || source === '')
    throw new ValueError('source', "artifactsFromFiles needs what to call model.json in messages, e.g. 'my-model/model.json'");
  if (typeof modelJson !== 'string' && !(modelJson instanceof Uint8Array))
    throw new ValueError('modelJson', `artifactsFromFiles takes model.json's text or bytes; got ${modelJson === null ? 'null' : typeof modelJson}`);
  if (!(weights instanceof Map) || ![...weights.values()].every((b) => b instanceof Uint8Array))
    throw new ValueError(
      'weights',
      "artifactsFromFiles takes the weight files as a Map from their names to their bytes, e.g. new Map([['weights.bin', bytes]])",
    );
  const json = parseModelJson(modelJson, source);
  if (!isObject(json.modelTopology))
    throw new DoctorInputError(
      source,
      `${source} has no "modelTopology": it is not a tfjs-layers model.json (a graph model from tensorflowjs_converter is not supported; save a tfjs-layers model with model.save)`,
      'modelTopology',
    );
  if (!Array.isArray(json.weightsManifest))
    throw new DoctorInputError(source, `${source} has no "weightsManifest" list: re-save the model with tfjs's model.save, which writes it`, 'weightsManifest');
  const specs: tf.io.WeightsManifestEntry[] = [];
  const parts: Uint8Array[] = [];
  for (const [g, group] of json.weightsManifest.entries()) {
    if (!isObject(group) || !Array.isArray(group.paths) || !group.paths.every((p) => typeof p === 'string'))
      throw new DoctorInputError(
        source,
        `${source}: weightsManifest[${g}] has no "paths" list of weight files: re-save the model with tfjs's model.save`,
        'weightsManifest',
      );
    const expected = specBytes(group.weights, source, g);
    const files: Uint8Array[] = [];
    for (const path of group.paths as string[]) {
      const bytes = weightFile(weights, path);
      if (bytes === undefined)
        throw new DoctorInputError(
          source,
          `${source} names the weight file ${path}, which is missing${weights.size > 0 ? ` (given: ${[...weights.keys()].join(', ')})` : ''}: put it beside model.json (or select it with model.json)`,
          path,
        );
      files.push(bytes);
    }
    const found = files.reduce((a, f) => a + f.byteLength, 0);
    if (found !== expected.bytes)
      throw new DoctorInputError(
        source,
        `${group.paths.join(' + ')} ${group.paths.length === 1 ? 'holds' : 'hold'} ${plural(found, 'byte')}, but ${source} describes ${plural(expected.specs.length, 'weight')} of ${plural(expected.bytes, 'byte')}: the weights do not belong to this model.json (or were truncated); give the files model.save wrote together`,
        String(group.paths[0] ?? 'weights'),
      );
    specs.push(...expected.specs);
    parts.push(...files);
  }
  const weightData = new Uint8Array(parts.reduce((a, p) => a + p.byteLength, 0));
  let offset = 0;
  for (const p of parts) {
    weightData.set(p, offset);
    offset += p.byteLength;
  }
  const artifacts: tf.io.ModelArtifacts = {
    modelTopology: json.modelTopology as object,
    weightSpecs: specs,
    weightData: weightData.buffer,
    format: typeof json.format === 'string' ? json.format : undefined,
    generatedBy: typeof json.generatedBy === 'string' ? json.generatedBy : undefined,
    convertedBy: typeof json.convertedBy === 'string' ? json.convertedBy : null,
  };
  if (json.trainingConfig != null) artifacts.trainingConfig = json.trainingConfig as tf.io.TrainingConfig;
  if (json.userDefinedMetadata != null) artifacts.userDefinedMetadata = json.userDefinedMetadata as tf.io.ModelArtifacts['userDefinedMetadata'];
  return artifacts;
}

/** A tfjs-layers model loaded by the doctor, with what it needs to know about it. @example `const { model, inputShape } = await loadLayersModelFromArtifacts(a)` */
export interface LoadedModel {
  /** The model, with the saved weights (and its compile settings when saved with them). */
  readonly model: tfl.LayersModel;
  /** Whether model.json held a training config (its loss and optimizer); else the doctor infers the loss. */
  readonly hasTrainingConfig: boolean;
  /** The input's shape without the batch dimension (`null` for a free one, e.g. a sequence's time). */
  readonly inputShape: (number | null)[];
  /** The output's shape without the batch dimension. */
  readonly outputShape: (number | null)[];
  /** The activation of the output layer when it has one (`'softmax'`, `'sigmoid'`, `'linear'` …). */
  readonly outputActivation?: string;
}

const firstLine = (e: unknown) => String((e as Error)?.message ?? e).split('\n')[0];

/** Builds the model of `artifacts` (compiled from its training config when it has one) without its weights. */
async function buildModel(artifacts: tf.io.ModelArtifacts, source: string): Promise<tfl.LayersModel> {
  const { modelTopology, trainingConfig, userDefinedMetadata } = artifacts;
  const build = (a: tf.io.ModelArtifacts) => tfl.loadLayersModel(tf.io.fromMemory(a));
  try {
    return await build({ modelTopology, trainingConfig, userDefinedMetadata });
  } catch (e) {
    const topologyBuilds = async () => {
      try {
        (await build({ modelTopology })).dispose();
        return true;
      } catch {
        return false;
      }
    };
    if (trainingConfig != null && (await topologyBuilds()))
      throw new DoctorInputError(
        source,
        `${source}: tfjs-layers cannot compile the model from its trainingConfig (${firstLine(e)}): re-save it without the optimizer (model.save(handler) without includeOptimizer)`,
        'trainingConfig',
      );
    throw new DoctorInputError(
      source,
      `${source}: tfjs-layers cannot build its modelTopology (${firstLine(e)}): it must be a model saved by tfjs-layers' model.save (custom layers are not supported)`,
      'modelTopology',
    );
  }
}

/** Why the saved weights do not fit the model's: the first weight missing, extra, or of another shape/dtype. */
function weightMismatch(model: tfl.LayersModel, specs: readonly tf.io.WeightsManifestEntry[], source: string): DoctorInputError | undefined {
  const saved = new Map(specs.map((s) => [s.name, s]));
  const fix = 'the weights were saved from another model: give the model.json and weight files that one model.save wrote';
  for (const w of model.weights) {
    const spec = saved.get(w.originalName);
    if (spec === undefined)
      return new DoctorInputError(
        source,
        `${source}: the model's weight ${w.originalName} (shape [${w.shape}]) is not in weightsManifest; ${fix}`,
        w.originalName,
      );
    if (spec.shape.join() !== w.shape.join() || spec.dtype !== w.dtype)
      return new DoctorInputError(
        source,
        `${source}: weight ${w.originalName} is saved as ${spec.dtype} [${spec.shape}], but the model's layer takes ${w.dtype} [${w.shape}]; ${fix}`,
        w.originalName,
      );
    saved.delete(w.originalName);
  }
  const [extra] = saved.keys();
  if (extra !== undefined)
    return new DoctorInputError(source, `${source}: weightsManifest holds weight ${extra}, which no layer of the model has; ${fix}`, extra);
  return undefined;
}

/**
 * Builds the tfjs-layers model of checked `artifacts` (from {@link artifactsFromFiles}) as
 * `tf.loadLayersModel('file://…')` would: `tfl.loadLayersModel(tf.io.fromMemory(...))` builds the
 * topology (compiled from the training config when there is one), then the saved weights are checked
 * against the model's and loaded (`model.loadWeights`, strict; the optimizer's saved state is not).
 * A topology tfjs-layers cannot build, or saved weights whose names, shapes or dtypes do not match
 * the model's layers, is a {@link DoctorInputError} naming the weight (tfjs-layers' own error is
 * turned into one). Returns the model with `hasTrainingConfig` (model.json holds the loss and
 * optimizer: the model is compiled), the input and output shapes without the batch dimension, and
 * the output layer's activation. Keras equivalent: `keras.models.load_model`.
 *
 * @example
 * ```ts
 * const { model, hasTrainingConfig, inputShape, outputShape } = await loadLayersModelFromArtifacts(artifacts);
 * // inputShape [16], outputShape [3]; hasTrainingConfig false → the doctor infers the loss
 * ```
 */
export async function loadLayersModelFromArtifacts(artifacts: tf.io.ModelArtifacts, source = 'model.json'): Promise<LoadedModel> {
  if (typeof artifacts !== 'object' || artifacts === null || typeof artifacts.modelTopology !== 'object')
    throw new ValueError('artifacts', 'loadLayersModelFromArtifacts takes the artifacts artifactsFromFiles returns');
  // Built first, then checked against the saved specs, then given the weights: a mismatch names the
  // weight and leaves no half-loaded model behind (tfjs-layers' own strict load would leak it).
  const model = await buildModel(artifacts, source);
  const specs = (artifacts.weightSpecs ?? []).filter((s) => s.group !== 'optimizer');
  const mismatch = weightMismatch(model, specs, source);
  if (mismatch !== undefined) {
    model.dispose();
    throw mismatch;
  }
  const decoded = tf.io.decodeWeights(artifacts.weightData ?? new ArrayBuffer(0), artifacts.weightSpecs ?? []);
  try {
    model.loadWeights(Object.fromEntries(specs.map((s) => [s.name, decoded[s.name] as tf.Tensor])), true);
  } catch (e) {
    model.dispose();
    throw new DoctorInputError(source, `${source}: tfjs-layers could not load the weights (${firstLine(e)}): re-save the model with tfjs's model.save`);
  } finally {
    tf.dispose(Object.values(decoded));
  }
  const [input, output] = [model.inputs, model.outputs];
  if (input.length !== 1 || output.length !== 1 || !input[0] || !output[0]) {
    model.dispose();
    const which = input.length !== 1 ? 'input' : 'output';
    throw new DoctorInputError(
      source,
      `${source}: the model has ${plural(which === 'input' ? input.length : output.length, which)}; the doctor takes a model with one input and one output`,
      which,
    );
  }
  const inputShape = input[0].shape.slice(1);
  const outputShape = output[0].shape.slice(1);
  const last = model.layers[model.layers.length - 1]?.getConfig() as { activation?: unknown } | undefined;
  return {
    model,
    hasTrainingConfig: artifacts.trainingConfig != null,
    inputShape,
    outputShape,
    ...(typeof last?.activation === 'string' ? { outputActivation: last.activation } : {}),
  };
}

/** The training config of `model` when it is compiled with an optimizer tfjs can load back; else undefined. */
function trainingConfigOf(model: tfl.LayersModel): tf.io.TrainingConfig | undefined {
  if (model.optimizer == null) return undefined;
  try {
    const config = (model as unknown as { getTrainingConfig(): tf.io.TrainingConfig }).getTrainingConfig(); // protected in the .d.ts, public in Keras
    const known = tf.serialization.SerializationMap.getMap().classNameMap[(config.optimizer_config as { class_name: string }).class_name];
    return known === undefined ? undefined : config;
  } catch {
    return undefined;
  }
}

/**
 * The files tfjs-node's `model.save('file://dir')` writes for `model`, in memory (browser-safe):
 * `modelJson`, the object of `model.json` (`modelTopology`, `format: 'layers-model'`, `generatedBy`,
 * `convertedBy: null`, `weightsManifest: [{ paths: ['weights.bin'], weights: [...] }]`, and
 * `trainingConfig` (loss, metrics, optimizer) when the model is compiled with an optimizer tfjs can
 * deserialize: a gradkit optimizer adapter is left out, `hasTrainingConfig` says which), and
 * `weightsBin`, the bytes of `weights.bin`. Made through `model.save(tf.io.withSaveHandler(...))`;
 * the optimizer's state is not saved (as with tfjs's default `includeOptimizer: false`).
 *
 * @example
 * ```ts
 * const { modelJson, weightsBin } = await modelToFiles(model);
 * download('model.json', JSON.stringify(modelJson)); download('weights.bin', weightsBin);
 * ```
 */
export async function modelToFiles(model: tfl.LayersModel): Promise<{ modelJson: tf.io.ModelJSON; weightsBin: Uint8Array; hasTrainingConfig: boolean }> {
  if (typeof model !== 'object' || model === null || typeof model.save !== 'function' || typeof model.toJSON !== 'function')
    throw new ValueError('model', 'modelToFiles takes a tfjs-layers model (tf.sequential(), tf.model() or one tf.loadLayersModel returned)');
  const trainingConfig = trainingConfigOf(model);
  let files: { modelJson: tf.io.ModelJSON; weightsBin: Uint8Array } | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const modelJson: tf.io.ModelJSON = {
        modelTopology: artifacts.modelTopology as object,
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy ?? null,
        weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs ?? [] }],
      };
      if (artifacts.userDefinedMetadata != null) modelJson.userDefinedMetadata = artifacts.userDefinedMetadata;
      if (trainingConfig !== undefined) modelJson.trainingConfig = trainingConfig;
      const weightsBin = new Uint8Array(tf.io.concatenateArrayBuffers(artifacts.weightData ?? new ArrayBuffer(0)));
      files = { modelJson, weightsBin };
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON', weightDataBytes: weightsBin.byteLength } };
    }),
  );
  if (files === undefined) throw new Error('modelToFiles: model.save did not call the save handler');
  return { ...files, hasTrainingConfig: trainingConfig !== undefined };
}
