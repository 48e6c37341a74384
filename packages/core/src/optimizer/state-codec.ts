import * as tf from '@tensorflow/tfjs-core';
import { StateError } from '../errors.js';

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

/** Checks a SavedTensor against the expected shape and dtype and turns it into a tensor. */
export function decodeTensor(path: string, saved: unknown, like: tf.Tensor): tf.Tensor {
  const s = saved as Partial<SavedTensor> | null;
  if (!s || typeof s !== 'object' || typeof s.data !== 'string' || !Array.isArray(s.shape)) {
    throw new StateError(path, `saved state at '${path}' is not a saved tensor ({ shape, dtype, data })`);
  }
  if (s.dtype !== like.dtype || !tf.util.arraysEqual([...s.shape], like.shape)) {
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
  return tf.tensor(s.dtype === 'bool' ? Array.from(values) : values, like.shape, like.dtype);
}
