import * as tf from '@tensorflow/tfjs-core';
import { HyperParameterError, StateError } from '../errors.js';
import type { Module } from '../module.js';
import { Optimizer, type SavedOptimizerState } from '../optimizer/optimizer.js';
import { checkOptions } from '../options.js';
import { flatten, type ParamTree } from '../tree.js';
import { handlerFor } from './handlers.js';
import { runRestoreHooks } from './restore-hooks.js';

/** What a checkpoint holds, for `saveCheckpoint` and `loadCheckpoint`. @example `{ module: model, optimizer: opt, metadata: { epoch: 3 } }` */
export interface CheckpointContents {
  /** A module: its `params` and its `buffers` (BatchNorm running statistics …). Or give `params` and `buffers` yourself. */
  readonly module?: Module;
  /** A tree of tf.Variables to save (and restore in place). */
  readonly params?: ParamTree;
  /** Non-trained variables to save (module buffers), a tree of tf.Variables. */
  readonly buffers?: ParamTree;
  /** The optimizer: its state and step count (`saveState`/`loadState`). */
  readonly optimizer?: Optimizer;
  /** Anything JSON-serializable to keep with it (epoch, position in the data, settings). Saved only; `loadCheckpoint` returns it. */
  readonly metadata?: Record<string, unknown>;
}

/** What `loadCheckpoint` returns. @example `{ metadata: { epoch: 3 }, stepCount: 1200 }` */
export interface LoadedCheckpoint {
  /** The metadata saved with the checkpoint (`{}` when none). */
  readonly metadata: Record<string, unknown>;
  /** The optimizer's step count in the checkpoint (0 without optimizer). */
  readonly stepCount: number;
}

/** The JSON part of a checkpoint (its `modelTopology` in tfjs's model artifacts). */
interface Manifest {
  readonly format: 'gradkit-checkpoint';
  readonly version: 1;
  readonly params: readonly string[];
  readonly buffers: readonly string[];
  readonly optimizer: SavedOptimizerState | null;
  readonly metadata: Record<string, unknown>;
}

const FORMAT = 'gradkit-checkpoint';
const KEYS = ['module', 'params', 'buffers', 'optimizer', 'metadata'];

/** The variables of `contents` by weight name (`params/<path>`, `buffers/<path>`), checked. */
function variablesOf(contents: CheckpointContents, what: string): { params: Map<string, tf.Variable>; buffers: Map<string, tf.Variable> } {
  checkOptions(what, contents, KEYS, { example: `${what}(dir, { module: model, optimizer: opt })`, required: true });
  if (contents.module !== undefined && (contents.params !== undefined || contents.buffers !== undefined))
    throw new HyperParameterError('module', `${what}: give either module, or params and buffers, not both`);
  if (contents.optimizer !== undefined && !(contents.optimizer instanceof Optimizer))
    throw new HyperParameterError('optimizer', `${what}: optimizer must be a gradkit Optimizer`);
  const m = contents.module;
  if (m !== undefined && (m === null || typeof m !== 'object' || !('params' in m)))
    throw new HyperParameterError('module', `${what}: module must be a gradkit module (with params)`);
  const collect = (tree: ParamTree | undefined, kind: string) => {
    const out = new Map<string, tf.Variable>();
    if (tree === undefined) return out;
    for (const { path, value } of flatten(tree)) {
      if (!(value instanceof tf.Variable)) throw new HyperParameterError(`${kind}.${path}`, `${what}: ${kind} '${path}' is not a tf.Variable`);
      if (value.isDisposed) throw new StateError(`${kind}.${path}`, `${what}: ${kind} '${path}' was disposed`);
      out.set(path, value);
    }
    return out;
  };
  return { params: collect(m ? m.params : contents.params, 'params'), buffers: collect(m ? m.buffers : contents.buffers, 'buffers') };
}

/**
 * Saves parameters, module buffers and optimizer state in one checkpoint, taken at the moment of the
 * call (steps that run while it is written do not tear it). `destination` is a directory in Node (a
 * path or `file://path`: it writes `checkpoint.json` and `weights.bin`), a tfjs URL in the browser
 * (`indexeddb://name`, `localstorage://name`, `downloads://name`), or any `tf.io.IOHandler`. Tensors
 * are stored bit for bit; `loadCheckpoint` then continues training bit-identically.
 *
 * Format: tfjs model artifacts whose `modelTopology` is `{ format: 'gradkit-checkpoint', version: 1,
 * params, buffers, optimizer, metadata }` and whose weights are named `params/<path>` and
 * `buffers/<path>`; the optimizer state is `Optimizer.saveState()`'s JSON.
 *
 * @throws HyperParameterError for unknown keys or values that are not variables.
 * @example
 * ```ts
 * await saveCheckpoint('./ckpt/epoch-3', { module: model, optimizer: opt, metadata: { epoch: 3 } });
 * ```
 */
