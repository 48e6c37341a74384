import * as tf from '@tensorflow/tfjs-core';
import { GradkitError } from '../errors.js';

/**
 * What a fused kernel receives for one optimizer step over all parameters. Tensors are given as
 * tfjs `TensorInfo`s (dataId, shape, dtype) on `backend`; the kernel updates `params` and `slots` in
 * place. The runner has already made every one of them exclusive (copy-on-write: a buffer shared with
 * another tensor is copied before the kernel runs), so in-place writes never leak into other tensors,
 * and afterwards tells the backend what changed (wasm's per-tensor XNNPACK caches, WebGPU's CPU read
 * cache), so kernels only write.
 *
 * @example
 * ```ts
 * const kernelFunc = ({ backend, params, grads, hyper }: FusedKernelArgs) => { … };
 * ```
 */
export interface FusedKernelArgs {
  /** The active tfjs backend instance (`tf.backend()`), e.g. MathBackendCPU, BackendWasm, WebGPUBackend. */
  readonly backend: tf.KernelBackend;
  /** Parameters, in the tree's flatten order. */
  readonly params: readonly tf.TensorInfo[];
  /** Gradients, one per parameter (read only: the caller owns them). */
  readonly grads: readonly tf.TensorInfo[];
  /** `slots[k][i]`: the k-th per-parameter state buffer of parameter i, in the order `slots()` declared. */
  readonly slots: readonly (readonly tf.TensorInfo[])[];
  /**
   * The state tensors named by `scalars()`, in that order (for example applyIfFinite's counters),
   * written in place like the slots.
   */
  readonly scalars: readonly tf.TensorInfo[];
  /** Each part's resolved options (`GradientTransformation.options`), in pattern order. */
  readonly options: readonly object[];
  /** Each part's numeric hyper-parameters at this step (`GradientTransformation.hyperParams`). */
  readonly hyper: readonly Readonly<Record<string, number>>[];
  /** Each part's step count: its state's `count` before this step, else the optimizer's step. */
  readonly counts: readonly number[];
  /**
   * Each part's state numbers before this step: the number leaves at the root of its state (`count`,
   * schedule-free's `lrMax` and `weightSum` …; `{}` for a part that has none). A kernel whose rule
   * depends on host numbers (schedule-free's averaging weight) reads them here; the part's `hostStep`
   * advances them in the state.
   */
  readonly numbers: readonly Readonly<Record<string, number>>[];
  /** The optimizer's step being taken, counted from 0. */
  readonly step: number;
}

/**
 * A fused kernel: one backend's fast implementation of a chain of transformations followed by the
 * parameter update, registered with `registerFusedKernel`.
 *
 * @example
 * ```ts
 * registerFusedKernel({ kernelName: 'GradkitSgd', backendName: 'cpu', pattern: ['sgd'], kernelFunc: sgdCpu });
 * ```
 */
export interface FusedKernelConfig {
  /** Name in tfjs's kernel registry (one name, registered once per backend), e.g. `'GradkitSgd'`. */
  readonly kernelName: string;
  /** The tfjs backend it runs on: `'cpu'`, `'wasm'`, `'webgpu'`. */
  readonly backendName: string;
  /**
   * The `name`s of the transformations it implements, in chain order, e.g. `['clipByGlobalNorm', 'adam']`.
   * A wrapper (a transformation with `inner`) comes before the names of what it wraps:
   * `applyIfFinite(chain(clipByGlobalNorm(1), adam()))` is `['applyIfFinite', 'clipByGlobalNorm', 'adam']`.
   */
  readonly pattern: readonly string[];
  /**
   * The per-parameter state buffers the kernel reads and writes, as paths inside each part's state
   * whose subtree mirrors the parameter tree (e.g. `[[], ['mu', 'nu']]` for clip → adam). Default: none.
   */
  readonly slots?: (options: readonly object[]) => readonly (readonly string[])[];
  /**
   * Other state tensors the kernel reads and writes, as keys of each part's state whose value is one
   * tensor (e.g. `[['notfiniteCount', 'totalNotfinite', 'lastFinite'], [], []]` for applyIfFinite →
   * clip → adam). They reach the kernel as `args.scalars`, flattened in order. Default: none.
   */
  readonly scalars?: (options: readonly object[]) => readonly (readonly string[])[];
  /** Whether the kernel implements these options (for example only `momentum === 0`). Default: yes. */
  readonly supports?: (options: readonly object[]) => boolean;
  /**
   * The kernel promises that it checks everything before it writes, so that it never throws after
   * writing (default false). For a kernel that does not, the runner keeps a copy of every buffer the
   * kernel writes and restores it when the kernel throws — steps stay all-or-nothing either way, at
   * the cost of one copy per step.
   */
  readonly atomic?: boolean;
  /**
   * Checks one call's inputs without writing anything, throwing what the kernel would throw. A step of
   * several kernels (one per group of a `partition`) calls every kernel's `validate` before the first
   * kernel runs, so an atomic kernel that would refuse its inputs fails before another one wrote;
   * without it such a step copies every buffer first, as for a kernel that is not atomic.
   */
  readonly validate?: (args: FusedKernelArgs) => void;
  /** The kernel. It writes the new parameters and slots in place and returns nothing. */
  readonly kernelFunc: (args: FusedKernelArgs) => void;
}

