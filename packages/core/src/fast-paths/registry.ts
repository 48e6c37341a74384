// gradkit's training fast paths: replacements for tfjs kernels that are slow on one backend while
// training (found with the profiler, `profileStep` in @gradkit/diagnostics). Each wraps tfjs's own
// kernel in the global kernel registry, so tfjs-layers models, tfjs-core ops and gradients all get
// it; the wrapper calls tfjs's kernel whenever fast paths are off, so switching mid-run changes no
// number beyond float rounding. Beside them, missing kernels: ones a backend does not register at all
// (tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter, so training any conv net on it throws). Those
// are registered only where the backend lacks the kernel, and stay registered with fast paths off:
// they are not an optimization, without them training throws.
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
  /**
   * `'fast'` (default): tfjs's kernel is right but slow, and `setFastPaths(false)` goes back to it.
   * `'fix'`: tfjs's kernel gives wrong numbers for some inputs, so the replacement stays on.
   */
  readonly kind?: 'fast' | 'fix';
}

/**
 * A kernel one backend does not register, which gradkit supplies (e.g. wasm's Conv2DBackpropFilter).
 * @internal
 */
export interface MissingKernel {
  /** The backend that lacks it. */
  readonly backend: BackendName;
  /** tfjs's kernel name. */
  readonly kernelName: string;
  /** What needs it (which gradient) and how gradkit computes it (shown by `fastPaths()`). */
  readonly why: string;
  /** The kernel. */
  readonly kernel: tf.KernelFunc;
}

const paths: FastPath[] = [];
const missing: MissingKernel[] = [];
const gradients: tf.GradConfig[] = [];
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
 * Adds a kernel that `useBackend` registers for a backend that lacks it (on whether fast paths are or
 * not). Returns a function that takes the definition back out of the list (for tests; a kernel
 * already registered stays). @internal
 */
export function defineMissingKernel(kernel: MissingKernel): () => void {
  missing.push(kernel);
  return () => {
    const at = missing.indexOf(kernel);
    if (at >= 0) missing.splice(at, 1);
  };
}

/**
 * Registers a gradient that replaces tfjs's (a wrong one: see avg-pool-gradient.ts), now and again at
 * every `installFastPaths`, since a second copy of tfjs-core loaded with a backend package registers
 * tfjs's own gradients again.
 * @internal
 */
export function defineGradient(config: tf.GradConfig): void {
  gradients.push(config);
  tf.registerGradient(config);
}

/**
 * Wraps tfjs's kernels on `backend` with gradkit's fast paths, and registers the missing kernels the
 * backend lacks (once per backend; `useBackend` calls it after the backend started). A fast path
 * whose kernel the backend does not register is left alone, and so is a missing kernel the backend
 * (or anyone else) registered.
 * @internal
 */
export function installFastPaths(backend: BackendName): void {
  let done = installed.get(backend);
  if (!done) {
    done = new Map();
    installed.set(backend, done);
  }
  for (const g of gradients) if (tf.getGradient(g.kernelName) !== g) tf.registerGradient(g);
  for (const m of missing) {
    if (m.backend !== backend || tf.getKernel(m.kernelName, backend)) continue;
    const config: tf.KernelConfig = { kernelName: m.kernelName, backendName: backend, kernelFunc: m.kernel };
    tf.registerKernel(config);
    done.set(m.kernelName, config);
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
        if (!enabled && path.kind !== 'fix') return original(args);
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
 * beyond float rounding. Two kinds stay in place (see `fastPaths()`): the kernels gradkit supplies
 * where a backend has none (`kind: 'missing'`, e.g. wasm's Conv2DBackpropFilter: without them
 * training throws) and the fixes of tfjs kernels that give wrong numbers (`kind: 'fix'`, e.g. wasm's
 * float32 OneHot).
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
 * The kernels gradkit installs, per backend: which tfjs kernel each is, why, whether it is a fast
 * path (`kind: 'fast'`: replaces tfjs's slow kernel, off with `setFastPaths(false)`), a fix
 * (`kind: 'fix'`: replaces a tfjs kernel that gives wrong numbers, always on) or a kernel the
 * backend lacks (`kind: 'missing'`: registered only where tfjs has none, always on), and whether it
 * is installed now (it is once `useBackend` has started that backend; a missing kernel is not when
 * the backend registers its own).
 *
 * @example
 * ```ts
 * for (const p of fastPaths()) console.log(p.backend, p.kernelName, p.kind, p.installed, p.why);
 * ```
 */
export function fastPaths(): { backend: BackendName; kernelName: string; kind: 'fast' | 'fix' | 'missing'; why: string; installed: boolean }[] {
  const entry = (p: FastPath | MissingKernel, kind: 'fast' | 'fix' | 'missing') => ({
    backend: p.backend,
    kernelName: p.kernelName,
    kind,
    why: p.why,
    installed: installed.get(p.backend)?.get(p.kernelName) === tf.getKernel(p.kernelName, p.backend),
  });
  return [...paths.map((p) => entry(p, p.kind ?? 'fast')), ...missing.map((m) => entry(m, 'missing'))];
}
