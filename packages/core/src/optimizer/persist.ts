// Saving and loading an Optimizer's state as JSON: taken at once (a consistent snapshot), read back
// asynchronously; loaded only after every path, shape and value was checked.
import * as tf from '@tensorflow/tfjs-core';
import { StateError } from '../errors.js';
import type { PointMode } from '../eval-point.js';
import type { GradientTransformation, StateLeaf, StateTree } from '../transform.js';
import { flatten, type Tree } from '../tree.js';
import { checkCount } from './guards.js';
import { partNodes } from './parts.js';
import { checkLoadedValues, decodeSavedTensor, encodeSavedTensor, type SavedTensor, stateRuleOf } from './state-codec.js';

/** The JSON-serializable state returned by `Optimizer.saveState`. @example `JSON.stringify(await opt.saveState())` */
export interface SavedOptimizerState {
  /** Always `'gradkit-optimizer-state'`. */
  readonly format: 'gradkit-optimizer-state';
  /** Format version (1). */
  readonly version: 1;
  /** The transformation's signature, e.g. `'chain(clipByGlobalNorm, sgd)'`; loading checks it. */
  readonly transform: string;
  /** Steps taken. */
  readonly stepCount: number;
  /** Shape and dtype of every parameter, by tree path. */
  readonly params: Readonly<Record<string, { readonly shape: readonly number[]; readonly dtype: string }>>;
  /** Every state leaf by tree path: a number, or a saved tensor. */
  readonly state: Readonly<Record<string, number | SavedTensor>>;
  /**
   * `'eval'` when saved after `Optimizer.eval()` (the parameters then held the point to evaluate, and
   * loading restores that mode, so that `train()` moves them back); absent in train mode.
   */
  readonly mode?: 'eval';
}

/** A transformation's signature in saved state, e.g. `'chain(clipByGlobalNorm, sgd)'`. */
export const signatureOf = (t: GradientTransformation): string => (t.parts ? `chain(${t.parts.map(signatureOf).join(', ')})` : t.name);

/** What saving and loading need of an Optimizer. */
export interface Persisted {
  readonly signature: string;
  readonly transform: GradientTransformation;
  readonly params: readonly tf.Variable[];
  readonly paths: readonly string[];
  readonly state: Tree<StateLeaf>;
  readonly steps: number;
  readonly mode: PointMode;
}

/**
 * The state as JSON, taken synchronously when called (clones share the buffers, and in-place kernels
 * copy a shared buffer before writing), then read back.
 */
export function writeState(p: Persisted): Promise<SavedOptimizerState> {
  const params: Record<string, { shape: number[]; dtype: string }> = {};
  p.params.forEach((v, i) => {
    params[p.paths[i] as string] = { shape: [...v.shape], dtype: v.dtype };
  });
  const entries = flatten(p.state).map(({ path, value }) => ({ path, value: typeof value === 'number' ? value : tf.clone(value) }));
  const header = { format: 'gradkit-optimizer-state', version: 1, transform: p.signature, stepCount: p.steps, params } as const;
  return (async () => {
    try {
      const state: Record<string, number | SavedTensor> = {};
      for (const { path, value } of entries) state[path] = typeof value === 'number' ? value : await encodeSavedTensor(value, path);
      return { ...header, state, ...(p.mode === 'eval' ? { mode: 'eval' as const } : {}) };
    } finally {
      for (const { value } of entries) if (typeof value !== 'number') value.dispose();
    }
  })();
}

/**
 * Checks saved state against the optimizer and returns the value of every state leaf (in `flatten`
 * order), the step count, and the tensors made for them (the caller commits, then disposes them).
 *
 * @throws StateError naming the first mismatch; nothing is made then.
 */
export function readState(p: Persisted, saved: SavedOptimizerState): { values: StateLeaf[]; stepCount: number; mode: PointMode; created: tf.Tensor[] } {
  const s = saved as Partial<SavedOptimizerState> | null;
  if (s === null || typeof s !== 'object' || s.format !== 'gradkit-optimizer-state' || s.version !== 1)
    throw new StateError(
      'format',
      "this is not gradkit optimizer state (format 'gradkit-optimizer-state', version 1): pass what Optimizer.saveState() returned",
    );
  if (s.transform !== p.signature) throw new StateError('transform', `the state was saved by '${s.transform}' but this optimizer runs '${p.signature}'`);
  const savedParams = s.params !== null && typeof s.params === 'object' ? s.params : {};
  const savedPaths = Object.keys(savedParams);
  for (const [i, v] of p.params.entries()) {
    const path = p.paths[i] as string;
    const sp = Object.hasOwn(savedParams, path) ? savedParams[path] : undefined;
    if (!sp)
      throw new StateError(path, `the state has no parameter '${path}' (it has: ${savedPaths.slice(0, 8).join(', ')}${savedPaths.length > 8 ? ', …' : ''})`);
    if (!Array.isArray(sp.shape) || !tf.util.arraysEqual([...sp.shape], v.shape) || sp.dtype !== v.dtype)
      throw new StateError(path, `parameter '${path}' was ${sp.dtype}[${String(sp.shape)}] in the saved state, here it is ${v.dtype}[${v.shape.join(', ')}]`);
  }
  const extra = savedPaths.find((path) => !p.paths.includes(path));
  if (extra !== undefined) throw new StateError(extra, `the saved state has parameter '${extra}', which this optimizer does not have`);
  checkCount('stepCount', s.stepCount);
  if (s.mode !== undefined && s.mode !== 'eval') throw new StateError('mode', `the saved mode must be 'eval' or absent, got ${JSON.stringify(s.mode)}`);
  const current = flatten(p.state);
  const savedState = (s.state !== null && typeof s.state === 'object' ? s.state : {}) as Record<string, unknown>;
  const known = new Set(current.map((e) => e.path));
  const unknown = Object.keys(savedState).find((k) => !known.has(k));
  if (unknown !== undefined) throw new StateError(unknown, `the saved state has '${unknown}', which this optimizer's state does not have`);
  const nodes = partNodes(p.transform, p.state as StateTree);
  const created: tf.Tensor[] = [];
  try {
    const values = current.map(({ path, value }): StateLeaf => {
      const rule = stateRuleOf(nodes, path);
      if (!Object.hasOwn(savedState, path)) {
        if (rule === 'measured') return value; // measured at the last step; the next step measures it again
        throw new StateError(path, `the saved state lacks '${path}'`);
      }
      const leaf = savedState[path];
      if (typeof value === 'number') {
        if (typeof leaf !== 'number' || !Number.isFinite(leaf))
          throw new StateError(path, `'${path}' must be a finite number in the saved state, got ${String(leaf)}`);
        if (/(^|\.)count$/.test(path)) checkCount(path, leaf);
        return leaf;
      }
      const { tensor, values: host } = decodeSavedTensor(path, leaf, value);
      created.push(tensor);
      checkLoadedValues(path, host, value.dtype, rule);
      return tensor;
    });
    return { values, stepCount: s.stepCount as number, mode: s.mode ?? 'train', created };
  } catch (e) {
    tf.dispose(created);
    throw e;
  }
}