const registry = new Map<string, FusedKernelConfig[]>();
let version = 0;

/** Changes whenever a fused kernel is registered or removed (runners cache what they found by it). */
export function fusedRegistryVersion(): number {
  return version;
}
const keyOf = (pattern: readonly string[]) => pattern.join(' > ');

/**
 * Registers a fused kernel: the plugin point through which a chain of transformations gets a fast
 * path on one backend. The kernel goes into tfjs's own registry (`tf.registerKernel`) and the
 * `Optimizer` runner calls it with `tf.engine().runKernel` whenever its chain matches `pattern` on the
 * active backend and `supports` accepts the options; otherwise the runner takes the reference path
 * (the transformations' tf ops), never an error. Both paths must give the same numbers.
 *
 * Registering the same kernel name for the same backend again replaces it.
 *
 * @example
 * ```ts
 * registerFusedKernel({
 *   kernelName: 'GradkitSgd', backendName: 'cpu', pattern: ['sgd'],
 *   supports: ([o]) => (o as SgdOptions).momentum === 0,
 *   kernelFunc: ({ backend, params, grads, hyper }) => { … },
 * });
 * ```
 */
export function registerFusedKernel(config: FusedKernelConfig): void {
  if (!config.kernelName || !config.backendName || config.pattern.length === 0) {
    throw new GradkitError('BAD_KERNEL', 'registerFusedKernel needs a kernelName, a backendName and a non-empty pattern');
  }
  if (tf.getKernel(config.kernelName, config.backendName)) tf.unregisterKernel(config.kernelName, config.backendName);
  tf.registerKernel({
    kernelName: config.kernelName,
    backendName: config.backendName,
    kernelFunc: ({ backend, attrs }) => {
      config.kernelFunc({ backend: backend as tf.KernelBackend, ...(attrs as unknown as { args: Omit<FusedKernelArgs, 'backend'> }).args });
      return [];
    },
  });
  const key = keyOf(config.pattern);
  const list = (registry.get(key) ?? []).filter((c) => !(c.kernelName === config.kernelName && c.backendName === config.backendName));
  registry.set(key, [...list, config]);
  version++;
}

/**
 * Removes a fused kernel registered with `registerFusedKernel` (for tests and hot reload).
 *
 * @example
 * ```ts
 * unregisterFusedKernel('GradkitSgd', 'cpu');
 * ```
 */
export function unregisterFusedKernel(kernelName: string, backendName: string): void {
  for (const [key, list] of registry) {
    const kept = list.filter((c) => !(c.kernelName === kernelName && c.backendName === backendName));
    if (kept.length !== list.length) {
      registry.set(key, kept);
      version++;
      if (tf.getKernel(kernelName, backendName)) tf.unregisterKernel(kernelName, backendName);
    }
  }
}

/**
 * The fused kernel the runner would use for `pattern` with `options` on `backendName`, or undefined.
 *
 * @example
 * ```ts
 * findFusedKernel(['sgd'], [{ learningRate: 0.1, momentum: 0 }], 'cpu')?.kernelName; // 'GradkitSgd'
 * ```
 */
export function findFusedKernel(pattern: readonly string[], options: readonly object[], backendName: string): FusedKernelConfig | undefined {
  return registry.get(keyOf(pattern))?.find((c) => c.backendName === backendName && (c.supports?.(options) ?? true));
}

/** Runs a fused kernel through tfjs's kernel registry. */
export function runFusedKernel(config: FusedKernelConfig, args: Omit<FusedKernelArgs, 'backend'>): void {
  tf.engine().runKernel(config.kernelName, {}, { args } as unknown as tf.NamedAttrMap);
}
