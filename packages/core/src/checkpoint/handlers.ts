// Where checkpoints go: tfjs's own IOHandlers (IndexedDB, localStorage, downloads, http, memory …)
// and, in Node, a directory (checkpoint.json + weights.bin), which tfjs-core alone cannot write.
import * as tf from '@tensorflow/tfjs-core';
import { HyperParameterError } from '../errors.js';

const JSON_FILE = 'checkpoint.json';
const WEIGHTS_FILE = 'weights.bin';

const isNode = () => typeof process !== 'undefined' && typeof process.versions?.node === 'string';

/** Node's fs and path, loaded only when a directory is used (so browsers never see them). */
async function nodeModules(): Promise<{ fs: typeof import('node:fs/promises'); path: typeof import('node:path') }> {
  const fsName = 'node:fs/promises';
  const pathName = 'node:path';
  const [fs, path] = await Promise.all([import(/* @vite-ignore */ fsName), import(/* @vite-ignore */ pathName)]);
  return { fs, path };
}

/**
 * A tf.io.IOHandler for a checkpoint directory in Node: `checkpoint.json` (the manifest and the
 * weights' specs, in tfjs's model.json layout) and `weights.bin` (the tensors' bytes).
 */
function directoryHandler(dir: string): tf.io.IOHandler {
  return {
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      const { fs, path } = await nodeModules();
      await fs.mkdir(dir, { recursive: true });
      const data = artifacts.weightData === undefined ? new ArrayBuffer(0) : tf.io.CompositeArrayBuffer.join(artifacts.weightData);
      const json = {
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: [WEIGHTS_FILE], weights: artifacts.weightSpecs ?? [] }],
      };
      // Weights first, the manifest last: a checkpoint is complete once its manifest exists.
      await fs.writeFile(path.join(dir, WEIGHTS_FILE), new Uint8Array(data));
      await fs.writeFile(path.join(dir, JSON_FILE), JSON.stringify(json));
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    },
    async load(): Promise<tf.io.ModelArtifacts> {
      const { fs, path } = await nodeModules();
      let text: string;
      try {
        text = await fs.readFile(path.join(dir, JSON_FILE), 'utf8');
      } catch {
        throw new HyperParameterError('source', `no checkpoint at '${dir}' (no ${JSON_FILE} there): pass the directory saveCheckpoint wrote`);
      }
      const json = JSON.parse(text) as { format?: string; modelTopology?: object; weightsManifest?: { weights?: tf.io.WeightsManifestEntry[] }[] };
      const bytes = await fs.readFile(path.join(dir, WEIGHTS_FILE));
      return {
        format: json.format,
        modelTopology: json.modelTopology,
        weightSpecs: json.weightsManifest?.[0]?.weights ?? [],
        weightData: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
      };
    },
  };
}

/**
 * The IOHandler for a checkpoint destination or source: a handler as given; a URL with a scheme tfjs
 * knows (`indexeddb://`, `localstorage://`, `downloads://`, `http(s)://` …); in Node, a directory
 * path or `file://path`.
 */
export async function handlerFor(where: string | tf.io.IOHandler, mode: 'save' | 'load'): Promise<tf.io.IOHandler> {
  if (where !== null && typeof where === 'object') {
    if (typeof where[mode] !== 'function') throw new HyperParameterError(mode === 'save' ? 'destination' : 'source', `the IOHandler has no ${mode}() method`);
    return where;
  }
  const field = mode === 'save' ? 'destination' : 'source';
  if (typeof where !== 'string' || where === '')
    throw new HyperParameterError(field, `${field} must be a directory path (Node), a tfjs URL such as 'indexeddb://name', or a tf.io.IOHandler`);
  if (where.startsWith('file://') || (isNode() && !/^[a-z][a-z0-9+.-]*:\/\//i.test(where))) {
    if (!isNode())
      throw new HyperParameterError(
        field,
        `'${where}' is a directory path, which only Node can write; in a browser use 'indexeddb://name' or 'downloads://name'`,
      );
    return directoryHandler(where.replace(/^file:\/\//, ''));
  }
  const handlers = mode === 'save' ? tf.io.getSaveHandlers(where) : tf.io.getLoadHandlers(where);
  if (handlers.length === 0)
    throw new HyperParameterError(
      field,
      `no tfjs IOHandler for '${where}' here (in the browser: indexeddb://, localstorage://, downloads://; in Node: a directory path)`,
    );
  return handlers[0] as tf.io.IOHandler;
}