export async function saveCheckpoint(destination: string | tf.io.IOHandler, contents: CheckpointContents): Promise<tf.io.SaveResult> {
  const { params, buffers } = variablesOf(contents, 'saveCheckpoint');
  if (contents.metadata !== undefined && (contents.metadata === null || typeof contents.metadata !== 'object' || Array.isArray(contents.metadata)))
    throw new HyperParameterError('metadata', 'saveCheckpoint: metadata must be a plain object of JSON values');
  let metadata: Record<string, unknown> = {};
  try {
    if (contents.metadata !== undefined) metadata = JSON.parse(JSON.stringify(contents.metadata)) as Record<string, unknown>;
  } catch (e) {
    throw new HyperParameterError('metadata', `saveCheckpoint: metadata must be JSON-serializable (${(e as Error).message})`);
  }
  // Everything is taken now, before the first await: clones share the buffers (in-place steps copy before writing).
  const named = [
    ...[...params].map(([path, v]) => ({ name: `params/${path}`, tensor: tf.clone(v) })),
    ...[...buffers].map(([path, v]) => ({ name: `buffers/${path}`, tensor: tf.clone(v) })),
  ];
  const optimizerState = contents.optimizer?.saveState();
  optimizerState?.catch(() => undefined); // awaited below; a failure before that must not go unhandled
  try {
    const handler = await handlerFor(destination, 'save');
    const { data, specs } = await tf.io.encodeWeights(named);
    const manifest: Manifest = {
      format: FORMAT,
      version: 1,
      params: [...params.keys()],
      buffers: [...buffers.keys()],
      optimizer: (await optimizerState) ?? null,
      metadata,
    };
    return await (handler.save as tf.io.SaveHandler)({ modelTopology: manifest, weightSpecs: specs, weightData: data, format: FORMAT, generatedBy: 'gradkit' });
  } finally {
    tf.dispose(named.map((n) => n.tensor));
  }
}

/** The manifest of loaded artifacts, or a StateError saying what they are instead. */
function manifestOf(artifacts: tf.io.ModelArtifacts): Manifest {
  const m = artifacts.modelTopology as Partial<Manifest> | undefined;
  if (!m || typeof m !== 'object' || m.format !== FORMAT)
    throw new StateError('format', 'this is not a gradkit checkpoint (no gradkit-checkpoint manifest): load what saveCheckpoint wrote');
  if (m.version !== 1) throw new StateError('version', `this checkpoint has format version ${String(m.version)}; this gradkit reads version 1`);
  return m as Manifest;
}

/** Pairs the variables to restore with the checkpoint's weights by path: every one must be there, with its shape and dtype. */
function pair(kind: string, wanted: Map<string, tf.Variable>, saved: readonly string[], specs: Map<string, tf.io.WeightsManifestEntry>): void {
  for (const [path, v] of wanted) {
    const spec = specs.get(`${kind}/${path}`);
    if (!saved.includes(path) || !spec)
      throw new StateError(
        `${kind}.${path}`,
        `the checkpoint has no ${kind} '${path}' (it has: ${saved.slice(0, 8).join(', ') || 'none'}${saved.length > 8 ? ', …' : ''})`,
      );
    if (spec.dtype !== v.dtype || !tf.util.arraysEqual(spec.shape, v.shape))
      throw new StateError(
        `${kind}.${path}`,
        `${kind} '${path}' is ${spec.dtype}[${spec.shape.join(', ')}] in the checkpoint, ${v.dtype}[${v.shape.join(', ')}] here`,
      );
  }
  const extra = saved.find((p) => !wanted.has(p));
  if (extra !== undefined) throw new StateError(`${kind}.${extra}`, `the checkpoint has ${kind} '${extra}', which is not given here: it is for another model`);
}

/**
 * Restores a checkpoint written by `saveCheckpoint` into the given variables and optimizer, in
 * place, after checking all of it: every path, shape and dtype must match (a checkpoint of another
 * model is a StateError naming the first path that differs), and the optimizer state is validated as
 * `loadState` does. All-or-nothing: on any error nothing changes. Modules that mirror a buffer on the
 * host (dropout's mask counter) re-read it (`onRestore`), so training continues exactly.
 *
 * @throws StateError naming the first mismatch; HyperParameterError for bad arguments.
 * @example
 * ```ts
 * const { metadata } = await loadCheckpoint('./ckpt/epoch-3', { module: model, optimizer: opt });
 * ```
 */
export async function loadCheckpoint(source: string | tf.io.IOHandler, into: CheckpointContents): Promise<LoadedCheckpoint> {
  const { params, buffers } = variablesOf(into, 'loadCheckpoint');
  if (into.metadata !== undefined) throw new HyperParameterError('metadata', 'loadCheckpoint returns the metadata; do not pass it');
  const handler = await handlerFor(source, 'load');
  const artifacts = await (handler.load as tf.io.LoadHandler)();
  const manifest = manifestOf(artifacts);
  const specs = new Map((artifacts.weightSpecs ?? []).map((s) => [s.name, s]));
  pair('params', params, manifest.params ?? [], specs);
  pair('buffers', buffers, manifest.buffers ?? [], specs);
  if (into.optimizer && !manifest.optimizer) throw new StateError('optimizer', 'the checkpoint holds no optimizer state; load it without optimizer');
  const values = artifacts.weightData === undefined ? {} : tf.io.decodeWeights(artifacts.weightData, artifacts.weightSpecs ?? []);
  try {
    if (into.optimizer && manifest.optimizer) into.optimizer.loadState(manifest.optimizer);
    for (const [kind, vars] of [
      ['params', params],
      ['buffers', buffers],
    ] as const)
      for (const [path, v] of vars) v.assign(values[`${kind}/${path}`] as tf.Tensor);
  } finally {
    tf.dispose(Object.values(values));
  }
  await runRestoreHooks(buffers.values());
  return { metadata: manifest.metadata ?? {}, stepCount: manifest.optimizer?.stepCount ?? 0 };
}
