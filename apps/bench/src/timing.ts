// Timing primitives shared by the benchmarks: summaries (median, p10, p90), interleaved rounds of
// several variants (so that drift and background load hit every variant alike), and the one-element
// readback that waits for a backend's queued work.
import * as tf from '@tensorflow/tfjs-core';

/** Milliseconds per unit (per step, per copy …) over the samples of one variant. */
export interface Summary {
  /** The median. */
  readonly median: number;
  /** The 10th percentile (linear interpolation between order statistics). */
  readonly p10: number;
  /** The 90th percentile. */
  readonly p90: number;
  /** How many samples. */
  readonly samples: number;
}

/** The q-quantile (0 ≤ q ≤ 1) of ascending `sorted`, interpolating linearly (numpy's default). */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = sorted[lo] as number;
  const b = sorted[hi] as number;
  return a + (b - a) * (pos - lo);
}

/** Median, p10 and p90 of `values`. */
export function summarize(values: readonly number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  return { median: quantile(sorted, 0.5), p10: quantile(sorted, 0.1), p90: quantile(sorted, 0.9), samples: sorted.length };
}

/** The ratio a ÷ b of two variants' medians, or null when one is absent. */
export function ratioOf<V extends string>(variants: Partial<Record<V, Summary>>, a: V, b: V): number | null {
  const x = variants[a]?.median;
  const y = variants[b]?.median;
  return x === undefined || y === undefined ? null : x / y;
}

/** The median of `values`. */
export function median(values: readonly number[]): number {
  return summarize(values).median;
}

/** One variant of an interleaved comparison: `run` takes one sample and returns its value (ms per unit). */
export interface Variant {
  readonly name: string;
  readonly run: () => Promise<number>;
}

/** How many rounds `interleave` runs. */
export interface RoundOptions {
  /** Stop after this many rounds. */
  readonly maxRounds: number;
  /** Always run at least this many rounds, whatever the budget. */
  readonly minRounds: number;
  /** Stop starting new rounds once this many milliseconds have passed (after `minRounds`). */
  readonly budgetMs: number;
}

/**
 * Runs rounds in which every variant takes one sample, in a rotating order (A B C, B C A, C A B …;
 * with two variants: A B, B A, A B …), so that no variant always follows the same one and slow drift
 * (thermal, background load, heap growth) spreads over all of them. Returns the samples by variant,
 * in round order (sample i of every variant comes from round i: they can be paired).
 */
export async function interleave(variants: readonly Variant[], options: RoundOptions): Promise<Record<string, number[]>> {
  const samples: Record<string, number[]> = Object.fromEntries(variants.map((v) => [v.name, []]));
  const started = performance.now();
  for (let round = 0; round < options.maxRounds; round++) {
    if (round >= options.minRounds && performance.now() - started > options.budgetMs) break;
    for (let k = 0; k < variants.length; k++) {
      const v = variants[(round + k) % variants.length] as Variant;
      (samples[v.name] as number[]).push(await v.run());
    }
  }
  return samples;
}

/**
 * Times `present` variants of a training step: `warmup` untimed samples of each, then `interleave`d
 * rounds; a sample is `k` calls of `step(v)` back to back, its value ms per step.
 */
export async function timeSteps<V extends string>(
  present: readonly V[],
  step: (v: V) => Promise<unknown>,
  k: number,
  warmup: number,
  rounds: RoundOptions,
): Promise<Partial<Record<V, Summary>>> {
  const variants = present.map((v) => ({
    name: v,
    run: async () => {
      const t0 = performance.now();
      for (let s = 0; s < k; s++) await step(v);
      return (performance.now() - t0) / k;
    },
  }));
  for (let i = 0; i < warmup; i++) for (const v of variants) await v.run();
  const samples = await interleave(variants, rounds);
  return Object.fromEntries(present.map((v) => [v, summarize(samples[v] as number[])])) as Partial<Record<V, Summary>>;
}

/** The median over rounds of a/b − 1: variant a's cost over b's, paired round by round. */
export function pairedOverhead(a: readonly number[], b: readonly number[]): number {
  const n = Math.min(a.length, b.length);
  const ratios: number[] = [];
  for (let i = 0; i < n; i++) ratios.push((a[i] as number) / (b[i] as number));
  return median(ratios) - 1;
}

/**
 * Waits until everything queued on the backend that `t` depends on has run, by reading back one
 * element of it. A gather, not a slice: tfjs-backend-wasm's Slice reads the whole input back
 * (`readSync`), 18 ms for 10M parameters, which would be timed on both sides of every comparison.
 * On cpu and wasm kernels run synchronously and this costs next to nothing; on WebGPU it waits for the queue.
 */
export async function settle(t: tf.Tensor): Promise<void> {
  const one = tf.tidy(() => tf.gather(tf.reshape(t, [-1]), tf.tensor1d([0], 'int32')));
  try {
    await one.data();
  } finally {
    one.dispose();
  }
}

/** Milliseconds `fn` takes (awaited). */
export async function timeIt(fn: () => unknown): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}
