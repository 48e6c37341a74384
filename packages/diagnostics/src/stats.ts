// The one-pass statistics engine (not part of the public surface).
//
// cpu, wasm and webgpu: one registered kernel (kernels/register.ts) computes every tensor's statistics
// in one pass over the backend's own data (WebAssembly SIMD on cpu and wasm, a compute pass on webgpu):
// one kernel launch per observation, exact counts, a row per tensor in request order.
//
// Elsewhere, and as the reference: tf ops. Tensors of the same shape are stacked into one
// [k, n] matrix per group and reduced together, so the number of kernels launched grows with the
// number of distinct shapes (a handful per network), not with the number of layers. Only arithmetic
// ops and reductions run on the common path (comparisons with a bool output are several times
// slower): counts use `step` (1 where x > 0), e.g. the non-zero count is Σ step(|x|). Non-finite
// values need comparisons, so they are detected from the sums (NaN and ±Infinity propagate into Σx
// and Σx²) and counted exactly in a second, rare pass over the tensors concerned: the inputs are
// kept (sharing their buffers, no copy) until the statistics are read back, then released.
//
// Either way all results are concatenated into ONE small tensor, read back with one `await data()`.
import * as tf from '@tensorflow/tfjs-core';
import { STATS_KERNEL, type StatsKernelAttrs } from './kernels/register.js';

/** What the statistics kernel computes for a tensor: the full gradient statistics, only its squared norm, or activation statistics. */
export type Profile = 'full' | 'norm' | 'activation';

/**
 * What is computed for a requested tensor: a kernel `Profile`, or `entropy`: −Σ p·ln p over all
 * elements of a tensor of probabilities (attention weights), with 0·ln 0 = 0. The entropy is
 * computed with tf ops on every backend (log is not among the kernel's instructions) and read back
 * with the other statistics, in the same `data()` call.
 */
export type RequestProfile = Profile | 'entropy';

/**
 * The smallest p whose logarithm the entropy takes: p·ln(max(p, ENTROPY_FLOOR)) is exactly 0 at
 * p = 0 (0·ln 0 = 0 by continuity), and below the floor the term is under 1e-28 (float32's normal
 * range starts at 1.2e-38, so the floor's log is finite on every backend).
 */
export const ENTROPY_FLOOR = 1e-30;

/**
 * The statistics of each profile, as `readStats` returns them (and as the cpu/wasm kernel computes
 * them): Σx² and Σx over all elements (NaN and ±Infinity propagate), max |x|, max and min over the
 * finite elements, exact counts of zeros, non-finite values, active units (> 0 somewhere in the batch)
 * and saturated outputs.
 */
export const COLUMNS = {
  full: ['sumSq', 'sum', 'maxAbs', 'zeros', 'nonFinite'],
  norm: ['sumSq'],
  activation: ['sumSq', 'sum', 'max', 'min', 'zeros', 'nonFinite', 'active', 'sigmoidSaturated', 'tanhSaturated'],
  entropy: ['entropy'],
} as const;

/** Columns of the tf-ops path, from which `readStats` derives `COLUMNS`. */
const OPS_COLUMNS = {
  full: ['sumSq', 'sum', 'max', 'min', 'nonZero'],
  norm: ['sumSq'],
  activation: ['sumSq', 'sum', 'max', 'min', 'nonZero', 'active', 'sigmoidSaturated', 'tanhSaturated'],
} as const;

/** One requested tensor: its statistics come back at the same index of `readStats`'s result. */
export interface StatsRequest {
  readonly tensor: tf.Tensor;
  readonly profile: RequestProfile;
}

/** Statistics by column name (see `COLUMNS`). */
export type StatsRow = Record<string, number>;

interface Group {
  readonly profile: RequestProfile;
  readonly indices: number[];
  /** Elements per tensor. */
  readonly size: number;
}

/** The statistics in flight: one kept tensor on the device, how to cut it into rows, and the kept inputs. */
export interface PendingStats {
  /** `kernel`: the cpu/wasm kernel computed final rows; `ops`: the tf-ops path (derived on the host). */
  readonly mode: 'kernel' | 'ops';
  /** The concatenated statistics (kept: outlives any tidy); `readStats` disposes it. */
  readonly tensor: tf.Tensor | null;
  readonly groups: readonly Group[];
  readonly count: number;
  /** Rows for requests with no elements (nothing to compute). */
  readonly empty: ReadonlyMap<number, StatsRow>;
  /** Clones of the full/activation inputs by request index (shared buffers), for the non-finite pass. */
  readonly kept: ReadonlyMap<number, tf.Tensor>;
}

