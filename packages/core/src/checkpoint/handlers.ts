// Where checkpoints (and tfjs-layers models) go: tfjs's own IOHandlers (IndexedDB, localStorage,
// downloads, http, memory …) and, in Node, a directory, which tfjs-core alone cannot write: gradkit
// registers a `file://` router there (as @tensorflow/tfjs-node does), so `model.save('file://dir')`
// and `tf.loadLayersModel('file://dir/model.json')` work in plain Node too.
import * as tf from '@tensorflow/tfjs-core';
import { HyperParameterError, StateError } from '../errors.js';

const CHECKPOINT_JSON = 'checkpoint.json';
const MODEL_JSON = 'model.json';
const WEIGHTS_FILE = 'weights.bin';
const ROUTED = Symbol.for('gradkit.fileRouter');

const isNode = () => typeof process !== 'undefined' && typeof process.versions?.node === 'string';

/** Node's fs and path, loaded only when a directory is used (so browsers never see them). */
async function nodeModules(): Promise<{ fs: typeof import('node:fs/promises'); path: typeof import('node:path') }> {
  const fsName = 'node:fs/promises';
  const pathName = 'node:path';
  const [fs, path] = await Promise.all([import(/* @vite-ignore */ fsName), import(/* @vite-ignore */ pathName)]);
  return { fs, path };
}

/**
 * A tf.io.IOHandler for a directory in Node, in tfjs's model.json layout: `<jsonName>` (everything
 * but the weights, and their manifest) and `weights.bin` (the tensors' bytes). `field` names the
 * argument in errors (`source`, `url`).
 */
function directoryHandler(dir: string, jsonName: string, field: string): tf.io.IOHandler {
  return {
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      const { fs, path } = await nodeModules();
      await fs.mkdir(dir, { recursive: true });
      const data = artifacts.weightData === undefined ? new ArrayBuffer(0) : tf.io.CompositeArrayBuffer.join(artifacts.weightData);
      const { weightData: _data, weightSpecs, getWeightStream: _stream, ...rest } = artifacts;
      const json = { ...rest, weightsManifest: [{ paths: [WEIGHTS_FILE], weights: weightSpecs ?? [] }] };
      // Weights first, the json last: a save is complete once its json exists.
      await fs.writeFile(path.join(dir, WEIGHTS_FILE), new Uint8Array(data));
      await fs.writeFile(path.join(dir, jsonName), JSON.stringify(json));
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    },
    async load(): Promise<tf.io.ModelArtifacts> {
      const { fs, path } = await nodeModules();
      const file = path.join(dir, jsonName);
      let text: string;
      try {
        text = await fs.readFile(file, 'utf8');
      } catch {
        throw new HyperParameterError(field, `nothing saved at '${dir}' (no ${jsonName} there): pass the directory that was saved to`);
      }
      let json: tf.io.ModelJSON;
      try {
        json = JSON.parse(text) as tf.io.ModelJSON;
      } catch (e) {
        throw new StateError(field, `${file} is not valid JSON (${(e as Error).message}): the save was cut short, or the file is corrupt`);
      }
      if (json === null || typeof json !== 'object' || !Array.isArray(json.weightsManifest))
        throw new StateError(field, `${file} has no weightsManifest: it was not written by a tfjs or gradkit save`);
      return tf.io.getModelArtifactsForJSON(json, async (manifest) => {
        const specs = manifest.flatMap((group) => group.weights);
        const read = async (p: string) => {
          try {
            return await fs.readFile(path.join(dir, p));
          } catch {
            throw new StateError(field, `${path.join(dir, p)} is missing: the weights of ${file} must sit beside it`);
          }
        };
        const parts = await Promise.all(manifest.flatMap((group) => group.paths).map(read));
        return [specs, tf.io.concatenateArrayBuffers(parts.map((b) => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer))];
      });
    },
  };
}

/**
 * The IOHandler for a checkpoint destination or source: a handler as given; a URL with a scheme tfjs
 * knows (`indexeddb://`, `localstorage://`, `downloads://`, `http(s)://` …); in Node, a directory
 * path or `file://path`.
 */
export async function handlerFor(where: string | tf.io.IOHandler, mode: 'save' | 'load'): Promise<tf.io.IOHandler> {
  const field = mode === 'save' ? 'destination' : 'source';
  if (where !== null && typeof where === 'object') {
    if (typeof where[mode] !== 'function') throw new HyperParameterError(field, `the IOHandler has no ${mode}() method`);
    return where;
  }
  if (typeof where !== 'string' || where === '')
    throw new HyperParameterError(field, `${field} must be a directory path (Node), a tfjs URL such as 'indexeddb://name', or a tf.io.IOHandler`);
  if (where.startsWith('file://') || (isNode() && !/^[a-z][a-z0-9+.-]*:\/\//i.test(where))) {
    if (!isNode())
      throw new HyperParameterError(
        field,
        `'${where}' is a directory path, which only Node can write; in a browser use 'indexeddb://name' or 'downloads://name'`,
      );
    return directoryHandler(where.replace(/^file:\/\//, ''), CHECKPOINT_JSON, field);
  }
  const handlers = mode === 'save' ? tf.io.getSaveHandlers(where) : tf.io.getLoadHandlers(where);
  if (handlers.length === 0)
    throw new HyperParameterError(
      field,
      `no tfjs IOHandler for '${where}' here (in the browser: indexeddb://, localstorage://, downloads://; in Node: a directory path)`,
    );
  return handlers[0] as tf.io.IOHandler;
}

/**
 * In Node, routes tfjs's `file://` URLs to a directory handler in tfjs-node's layout, unless
 * @tensorflow/tfjs-node (backend 'tensorflow') is loaded and routes them itself: saving to
 * `file://dir` writes `dir/model.json` and `dir/weights.bin`; loading takes `file://dir/model.json`
 * (or the directory).
 */
export function registerNodeFileRouter(): void {
  const g = globalThis as { [ROUTED]?: boolean };
  if (!isNode() || g[ROUTED]) return; // once, even with two copies of gradkit loaded
  g[ROUTED] = true;
  const route = (url: string | string[], mode: 'save' | 'load') => {
    if (Array.isArray(url) || typeof url !== 'string' || !url.startsWith('file://') || tf.findBackendFactory('tensorflow')) return null;
    const target = url.slice('file://'.length);
    const isJson = mode === 'load' && target.endsWith('.json');
    const dir = isJson ? target.slice(0, target.lastIndexOf('/') + 1) || '.' : target;
    return directoryHandler(dir, isJson ? target.slice(target.lastIndexOf('/') + 1) : MODEL_JSON, 'url');
  };
  tf.io.registerSaveRouter((url) => route(url, 'save') as tf.io.IOHandler);
  tf.io.registerLoadRouter((url) => route(url, 'load') as tf.io.IOHandler);
}
