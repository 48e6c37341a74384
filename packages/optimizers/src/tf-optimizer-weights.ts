// The optimizer weights of a TransformOptimizer as tfjs writes them (`model.save(…, { includeOptimizer:
// true })`): named tensors, converted from and to the runner's saved state.
import { decodeSavedTensor, encodeSavedTensor, type SavedOptimizerState, type SavedTensor, StateError } from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';

/** The iteration count, first, as every tfjs optimizer writes it. */
export const ITER = 'iter';
/** The saved state without its tensors (format, transformation, step count, parameter shapes, number leaves), as JSON. */
export const META = 'gradkit:meta';
/** Prefix of each state tensor's name; the rest is its path in the state tree. */
export const STATE = 'gradkit:state:';

/** A named tensor, as tfjs optimizers' `getWeights` returns them (tfjs-core does not export its type). */
export interface NamedTensor {
  readonly name: string;
  readonly tensor: tf.Tensor;
}

/**
 * The named tensors for tfjs: `iter` (int32 scalar), then, once there is state, `gradkit:meta` (a
 * string scalar: the saved state's JSON without its tensors) and one `gradkit:state:<path>` tensor
 * per state tensor. The caller owns the tensors.
 */
export function weightsOf(iterations: number, saved: SavedOptimizerState | null): NamedTensor[] {
  const out: NamedTensor[] = [{ name: ITER, tensor: tf.scalar(iterations, 'int32') }];
  if (!saved) return out;
  const numbers: Record<string, number> = {};
  const tensors: NamedTensor[] = [];
  try {
    for (const [path, leaf] of Object.entries(saved.state)) {
      if (typeof leaf !== 'number') tensors.push({ name: STATE + path, tensor: decodeSavedTensor(path, leaf).tensor });
      else if (Number.isFinite(leaf)) numbers[path] = leaf;
      else throw new StateError(path, `state '${path}' is ${leaf}, which JSON cannot hold: this state cannot be saved`);
    }
  } catch (e) {
    tf.dispose([out[0]?.tensor as tf.Tensor, ...tensors.map((t) => t.tensor)]);
    throw e;
  }
  return [...out, { name: META, tensor: tf.scalar(JSON.stringify({ ...saved, state: numbers })) }, ...tensors];
}

/** What `setWeights` was given: the iteration count and the saved state (null: none was written, before the first step). */
export interface ReadWeights {
  readonly iterations: number;
  readonly saved: SavedOptimizerState | null;
}

const HINT = `a TransformOptimizer's weights are '${ITER}', '${META}' and '${STATE}<path>' (what its getWeights returns, or model.save writes)`;

/** Checks and reads the named tensors `getWeights` made (after a save and a load); throws a StateError naming the weight that is wrong. */
export async function readWeights(weights: unknown): Promise<ReadWeights> {
  if (!Array.isArray(weights))
    throw new StateError('weights', `setWeights takes an array of { name, tensor }; got ${weights === null ? 'null' : typeof weights}`);
  const byName = new Map<string, tf.Tensor>();
  weights.forEach((w: unknown, i) => {
    const { name, tensor } = (w ?? {}) as { name?: unknown; tensor?: unknown };
    if (typeof name !== 'string') throw new StateError(`weights.${i}`, `weights[${i}] must be { name: string, tensor }`);
    if (!(tensor instanceof tf.Tensor) || tensor.isDisposed) throw new StateError(name, `optimizer weight '${name}' is not a live tensor`);
    if (byName.has(name)) throw new StateError(name, `optimizer weight '${name}' is given twice`);
    if (name !== ITER && name !== META && !name.startsWith(STATE)) throw new StateError(name, `unknown optimizer weight '${name}': ${HINT}`);
    byName.set(name, tensor);
  });
  const iter = byName.get(ITER);
  if (iter?.rank !== 0 || iter.dtype === 'string') throw new StateError(ITER, `the weights need '${ITER}', the step count as a number scalar: ${HINT}`);
  const iterations = (await iter.data())[0] as number;
  if (!Number.isSafeInteger(iterations) || iterations < 0) throw new StateError(ITER, `'${ITER}' must be a whole number ≥ 0, got ${iterations}`);
  const metaTensor = byName.get(META);
  if (!metaTensor) {
    const other = [...byName.keys()].find((n) => n !== ITER);
    if (other !== undefined || iterations > 0)
      throw new StateError(META, `the weights lack '${META}', which describes the state${other !== undefined ? ` of '${other}'` : ` of ${iterations} steps`}`);
    return { iterations, saved: null };
  }
  const meta = metaTensor.dtype === 'string' && metaTensor.rank === 0 ? parseMeta(String((await metaTensor.data())[0])) : undefined;
  if (!meta) throw new StateError(META, `'${META}' must be a string scalar holding the saved state as JSON`);
  if (meta.stepCount !== iterations) throw new StateError(ITER, `'${ITER}' is ${iterations} but the state was saved after ${String(meta.stepCount)} steps`);
  const state: Record<string, number | SavedTensor> = { ...meta.state };
  for (const [name, t] of byName) {
    if (!name.startsWith(STATE)) continue;
    const path = name.slice(STATE.length);
    if (Object.hasOwn(state, path)) throw new StateError(path, `state '${path}' is both a number in '${META}' and the tensor '${name}'`);
    state[path] = await encodeSavedTensor(t, name);
  }
  return { iterations, saved: { ...meta, state } };
}

/** The saved state's JSON, if it is an object with a `state` object of numbers (the rest is checked by `Optimizer.loadState`). */
function parseMeta(json: string): SavedOptimizerState | undefined {
  let m: unknown;
  try {
    m = JSON.parse(json);
  } catch {
    return undefined;
  }
  const s = m as Partial<SavedOptimizerState> | null;
  if (s === null || typeof s !== 'object' || Array.isArray(s) || s.state === null || typeof s.state !== 'object' || Array.isArray(s.state)) return undefined;
  return Object.values(s.state).every((v) => typeof v === 'number') ? (s as SavedOptimizerState) : undefined;
}