type EngineInternals = {
  state?: { tensorInfo?: Map<object, { backend: tf.KernelBackend }> };
  makeTensorFromDataId?: (dataId: object, shape: number[], dtype: tf.DataType, backend: tf.KernelBackend) => tf.Tensor;
  isTapeOn?: () => boolean;
};

/**
 * A new tensor object sharing `t`'s buffer (its reference count goes up; nothing is copied), tracked
 * by the current tidy scope like any new tensor. tf.clone does the same on cpu and webgpu, but copies
 * on wasm (its Identity kernel copies); tf.clone is the fallback where the engine's internals differ,
 * and while a gradient tape records (tf.clone passes gradients through; an alias would not).
 */
export function alias(t: tf.Tensor): tf.Tensor {
  const engine = tf.engine() as unknown as EngineInternals;
  const backend = engine.state?.tensorInfo?.get(t.dataId)?.backend;
  const taping = typeof engine.isTapeOn !== 'function' || engine.isTapeOn();
  if (!taping && backend && typeof backend.incRef === 'function' && typeof engine.makeTensorFromDataId === 'function') {
    backend.incRef(t.dataId);
    return engine.makeTensorFromDataId(t.dataId, [...t.shape], t.dtype, backend);
  }
  return tf.clone(t);
}

/** `alias(t)`, kept out of any tidy scope. */
export function share(t: tf.Tensor): tf.Tensor {
  return tf.keep(alias(t));
}

const f32 = (t: tf.Tensor) => (t.dtype === 'float32' ? t : tf.cast(t, 'float32'));

/** [k, n] rows of k equal-shape tensors → [k, 5]: Σx², Σx, max, min, Σ step(|x|) (the non-zero count). */
function fullStats(x: tf.Tensor2D): tf.Tensor {
  return tf.stack([tf.sum(tf.square(x), 1), tf.sum(x, 1), tf.max(x, 1), tf.min(x, 1), tf.sum(tf.step(tf.abs(x)), 1)], 1);
}

/**
 * [k, rows, units] activations → [k, 8]: the full columns over all elements, then the units active
 * at least once (Σ step(max over rows)), sigmoid-saturated outputs (|a − ½| > ½ − m, i.e. a < m or
 * a > 1 − m) and tanh-saturated outputs (|a| > 1 − m), up to float32 rounding at the margin.
 */
function activationStats(a: tf.Tensor3D, margin: number): tf.Tensor {
  const both = [1, 2];
  const abs = tf.abs(a);
  const colMax = tf.max(a, 1);
  return tf.stack(
    [
      tf.sum(tf.square(a), both),
      tf.sum(a, both),
      tf.max(colMax, 1),
      tf.min(a, both),
      tf.sum(tf.step(abs), both),
      tf.sum(tf.step(colMax), 1),
      tf.sum(tf.step(tf.sub(tf.abs(tf.sub(a, 0.5)), 0.5 - margin)), both),
      tf.sum(tf.step(tf.sub(abs, 1 - margin)), both),
    ],
    1,
  );
}

/** `[rows, units]` of an activation: features are the last axis. */
export function activationLayout(shape: readonly number[]): [number, number] {
  const units = shape.length === 0 ? 1 : (shape[shape.length - 1] as number);
  const size = shape.reduce((a, b) => a * b, 1);
  return [units === 0 ? 0 : size / units, units];
}

/**
 * Queues the statistics of every request on the device (nothing is read back, nothing waits) and
 * returns the one tensor that holds them all. The inputs are neither kept alive by the caller's
 * reference nor disposed: they may be disposed as soon as this returns. `entropy` requests are
 * reduced with tf ops and appended to the kernel's (or the ops path's) statistics: still one tensor.
 */
