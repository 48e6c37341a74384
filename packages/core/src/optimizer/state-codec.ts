import * as tf from '@tensorflow/tfjs-core';
import { StateError } from '../errors.js';
import type { PartNode } from './parts.js';

/** One tensor of saved state: its shape, dtype and little-endian bytes in base64 (exact, NaN and ±∞ included). @example `{ shape: [2], dtype: 'float32', data: 'AACAPwAAAEA=' }` */
export interface SavedTensor {
  /** Shape of the tensor. */
  readonly shape: readonly number[];
  /** `'float32'`, `'int32'` or `'bool'`. */
  readonly dtype: 'float32' | 'int32' | 'bool';
  /** The values' bytes (Float32Array / Int32Array / Uint8Array), base64. */
  readonly data: string;
}

const ARRAYS = { float32: Float32Array, int32: Int32Array, bool: Uint8Array } as const;

function toBase64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

/**
 * A tensor as a `SavedTensor` (its bytes in base64, exact), read back asynchronously so it works on
 * WebGPU. `name` names it in the error for a dtype that cannot be saved.
 *
 * @throws StateError naming `name` for a string or complex tensor.
 * @example
 * ```ts
 * const saved = await encodeSavedTensor(t); // { shape: [2], dtype: 'float32', data: 'AACAPwAAAEA=' }
 * ```
 */
export async function encodeSavedTensor(t: tf.Tensor, name = ''): Promise<SavedTensor> {
  const dtype = t.dtype as SavedTensor['dtype'];
  if (!Object.hasOwn(ARRAYS, dtype))
    throw new StateError(name, `cannot save the ${t.dtype} tensor${name ? ` '${name}'` : ''}: saved tensors are float32, int32 or bool`);
  const values = await t.data();
  const typed = new ARRAYS[dtype](values as ArrayLike<number>);
  return { shape: [...t.shape], dtype, data: toBase64(new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength)) };
}

/**
 * A `SavedTensor` as a tensor (and its host values, for checks), with its bytes checked against its
 * shape and, when `like` is given, its shape and dtype against `like`'s.
 *
 * @throws StateError naming `path` for anything that is not such a saved tensor.
 * @example
 * ```ts
 * const { tensor } = decodeSavedTensor('mu.w', saved, param);
 * ```
 */
export function decodeSavedTensor(path: string, saved: unknown, like?: tf.Tensor): { tensor: tf.Tensor; values: ArrayLike<number> } {
  const s = saved as Partial<SavedTensor> | null;
  if (!s || typeof s !== 'object' || typeof s.data !== 'string' || !Array.isArray(s.shape) || !s.shape.every((d) => Number.isInteger(d) && d >= 0))
    throw new StateError(path, `saved state at '${path}' is not a saved tensor ({ shape, dtype, data })`);
  if (!Object.hasOwn(ARRAYS, s.dtype as string)) throw new StateError(path, `saved state at '${path}' has dtype ${String(s.dtype)}: float32, int32 or bool`);
  const dtype = s.dtype as SavedTensor['dtype'];
  if (like && (dtype !== like.dtype || !tf.util.arraysEqual([...s.shape], like.shape)))
    throw new StateError(path, `saved state at '${path}' is ${dtype}[${s.shape.join(', ')}] but this optimizer needs ${like.dtype}[${like.shape.join(', ')}]`);
  let bytes: Uint8Array;
  try {
    bytes = Uint8Array.from(atob(s.data), (c) => c.charCodeAt(0));
  } catch {
    throw new StateError(path, `saved state at '${path}' has data that is not base64`);
  }
  const Ctor = ARRAYS[dtype];
  const size = tf.util.sizeFromShape([...s.shape]);
  if (bytes.byteLength !== size * Ctor.BYTES_PER_ELEMENT)
    throw new StateError(path, `saved state at '${path}' has ${bytes.byteLength} bytes, expected ${size * Ctor.BYTES_PER_ELEMENT}`);
  const values = new Ctor(bytes.buffer as ArrayBuffer, bytes.byteOffset, size);
  return { tensor: tf.tensor(dtype === 'bool' ? Array.from(values) : values, [...s.shape], dtype), values };
}

/** What the values of a state leaf may be when loaded: see `GradientTransformation.stateChecks` (`'measured'` leaves may also be missing). */
export type StateRule = 'finite' | 'nonNegative' | 'unchecked' | 'measured';

/** The rule of the state leaf at `path`: declared by the part whose state holds it (the longest matching key), else `'finite'`. */
export function stateRuleOf(nodes: readonly PartNode[], path: string): StateRule {
  let best: { length: number; rule: StateRule } = { length: -1, rule: 'finite' };
  for (const { part, statePath } of nodes) {
    for (const [key, rule] of Object.entries(part.stateChecks ?? {})) {
      const prefix = statePath === '' ? key : `${statePath}.${key}`;
      if ((path === prefix || path.startsWith(`${prefix}.`)) && prefix.length > best.length) best = { length: prefix.length, rule };
    }
  }
  return best.rule;
}

/** Throws a StateError naming `path` when loaded float values break their rule (NaN, ±∞, or negative where non-negative). */
export function checkLoadedValues(path: string, values: ArrayLike<number>, dtype: string, rule: StateRule): void {
  if (dtype !== 'float32' || rule === 'unchecked') return;
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (rule !== 'measured' && !Number.isFinite(v))
      throw new StateError(
        path,
        `saved state at '${path}' holds ${v} (element ${i}): optimizer state must be finite; this checkpoint was taken after training diverged, or it is corrupt`,
      );
    if (rule === 'nonNegative' && v < 0)
      throw new StateError(
        path,
        `saved state at '${path}' holds ${v} (element ${i}), but it is a running average of squares and cannot be negative: the checkpoint is corrupt`,
      );
  }
}
