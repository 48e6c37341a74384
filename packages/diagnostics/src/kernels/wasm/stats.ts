// The statistics kernel's WebAssembly module (stats.wat beside this file, compiled at build time by
// scripts/wasm/wat.mjs), instantiated once per tfjs-backend-wasm instance against the backend's own
// WebAssembly.Memory: it reads each tensor where it lies. The module is about 1.3 KB, under the 4 KB
// that Chrome compiles synchronously on the main thread; should synchronous instantiation throw
// anyway, it is instantiated asynchronously and stats-loop.ts serves until then.
import { chooseWasmVariant, type WasmVariant, wasmKernelCache } from '@gradkit/core';
import type * as tf from '@tensorflow/tfjs-core';
import type { Profile } from '../../stats.js';
import statsWat from './stats.wat';

/** stats.wat's exports: one pass per call, its results read with the getters. */
export interface StatsModule {
  /** Σx² of `n` elements at byte offset `x` (the 'norm' profile). */
  norm(x: number, n: number): void;
  /** Σx², Σx, largest and smallest finite element, zero and non-finite counts. */
  full(x: number, n: number): void;
  /** Counts of x < low or x > high (sigmoid) and of x > high or x < −high (tanh). */
  saturation(x: number, n: number, low: number, high: number): void;
  /** Σx² of the last `norm` or `full`. */
  sumSq(): number;
  /** Σx of the last `full`. */
  sum(): number;
  /** The largest finite element of the last `full` (−∞ when none). */
  max(): number;
  /** The smallest finite element of the last `full` (+∞ when none). */
  min(): number;
  /** Zeros (±0) counted by the last `full`. */
  zeros(): number;
  /** NaN and ±Infinity counted by the last `full`. */
  nonFinite(): number;
  /** Sigmoid-saturated elements counted by the last `saturation`. */
  sigmoidSaturated(): number;
  /** Tanh-saturated elements counted by the last `saturation`. */
  tanhSaturated(): number;
}

/** What the statistics need of tfjs-backend-wasm 4.22's BackendWasm. */
interface WasmBackend {
  readonly dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

/**
 * Instantiates stats.wat against `memory` (the variant `chooseWasmVariant` picks unless given); exported for tests.
 *
 * @example
 * ```ts
 * const stats = instantiateStats(new WebAssembly.Memory({ initial: 1 }), 'scalar');
 * ```
 */
export function instantiateStats(memory: WebAssembly.Memory, variant: WasmVariant = chooseWasmVariant(memory, statsWat)): StatsModule {
  return new WebAssembly.Instance(new WebAssembly.Module(statsWat[variant]), { env: { memory } }).exports as unknown as StatsModule;
}

/** The module for one backend instance (instantiated on first use), or undefined while or where it cannot run. */
const moduleFor: (backend: object) => StatsModule | undefined = wasmKernelCache(
  (memory) => instantiateStats(memory),
  async (memory) =>
    (await WebAssembly.instantiate(statsWat[chooseWasmVariant(memory, statsWat)], { env: { memory } })).instance.exports as unknown as StatsModule,
);

/**
 * The statistics of one float32 tensor from a module, in `COLUMNS[profile]` order, finished as
 * stats-loop.ts finishes them (max and min over the finite elements, 0 when there is none). `values`
 * is needed by the 'activation' profile only (its active units are counted in JavaScript).
 *
 * @example
 * ```ts
 * statsOf(module, offset, 1000, 'full', [1000], 0.01, () => view); // [sumSq, sum, maxAbs, zeros, nonFinite]
 * ```
 */
export function statsOf(
  m: StatsModule,
  offset: number,
  n: number,
  profile: Profile,
  shape: readonly number[],
  margin: number,
  values: () => ArrayLike<number>,
): number[] {
  if (profile === 'norm') {
    m.norm(offset, n);
    return [m.sumSq()];
  }
  m.full(offset, n);
  let max = m.max();
  let min = m.min();
  if (max < min) max = min = 0; // no finite element
  max += 0; // −0 → +0, as stats-loop.ts reports zeros
  min += 0;
  if (profile === 'full') return [m.sumSq(), m.sum(), Math.max(max, -min), m.zeros(), m.nonFinite()];
  m.saturation(offset, n, Math.fround(margin), Math.fround(1 - margin));
  const units = shape.length === 0 ? 1 : (shape[shape.length - 1] as number);
  return [m.sumSq(), m.sum(), max, min, m.zeros(), m.nonFinite(), activeUnits(values(), n, units), m.sigmoidSaturated(), m.tanhSaturated()];
}

/** Units (the last axis) that are > 0 somewhere in the batch: row by row, stopping once every unit was seen active. */
function activeUnits(v: ArrayLike<number>, n: number, units: number): number {
  if (units === 0) return 0;
  const active = new Uint8Array(units);
  let found = 0;
  for (let row = 0; row < n && found < units; row += units) {
    for (let j = 0; j < units; j++) {
      if (active[j] === 0 && (v[row + j] as number) > 0) {
        active[j] = 1;
        found++;
      }
    }
  }
  return found;
}

/**
 * The statistics of one tensor on tfjs-backend-wasm, computed by stats.wat where the tensor lies, or
 * undefined (the caller then runs stats-loop.ts) for a non-float32 tensor or while the module cannot run.
 *
 * @example
 * ```ts
 * const row = wasmStats(tf.backend(), tensorInfo, 'full', 0.01) ?? statsLoop(values, 'full', shape, 0.01);
 * ```
 */
export function wasmStats(backend: unknown, t: tf.TensorInfo, profile: Profile, margin: number): number[] | undefined {
  const b = backend as WasmBackend;
  if (t.dtype !== 'float32') return undefined;
  const m = moduleFor(b);
  const offset = b.dataIdMap.get(t.dataId)?.memoryOffset;
  if (!m || offset === undefined) return undefined;
  let n = 1;
  for (const d of t.shape) n *= d;
  return statsOf(m, offset, n, profile, t.shape, margin, () => b.typedArrayFromHeap(t));
}