export function launchStats(requests: readonly StatsRequest[], saturationMargin: number): PendingStats {
  const empty = new Map<number, StatsRow>();
  const live: number[] = [];
  const entropy: number[] = [];
  requests.forEach(({ tensor, profile }, i) => {
    if (tensor.size === 0) empty.set(i, Object.fromEntries(COLUMNS[profile].map((c) => [c, 0])));
    else (profile === 'entropy' ? entropy : live).push(i);
  });
  const count = requests.length;
  const main = launchKernelProfiles(requests, live, saturationMargin);
  if (entropy.length === 0) return { ...main, count, empty };
  const values = tf.tidy(() => {
    const h = entropyOf(entropy.map((i) => (requests[i] as StatsRequest).tensor));
    return main.tensor ? tf.concat([tf.reshape(main.tensor, [-1]), h]) : h;
  });
  main.tensor?.dispose();
  const groups = [...main.groups, { profile: 'entropy' as const, indices: entropy, size: 0 }];
  return { ...main, tensor: tf.keep(values), groups, count, empty };
}

/** [k]: −Σ p·ln(max(p, ENTROPY_FLOOR)) of each tensor of probabilities (0·ln 0 = 0). */
function entropyOf(probs: readonly tf.Tensor[]): tf.Tensor {
  return tf.stack(
    probs.map((t) => {
      const p = f32(t);
      return tf.neg(tf.sum(tf.mul(p, tf.log(tf.maximum(p, ENTROPY_FLOOR)))));
    }),
  );
}

