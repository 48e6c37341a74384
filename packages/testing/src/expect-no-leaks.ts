import * as tf from '@tensorflow/tfjs-core';
import { AssertionError } from './expect-close.js';

/** Options of `expectNoLeaks`. @example `{ what: '200 Optimizer.step calls' }` */
export interface NoLeakOptions {
  /** What ran, for the failure message. */
  readonly what?: string;
}

/**
 * Collects the live tensors created after `minId` that are reachable from `value` (tensors,
 * arrays, plain objects and Map values, nested), each once.
 */
function returnedTensors(value: unknown, minId: number, found = new Set<number>(), seen = new Set<unknown>()): Set<number> {
  if (value === null || typeof value !== 'object' || seen.has(value)) return found;
  seen.add(value);
  if (value instanceof tf.Tensor) {
    if (!value.isDisposed && value.id > minId) found.add(value.id);
  } else if (Array.isArray(value)) {
    for (const v of value) returnedTensors(v, minId, found, seen);
  } else if (value instanceof Map) {
    for (const v of value.values()) returnedTensors(v, minId, found, seen);
  } else if (Object.getPrototypeOf(value) === Object.prototype || Object.getPrototypeOf(value) === null) {
    for (const v of Object.values(value)) returnedTensors(v, minId, found, seen);
  }
  return found;
}

/**
 * Runs `fn` (sync or async) and asserts that it left no tensor allocated: `tf.memory().numTensors`
 * after it equals the count before it, plus the tensors `fn` returns. Returned tensors are those
 * created by `fn` and reachable from its result through arrays, plain objects and Map values (so
 * `{ value, grads }` from `valueAndGrad` counts as returned, not leaked); the caller disposes them.
 * Variables count as tensors. A lazily created state (say, an optimizer's moments on its first step)
 * counts as a leak: warm up before measuring. Fewer tensors than before is a failure too (`fn`
 * disposed something it did not create, such as the gradients it was given). If `fn` throws, its
 * error propagates unchecked.
 *
 * @returns what `fn` returned.
 * @throws AssertionError saying how many tensors were left (before, after, returned).
 * @example
 * ```ts
 * await expectNoLeaks(() => { for (let i = 0; i < 200; i++) opt.step(grads); }, { what: '200 steps' });
 * const { value, grads } = await expectNoLeaks(() => valueAndGrad(loss)(params));
 * ```
 */
export async function expectNoLeaks<T>(fn: () => T | Promise<T>, options: NoLeakOptions = {}): Promise<T> {
  const marker = tf.scalar(0);
  const minId = marker.id;
  marker.dispose();
  const before = tf.memory().numTensors;
  const result = await fn();
  const after = tf.memory().numTensors;
  const returned = returnedTensors(result, minId).size;
  const leaked = after - before - returned;
  if (leaked !== 0) {
    const label = `expectNoLeaks${options.what ? ` (${options.what})` : ''} on ${tf.getBackend()}`;
    const what =
      leaked > 0 ? `left ${leaked} tensor${leaked === 1 ? '' : 's'} allocated` : `disposed ${-leaked} tensor${leaked === -1 ? '' : 's'} it did not create`;
    throw new AssertionError(
      `${label}: ${what} (tensors before ${before}, after ${after}, returned ${returned}): dispose intermediates (tf.tidy, tf.dispose) or return them`,
    );
  }
  return result;
}
