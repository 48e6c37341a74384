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

/** Reads a tensor (asynchronously, so it works on WebGPU) into a SavedTensor. */
export async function encodeTensor(t: tf.Tensor): Promise<SavedTensor> {
  const dtype = t.dtype as SavedTensor['dtype'];
  if (!(dtype in ARRAYS)) throw new StateError('', `cannot save a ${t.dtype} tensor in optimizer state`);
  const values = await t.data();
  const typed = new ARRAYS[dtype](values as ArrayLike<number>);
  return { shape: [...t.shape], dtype, data: toBase64(new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength)) };
}

/** Checks a SavedTensor against the expected shape and dtype and turns it into a tensor (and its host values, for checks). */
export function decodeTensor(path: string, saved: unknown, like: tf.Tensor): { tensor: tf.Tensor; values: ArrayLike<number> } {
  const s = saved as Partial<SavedTensor> | null;
  if (!s || typeof s !== 'object' || typeof s.data !== 'string' || !Array.isArray(s.shape)) {
    throw new StateError(path, `saved state at '${path}' is not a saved tensor ({ shape, dtype, data })`);
  }
  if (s.dtype !== like.dtype || !s.shape.every((d) => Number.isInteger(d)) || !tf.util.arraysEqual([...s.shape], like.shape)) {
    throw new StateError(
      path,
      `saved state at '${path}' is ${s.dtype}[${s.shape.join(', ')}] but this optimizer needs ${like.dtype}[${like.shape.join(', ')}]`,
    );
  }
  let bytes: Uint8Array;
  try {
    bytes = Uint8Array.from(atob(s.data), (c) => c.charCodeAt(0));
  } catch {
    throw new StateError(path, `saved state at '${path}' has data that is not base64`);
  }
  const Ctor = ARRAYS[s.dtype];
  if (bytes.byteLength !== like.size * Ctor.BYTES_PER_ELEMENT)
    throw new StateError(path, `saved state at '${path}' has ${bytes.byteLength} bytes, expected ${like.size * Ctor.BYTES_PER_ELEMENT}`);
  const values = new Ctor(bytes.buffer as ArrayBuffer, bytes.byteOffset, like.size);
  return { tensor: tf.tensor(s.dtype === 'bool' ? Array.from(values) : values, like.shape, like.dtype), values };
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