/** The kernel profiles' part of `launchStats`: the requests at `live` (none empty, no entropy). */
function launchKernelProfiles(
  requests: readonly StatsRequest[],
  live: readonly number[],
  saturationMargin: number,
): Pick<PendingStats, 'mode' | 'tensor' | 'groups' | 'kept'> {
  const kept = new Map<number, tf.Tensor>();
  if (live.length === 0) return { mode: 'kernel', tensor: null, groups: [], kept };
  const request = (i: number) => requests[i] as StatsRequest & { profile: Profile };
  if (kernelApplies(live.map(request))) {
    // One kernel launch over the requests in their order (a row each); it reads the inputs
    // synchronously, so nothing needs to be kept.
    const inputs: Record<string, tf.Tensor> = {};
    for (const [k, i] of live.entries()) inputs[`t${k}`] = request(i).tensor;
    const attrs: StatsKernelAttrs = { profiles: live.map((i) => request(i).profile), margin: saturationMargin };
    const tensor = tf.engine().runKernel(STATS_KERNEL, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
    const groups = live.map((i) => ({ profile: request(i).profile, indices: [i], size: request(i).tensor.size }));
    return { mode: 'kernel', tensor: tf.keep(tensor), groups, kept };
  }
  // Only tensors of the same shape are stacked: no per-tensor work beyond the stack's copy.
  const byShape = new Map<string, Group & { profile: Profile }>();
  for (const i of live) {
    const { tensor, profile } = request(i);
    const key = `${profile}:${tensor.dtype}:${tensor.shape.join('x')}`;
    let g = byShape.get(key);
    if (!g) {
      g = { profile, indices: [], size: tensor.size };
      byShape.set(key, g);
    }
    g.indices.push(i);
  }
  const list = [...byShape.values()];
  const tensor = tf.tidy(() => {
    const parts = list.map(({ profile, indices, size }) => {
      const ts = indices.map((i) => request(i).tensor);
      const stacked = f32(ts.length === 1 ? (ts[0] as tf.Tensor) : tf.stack(ts));
      if (profile === 'activation') {
        const [rows, units] = activationLayout((ts[0] as tf.Tensor).shape);
        return tf.reshape(activationStats(tf.reshape(stacked, [ts.length, rows, units]), saturationMargin), [-1]);
      }
      const x = tf.reshape(stacked, [ts.length, size]) as tf.Tensor2D;
      return tf.reshape(profile === 'full' ? fullStats(x) : tf.sum(tf.square(x), 1), [-1]);
    });
    return parts.length === 1 ? (parts[0] as tf.Tensor) : tf.concat(parts);
  });
  for (const { profile, indices } of list) {
    if (profile === 'norm') continue;
    for (const i of indices) kept.set(i, share(request(i).tensor));
  }
  return { mode: 'ops', tensor: tf.keep(tensor), groups: list, kept };
}

/** Whether the cpu/wasm statistics kernel is registered for the active backend and holds every input. */
function kernelApplies(requests: readonly StatsRequest[]): boolean {
  const name = tf.getBackend();
  if (!tf.getKernel(STATS_KERNEL, name) || !useKernel) return false;
  const engine = tf.engine() as unknown as EngineInternals & { backend: tf.KernelBackend };
  return requests.every(({ tensor }) => tensor.size === 0 || engine.state?.tensorInfo?.get(tensor.dataId)?.backend === engine.backend);
}

let useKernel = true;

/** For parity tests: take the tf-ops path even where the kernel is registered (false), or not (true). */
export function setStatsKernelEnabled(enabled: boolean): void {
  useKernel = enabled;
}

/** [zeros, non-finite count, max and min over the finite elements] of each tensor, exactly (comparisons). */
function exactCounts(tensors: readonly tf.Tensor[]): tf.Tensor {
  return tf.tidy(() =>
    tf.concat(
      tensors.map((t) => {
        const x = tf.reshape(f32(t), [-1]);
        const finite = tf.isFinite(x);
        return tf.stack([
          tf.sum(tf.cast(tf.equal(x, 0), 'float32')),
          tf.sub(tf.scalar(x.size), tf.sum(tf.cast(finite, 'float32'))),
          tf.max(tf.where(finite, x, tf.fill(x.shape, Number.NEGATIVE_INFINITY))),
          tf.min(tf.where(finite, x, tf.fill(x.shape, Number.POSITIVE_INFINITY))),
        ]);
      }),
    ),
  );
}

/**
 * Reads the statistics back with one `await data()` and returns one row per request; with
 * non-finite values, a second readback counts them exactly. Disposes everything `launchStats` kept.
 */
export async function readStats(pending: PendingStats): Promise<StatsRow[]> {
  try {
    const values = pending.tensor ? await pending.tensor.data() : new Float32Array(0);
    const rows: StatsRow[] = new Array(pending.count);
    for (const [i, row] of pending.empty) rows[i] = row;
    const suspicious: number[] = [];
    let offset = 0;
    for (const { profile, indices, size } of pending.groups) {
      const columns = profile === 'entropy' ? COLUMNS.entropy : pending.mode === 'kernel' ? COLUMNS[profile] : OPS_COLUMNS[profile];
      for (const i of indices) {
        const row: StatsRow = {};
        columns.forEach((c, j) => {
          row[c] = values[offset + j] as number;
        });
        offset += columns.length;
        const derived = pending.mode === 'ops' && profile !== 'norm' && profile !== 'entropy';
        if (derived) {
          row.zeros = size - (row.nonZero as number);
          row.nonFinite = 0;
          if (profile === 'full') row.maxAbs = Math.max(row.max as number, -(row.min as number));
          if (![row.sumSq, row.sum, row.max, row.min].every((v) => Number.isFinite(v))) suspicious.push(i);
        }
        rows[i] = derived ? tidyRow(row, profile) : row; // the kernel (and the entropy) wrote COLUMNS already
      }
    }
    if (suspicious.length > 0) {
      const exact = exactCounts(suspicious.map((i) => pending.kept.get(i) as tf.Tensor));
      try {
        const counts = await exact.data();
        suspicious.forEach((i, j) => {
          const row = rows[i] as StatsRow;
          const [zeros, nonFinite, max, min] = [4 * j, 4 * j + 1, 4 * j + 2, 4 * j + 3].map((k) => counts[k] as number) as [number, number, number, number];
          const none = max < min; // no finite element
          Object.assign(row, { zeros, nonFinite });
          if ('maxAbs' in row) row.maxAbs = none ? 0 : Math.max(max, -min);
          else Object.assign(row, { max: none ? 0 : max, min: none ? 0 : min });
        });
      } finally {
        exact.dispose();
      }
    }
    return rows;
  } finally {
    discardStats(pending);
  }
}

/** Keeps only the columns of `COLUMNS[profile]`, in that order. */
function tidyRow(row: StatsRow, profile: RequestProfile): StatsRow {
  return Object.fromEntries(COLUMNS[profile].map((c) => [c, row[c] as number]));
}

/** Disposes what a pending computation holds without reading it (when something failed after `launchStats`). */
export function discardStats(pending: PendingStats): void {
  pending.tensor?.dispose();
  for (const t of pending.kept.values()) t.dispose();
}
