// gradkit's training fast paths: replacements for tfjs kernels that are slow on one backend while
// training (found with the profiler, `profileStep` in @gradkit/diagnostics). Each wraps tfjs's own
// kernel in the global kernel registry, so tfjs-layers models, tfjs-core ops and gradients all get
// it; the wrapper calls tfjs's kernel whenever fast paths are off, so switching mid-run changes no
// number beyond float rounding.
import * as tf from '@tensorflow/tfjs-core';
import type { BackendName } from '../backend/names.js';
import { HyperParameterError } from '../errors.js';

/**
 * A replacement for one tfjs kernel on one backend.
 *
 * @example
 * ```ts
 * const path: FastPath = {
 *   backend: 'wasm',
 *   kernelName: 'BatchMatMul',
 *   why: 'XNNPACK only runs untransposed operands: transpose explicitly first',
 *   kernel: (original) => (args) => original(args),
 * };
 * ```
 */
export interface FastPath {
  /** The backend whose kernel it replaces. */
  readonly backend: BackendName;
  /** tfjs's kernel name (`'BatchMatMul'`, `'_FusedMatMul'` …). */
  readonly kernelName: string;
  /** Why tfjs's kernel is slow there and what the replacement does (shown by `fastPaths()`). */
  readonly why: string;
  /** Builds the replacement from tfjs's own kernel function (which it may call for cases it does not speed up). */
  readonly kernel: (original: tf.KernelFunc) => tf.KernelFunc;
}

const paths: FastPath[] = [];
let enabled = true;
/** Calls of each installed fast path (`backend/kernel`) while fast paths were on, for tests. */
const calls = new Map<string, number>();
/** Per backend name: the kernel configs gradkit registered, so a second install is a no-op. */
const installed = new Map<string, Map<string, tf.KernelConfig>>();

/** Adds a fast path to the set `useBackend` installs (gradkit's own call this at import). @internal */
export function defineFastPath(path: FastPath): void {
  paths.push(path);
}

/**
 * Wraps tfjs's kernels on `backend` with gradkit's fast paths (once per backend; `useBackend` calls
 * it after the backend started). A kernel the backend does not register is left alone.
 * @internal
 */
export function installFastPaths(backend: BackendName): void {
  let done = installed.get(backend);
  if (!done) {
    done = new Map();
    installed.set(backend, done);
  }
  for (const path of paths) {
    if (path.backend !== backend) continue;
    const current = tf.getKernel(path.kernelName, backend);
    if (!current || done.get(path.kernelName) === current) continue;
    const original = current.kernelFunc;
    const fast = path.kernel(original);
    const key = `${backend}/${path.kernelName}`;
    const config: tf.KernelConfig = {
      ...current,
      kernelFunc: (args) => {
        if (!enabled) return original(args);
        calls.set(key, (calls.get(key) ?? 0) + 1);
        return fast(args);
      },
    };
    tf.unregisterKernel(path.kernelName, backend);
    tf.registerKernel(config);
    done.set(path.kernelName, config);
  }
}

/** How many times the fast path for `kernelName` on `backend` was entered (it may hand a case back to tfjs's kernel). @internal */
export function fastPathCalls(backend: BackendName, kernelName: string): number {
  return calls.get(`${backend}/${kernelName}`) ?? 0;
}

/**
 * Turns gradkit's training fast paths on or off, for every backend, at once (they are on by default
 * once `useBackend` has set a backend up). Off, every replaced kernel runs tfjs's own: use it to
 * compare, or to rule gradkit out when a result looks wrong. Switching mid-run changes no result
 * beyond float rounding.
 *
 * @param on - true to use the fast paths, false for tfjs's own kernels.
 * @throws HyperParameterError when `on` is not a boolean.
 * @example
 * ```ts
 * setFastPaths(false); // tfjs's own kernels, e.g. to time model.fit without gradkit
 * await model.fit(xs, ys, { epochs: 1 });
 * setFastPaths(true);
 * ```
 */
export function setFastPaths(on: boolean): void {
  if (typeof on !== 'boolean') throw new HyperParameterError('fastPaths', `setFastPaths takes true or false, got ${typeof on}`);
  enabled = on;
}

/**
 * Whether gradkit's training fast paths are on (see `setFastPaths`).
 *
 * @example
 * ```ts
 * console.log(fastPathsEnabled()); // true after useBackend('wasm')
 * ```
 */
export function fastPathsEnabled(): boolean {
  return enabled;
}

/**
 * The fast paths gradkit has, per backend: which tfjs kernel each replaces, why, and whether it is
 * installed now (it is once `useBackend` has started that backend).
 *
 * @example
 * ```ts
 * for (const p of fastPaths()) console.log(p.backend, p.kernelName, p.installed, p.why);
 * ```
 */
export function fastPaths(): { backend: BackendName; kernelName: string; why: string; installed: boolean }[] {
  return paths.map((p) => ({
    backend: p.backend,
    kernelName: p.kernelName,
    why: p.why,
    installed: installed.get(p.backend)?.get(p.kernelName) === tf.getKernel(p.kernelName, p.backend),
  }));
}
