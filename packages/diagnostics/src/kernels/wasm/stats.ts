// The statistics kernel's WebAssembly module (stats.wat beside this file, compiled at build time by
// scripts/wasm/wat.mjs), instantiated once per tfjs-backend-wasm instance against the backend's own
// WebAssembly.Memory: it reads each tensor where it lies (the cpu backend runs it on chunks copied into
// a memory of its own: ../cpu/stats.ts). The module is about 2 KB, under the 4 KB that Chrome compiles
// synchronously on the main thread; should synchronous instantiation throw anyway, it is instantiated
// asynchronously and stats-loop.ts serves until then.
import { chooseWasmVariant, type WasmVariant, wasmKernelCache } from '@gradkit/core';
import type * as tf from '@tensorflow/tfjs-core';
import type { Profile } from '../../stats.js';
import statsWat from './stats.wat';

/** stats.wat's exports: one pass over a run of elements per call, added to totals read with the getters. */
export interface StatsModule {
  /** Zeroes the totals (before the first run of a tensor). */
  reset(): void;
  /** Σx² of `n` elements at byte offset `x` (the 'norm' profile). */
  norm(x: number, n: number): void;
  /** Σx², Σx, largest and smallest finite element, zero and non-finite counts. */
  full(x: number, n: number): void;
  /** Counts of x < low or x > high (sigmoid) and of x > high or x < −high (tanh). */
  saturation(x: number, n: number, low: number, high: number): void;
  /** Σx² since `reset`. */
  sumSq(): number;
  /** Σx since `reset`. */
  sum(): number;
  /** The largest finite element since `reset` (−∞ when none). */
  max(): number;
  /** The smallest finite element since `reset` (+∞ when none). */
  min(): number;
  /** Zeros (±0) counted since `reset`. */
  zeros(): number;
  /** NaN and ±Infinity counted since `reset`. */
  nonFinite(): number;
  /** Sigmoid-saturated elements counted since `reset`. */
  sigmoidSaturated(): number;
  /** Tanh-saturated elements counted since `reset`. */
  tanhSaturated(): number;
  /** Zeroes `units` int32 flags at byte offset `flags`. */
  clearFlags(flags: number, units: number): void;
  /** Sets the flag of every unit that is > 0 in one of `rows` whole rows of `units` at byte offset `x`. */
  active(x: number, rows: number, units: number, flags: number): void;
  /** The flags set among `units` at byte offset `flags`. */
  countFlags(flags: number, units: number): number;
}

/**
 * A tensor's elements as runs in a module's memory: calls `pass(offset, count)` for each run (one,
 * where the tensor lies in that memory; chunk after chunk, each copied into it, elsewhere).
 */
export type Runs = (pass: (offset: number, count: number) => void) => void;

/** What the statistics need of tfjs-backend-wasm 4.22's BackendWasm. */
interface WasmBackend {
  readonly dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  disposeData(dataId: object): boolean;
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
 * The statistics of one float32 tensor of `n` elements at byte `offset` of a module's memory, in
 * `COLUMNS[profile]` order (see `statsOfRuns`).
 *
 * @example
 * ```ts
 * statsOf(module, offset, 1000, 'full', [1000], 0.01, () => view); // [sumSq, sum, maxAbs, zeros, nonFinite]
 * ```
 */
export function statsOf(m: StatsModule, offset: number, ...tensor: TensorArgs): number[] {
  return statsOfRuns(m, (pass) => pass(offset, tensor[0]), ...tensor);
}

/**
 * A tensor as `statsOfRuns` takes it besides its runs: its size, profile, shape, the saturation margin,
 * its values (read only to count active units in JavaScript) and the active units' flags (see `statsOfRuns`).
 */
type TensorArgs = [n: number, profile: Profile, shape: readonly number[], margin: number, values: () => ArrayLike<number>, flags?: number];

/** The units of an activation: its last axis (1 for a scalar). */
export const unitsOf = (shape: readonly number[]): number => (shape.length === 0 ? 1 : (shape[shape.length - 1] as number));

/**
 * The statistics of one float32 tensor of `n` elements, passed to a module as `runs`, in
 * `COLUMNS[profile]` order, finished as stats-loop.ts finishes them (max and min over the finite
 * elements, 0 when there is none). The 'activation' profile's active units are counted by the module
 * in `flags` (the byte offset of scratch for one int32 per unit, each run then being whole rows), or
 * else in JavaScript over `values`.
 *
 * @example
 * ```ts
 * statsOfRuns(module, (pass) => pass(offset, 1000), 1000, 'norm', [1000], 0.01, () => view); // [sumSq]
 * ```
 */
export function statsOfRuns(m: StatsModule, runs: Runs, ...[n, profile, shape, margin, values, flags]: TensorArgs): number[] {
  m.reset();
  if (profile === 'norm') {
    runs(m.norm);
    return [m.sumSq()];
  }
  const units = unitsOf(shape);
  if (profile === 'full') runs(m.full);
  else {
    const [low, high] = [Math.fround(margin), Math.fround(1 - margin)];
    if (flags !== undefined) m.clearFlags(flags, units);
    runs((offset, count) => {
      m.full(offset, count);
      m.saturation(offset, count, low, high);
      if (flags !== undefined && units > 0) m.active(offset, count / units, units, flags);
    });
  }
  let max = m.max();
  let min = m.min();
  if (max < min) max = min = 0; // no finite element
  max += 0; // −0 → +0, as stats-loop.ts reports zeros
  min += 0;
  if (profile === 'full') return [m.sumSq(), m.sum(), Math.max(max, -min), m.zeros(), m.nonFinite()];
  const active = flags === undefined ? activeUnits(values(), n, units) : m.countFlags(flags, units);
  return [m.sumSq(), m.sum(), max, min, m.zeros(), m.nonFinite(), active, m.sigmoidSaturated(), m.tanhSaturated()];
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
  const values = () => b.typedArrayFromHeap(t);
  if (profile !== 'activation') return statsOf(m, offset, n, profile, t.shape, margin, values);
  // The active units' flags: scratch in tfjs's heap, released right after.
  const scratch = b.makeOutput([Math.max(1, unitsOf(t.shape))], 'int32');
  try {
    return statsOf(m, offset, n, profile, t.shape, margin, values, b.dataIdMap.get(scratch.dataId)?.memoryOffset);
  } finally {
    b.disposeData(scratch.dataId);
  }
}
