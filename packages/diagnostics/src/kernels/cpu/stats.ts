// The statistics kernel's passes on the cpu backend: stats.wat (../wasm/stats.wat), the module the
// wasm backend runs where its tensors lie, run over each float32 tensor chunk by chunk, each chunk
// copied into a small memory of our own (128 KiB, which stays in the core's L2 cache; an activation's
// active-unit flags follow it). About 20×
// faster than the JavaScript loop (stats-loop.ts) that serves where WebAssembly cannot run (and for
// int32 tensors): the copy is a memcpy, the passes are SIMD.
import { chooseWasmVariant, wasmScratch } from '@gradkit/core';
import type * as tf from '@tensorflow/tfjs-core';
import type { Profile } from '../../stats.js';
import { instantiateStats, type StatsModule, statsOfRuns, unitsOf } from '../wasm/stats.js';
import statsWat from '../wasm/stats.wat';

/** Elements per chunk: 128 KiB. */
const CHUNK = 32768;
/** Units an activation may have for its active units to be counted in WebAssembly (flags after the chunk). */
const FLAGS = 32768;

/** The scratch memory and its module, or null while or where they cannot run (the caller then loops in JavaScript). */
const ready = wasmScratch((CHUNK + FLAGS) * 4, instantiateStats, (memory) =>
  WebAssembly.instantiate(statsWat[chooseWasmVariant(memory, statsWat)], { env: { memory } }).then(
    ({ instance }) => instance.exports as unknown as StatsModule,
  ),
);

/**
 * The statistics of a float32 array, in `COLUMNS[profile]` order, computed by stats.wat on chunks
 * copied into its scratch memory; undefined while or where the module cannot run.
 *
 * @example
 * ```ts
 * const row = chunkedStats(values, 'full', [values.length], 0.01) ?? statsLoop(values, 'full', [values.length], 0.01);
 * ```
 */
export function chunkedStats(values: Float32Array, profile: Profile, shape: readonly number[], margin: number): number[] | undefined {
  const s = ready();
  if (!s) return undefined;
  const n = values.length;
  // An activation's active units are flagged in WebAssembly when its rows fit a chunk: chunks of whole rows.
  const units = unitsOf(shape);
  const rowsFit = profile === 'activation' && units > 0 && units <= Math.min(CHUNK, FLAGS);
  const step = rowsFit ? Math.floor(CHUNK / units) * units : CHUNK;
  const runs = (pass: (offset: number, count: number) => void) => {
    for (let at = 0; at < n; at += step) {
      const part = values.subarray(at, Math.min(n, at + step));
      s.heap.set(part);
      pass(0, part.length);
    }
  };
  return statsOfRuns(s.kernels, runs, n, profile, shape, margin, () => values, rowsFit ? CHUNK * 4 : undefined);
}

/** What the statistics need of tfjs's MathBackendCPU. */
interface CpuBackend {
  readonly data: { get(dataId: object): { values?: unknown } | undefined };
}

/**
 * The statistics of one tensor on tfjs's cpu backend by `chunkedStats`, or undefined (the caller then
 * runs stats-loop.ts) for a tensor that is not float32 or while the module cannot run.
 *
 * @example
 * ```ts
 * const row = cpuStats(tf.backend(), tensorInfo, 'full', 0.01) ?? statsLoop(values, 'full', shape, 0.01);
 * ```
 */
export function cpuStats(backend: unknown, t: tf.TensorInfo, profile: Profile, margin: number): number[] | undefined {
  const values = (backend as CpuBackend).data.get(t.dataId)?.values;
  if (t.dtype !== 'float32' || !(values instanceof Float32Array)) return undefined;
  return chunkedStats(values, profile, t.shape, margin);
}
