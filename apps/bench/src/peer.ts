// Benchmark 4 (issue 13): the peer. One training step of the same MLP in three libraries in one
// process — gradkit (`Optimizer.minimize` + adam), tfjs-layers (`model.trainOnBatch` + tf.train.adam)
// and jax-js (the whole step, Adam included, in one `jit`) — with gradkit's training fast paths on
// and off, from the same initial weights over the same minibatches, the loss read back every step on
// every side. The losses of a fresh run of each are compared at several steps first: a mismatch
// throws (the libraries would not be training the same net, and their times would mean nothing).
import { fastPathsEnabled, type StepPath, setFastPaths } from '@gradkit/core';
import { peerData } from './peer-data.js';
import { JAX_VERSION, startJax } from './peer-jax.js';
import { PEER_VARIANTS, type PeerVariant, VARIANT_FAST_PATHS } from './peer-names.js';
import { gradkitSide, layersSide, type PeerSide } from './peer-sides.js';
import { type RoundOptions, ratioOf, type Summary, timeSteps } from './timing.js';

/** The networks of the peer benchmark: layer widths (input first) and minibatch size. */
export const PEER_MODELS = {
  /** Issue 13's MLP: 784 → 256 → 256 → 10, ReLU, batch 128, adam's learning rate 1e-3 (269k parameters). */
  mlp: { sizes: [784, 256, 256, 10], batch: 128, learningRate: 1e-3 },
  /**
   * A wider, deeper one: 784 → 1024 → 1024 → 1024 → 10, ReLU, batch 128 (2.9M parameters), learning
   * rate 1e-4: at 1e-3 its loss jumps from 2.4 to 7.9 on the second step and training turns chaotic
   * (one ulp of change in the initial weights moves the loss at step 9 by about 1e-3), so no library could
   * be checked against another; at 1e-4 that ulp moves it by ≤ 2e-6 up to step 20.
   */
  wide: { sizes: [784, 1024, 1024, 1024, 10], batch: 128, learningRate: 1e-4 },
} as const satisfies Record<string, { sizes: readonly number[]; batch: number; learningRate: number }>;
/** A key of `PEER_MODELS`. */
export type PeerModel = keyof typeof PEER_MODELS;

/** Adam's hyper-parameters but the learning rate, equal on every side (tf.train.adam's default epsilon is 1e-7: it is set). */
export const PEER_ADAM = { beta1: 0.9, beta2: 0.999, epsilon: 1e-8 } as const;

/** Adam's hyper-parameters of one run. */
export type PeerAdam = typeof PEER_ADAM & { readonly learningRate: number };

/**
 * How far apart the libraries' losses may be at a checked step, relative: (max − min) ÷ min over the
 * variants. Every side computes in float32 (ε = 6e-8) with its own summation orders (XNNPACK's,
 * tfjs's, jax-js's tiled matmuls over 784–1024 terms, the loss's reductions), and jax-js's wasm
 * device is a few 1e-6 off tfjs on the loss itself, so the first step's losses differ by up to
 * about 7e-6; Adam divides each update by √v̂, which turns a rounding-level difference of a
 * near-zero gradient into an update difference of up to the learning rate, so differences grow
 * over the steps (measured at step 20: MLP ≤ 1.3e-6 on cpu, wasm and webgpu, wide net 1.4e-5 on
 * wasm). 1e-4 leaves a margin of 7× or more, while a real difference in what is trained (ε 1e-7
 * instead of 1e-8, β₂ 0.99 instead of 0.999, a learning rate 1% off) moves the MLP's loss at step
 * 20 by 1.4e-3 to 6e-3 (measured with jax-js on wasm).
 */
export const PEER_TOLERANCE = 1e-4;

/** How a benchmark of training steps runs (the peer's and the architectures'); each benchmark has its own defaults. */
export interface TrainingRunOptions {
  /** Adam's learning rate. */
  readonly learningRate?: number;
  /** Distinct minibatches, cycled through. */
  readonly batches?: number;
  /** Training steps per timed sample. */
  readonly stepsPerSample?: number;
  /** Untimed samples of every variant after the loss check. */
  readonly warmup?: number;
  /** Rounds of interleaved samples, one of every variant per round, in a rotating order. */
  readonly rounds?: RoundOptions;
  /** Steps (1-based) of the fresh run at which the losses are compared. */
  readonly checkSteps?: readonly number[];
  /** Relative tolerance of the loss check. */
  readonly tolerance?: number;
  /** Seed of the initial weights and the minibatches (default 1). */
  readonly seed?: number;
}

/**
 * Options of `benchPeer`; the defaults: the model's learning rate, 8 minibatches, 4 steps per sample,
 * 2 warm-up samples, losses compared at steps 1, 5 and 20 within `PEER_TOLERANCE`.
 */
export interface PeerOptions extends TrainingRunOptions {
  /** The network (default `'mlp'`); `sizes` and `batch` override it (the result's `model` is then `'custom'`). */
  readonly model?: PeerModel;
  /** Layer widths, input first (at least two). */
  readonly sizes?: readonly number[];
  /** Samples per minibatch. */
  readonly batch?: number;
  /** Run jax-js (default true). */
  readonly jax?: boolean;
}

/** The losses of a fresh run of every variant at the checked steps, and how far apart they are. */
export interface LossCheck<V extends string = PeerVariant> {
  /** The checked steps (1-based). */
  readonly steps: readonly number[];
  /** Each variant's loss at those steps. */
  readonly losses: Readonly<Partial<Record<V, readonly number[]>>>;
  /** (max − min) ÷ min over the variants, per checked step. */
  readonly spread: readonly number[];
  readonly tolerance: number;
  /** Every spread within the tolerance (a benchmark whose check failed throws instead of returning). */
  readonly pass: boolean;
}

/** Speed ratios of the same run (> 1: the first-named is faster); null where a side did not run. */
export interface PeerRatios {
  /** jax-js ÷ gradkit (issue 13: ≥ 1 on wasm). */
  readonly gradkitOverJax: number | null;
  /** tfjs-layers without gradkit ÷ gradkit (issue 13: ≥ 4 on wasm). */
  readonly gradkitOverLayers: number | null;
  /** tfjs-layers without ÷ with gradkit's fast paths (issue 13: ≥ 3 on wasm). */
  readonly layersFastPaths: number | null;
  /** gradkit with fast paths off ÷ on. */
  readonly gradkitFastPaths: number | null;
}

/** What `benchPeer` measured. */
export interface PeerResult {
  /** `'mlp'`, `'wide'` or `'custom'`. */
  readonly model: PeerModel | 'custom';
  readonly config: {
    readonly sizes: readonly number[];
    readonly batch: number;
    readonly params: number;
    /** Parameter tensors (kernels and biases). */
    readonly tensors: number;
    readonly batches: number;
    readonly stepsPerSample: number;
    readonly seed: number;
    readonly adam: PeerAdam;
  };
  /** ms per training step (the loss read back) by variant; a variant that could not run is absent. */
  readonly variants: Readonly<Partial<Record<PeerVariant, Summary>>>;
  /** Why a variant did not run (jax-js without a device here …). */
  readonly unavailable: Readonly<Partial<Record<PeerVariant, string>>>;
  /** The jax-js device the jax-js variant ran on (null: it did not run). */
  readonly jaxDevice: string | null;
  /** @jax-js/jax's version. */
  readonly jaxVersion: string;
  /** How gradkit's optimizer ran its last step (`'fused:…'` or `'reference'`). */
  readonly gradkitPath: StepPath;
  readonly ratios: PeerRatios;
  readonly lossCheck: LossCheck;
}

const DEFAULT_ROUNDS: RoundOptions = { maxRounds: 15, minRounds: 6, budgetMs: 20_000 };

/** (max − min) ÷ min of each checked step's losses over the variants, and whether all are within `tolerance`. */
export function checkLosses<V extends string = PeerVariant>(
  steps: readonly number[],
  losses: Partial<Record<V, readonly number[]>>,
  tolerance: number,
): LossCheck<V> {
  const rows = Object.values(losses) as (readonly number[])[];
  const spread = steps.map((_, i) => {
    const at = rows.map((r) => r[i] as number);
    const min = Math.min(...at);
    return at.every(Number.isFinite) ? (Math.max(...at) - min) / Math.abs(min) : Number.NaN;
  });
  return { steps, losses, spread, tolerance, pass: spread.every((s) => s <= tolerance) };
}

/** The check as a sentence for an error: which step is off, by how much, and every variant's losses. */
export function describeMismatch(check: LossCheck<string>): string {
  const bad = check.steps.filter((_, i) => !((check.spread[i] as number) <= check.tolerance));
  const losses = Object.entries(check.losses).map(([name, l]) => `${name} ${(l ?? []).map((v) => v.toPrecision(8)).join(', ')}`);
  return `the libraries do not train the same way: at step ${bad.join(', ')} their losses differ by ${bad.map((s) => check.spread[check.steps.indexOf(s)]?.toExponential(1)).join(', ')} relative (tolerance ${check.tolerance.toExponential(0)}); losses at steps ${check.steps.join(', ')}: ${losses.join('; ')}`;
}

/**
 * Times one training step (forward, backward, adam, the loss read back) of the same ReLU MLP with
 * softmax cross-entropy in gradkit, tfjs-layers and jax-js (see the file's header), with gradkit's
 * fast paths on and off. Every variant trains its own copy from the same initial weights (He-normal,
 * zero biases, from `seed`) over the same minibatches; a fresh run of each is compared at
 * `checkSteps` first and a spread over `tolerance` throws. Then the variants take samples of
 * `stepsPerSample` steps each, in a rotating order round by round.
 */
export async function benchPeer(options: PeerOptions = {}): Promise<PeerResult> {
  const preset = PEER_MODELS[options.model ?? 'mlp'];
  const model = options.sizes !== undefined || options.batch !== undefined ? 'custom' : (options.model ?? 'mlp');
  const sizes = options.sizes ?? preset.sizes;
  const batch = options.batch ?? preset.batch;
  const batches = options.batches ?? 8;
  const k = options.stepsPerSample ?? 4;
  const seed = options.seed ?? 1;
  const hyper: PeerAdam = { ...PEER_ADAM, learningRate: options.learningRate ?? preset.learningRate };
  const checkSteps = options.checkSteps ?? [1, 5, 20];
  const tolerance = options.tolerance ?? PEER_TOLERANCE;
  const wasOn = fastPathsEnabled();
  const data = peerData(sizes, batch, batches, seed);
  const sides: Partial<Record<PeerVariant, PeerSide>> = {};
  const unavailable: Partial<Record<PeerVariant, string>> = {};
  let jaxDevice: string | null = null;
  try {
    const gradkit = gradkitSide(data, hyper);
    sides.gradkit = gradkit;
    sides['gradkit, fast paths off'] = gradkitSide(data, hyper);
    sides['tfjs-layers'] = layersSide(data, hyper);
    sides['tfjs-layers + gradkit'] = layersSide(data, hyper);
    if (options.jax ?? true) {
      const jax = await startJax(data, hyper);
      if ('unavailable' in jax) unavailable['jax-js'] = jax.unavailable;
      else {
        sides['jax-js'] = jax.side;
        jaxDevice = jax.device;
      }
    } else unavailable['jax-js'] = 'not run (jax: false)';
    const present = PEER_VARIANTS.filter((v) => sides[v] !== undefined);
    const counters = Object.fromEntries(present.map((v) => [v, 0])) as Record<PeerVariant, number>;
    // One step of a variant, with gradkit's fast paths set as the variant says.
    const step = async (v: PeerVariant): Promise<number> => {
      const fast = VARIANT_FAST_PATHS[v];
      if (fast !== null) setFastPaths(fast);
      const i = counters[v]++;
      return (sides[v] as PeerSide).step(i % batches);
    };

    const last = Math.max(...checkSteps);
    const losses: Partial<Record<PeerVariant, number[]>> = {};
    for (const v of present) {
      const seen: number[] = [];
      for (let s = 1; s <= last; s++) {
        const loss = await step(v);
        if (checkSteps.includes(s)) seen.push(loss);
      }
      losses[v] = seen;
    }
    const lossCheck = checkLosses(checkSteps, losses, tolerance);
    if (!lossCheck.pass) throw new Error(`peer ${model}: ${describeMismatch(lossCheck)}`);

    const timed = await timeSteps(present, step, k, options.warmup ?? 2, options.rounds ?? DEFAULT_ROUNDS);
    return {
      model,
      config: { sizes: [...sizes], batch, params: data.params, tensors: 2 * data.weights.length, batches, stepsPerSample: k, seed, adam: hyper },
      variants: timed,
      unavailable,
      jaxDevice,
      jaxVersion: JAX_VERSION,
      gradkitPath: gradkit.optimizer.lastStepPath,
      ratios: {
        gradkitOverJax: ratioOf(timed, 'jax-js', 'gradkit'),
        gradkitOverLayers: ratioOf(timed, 'tfjs-layers', 'gradkit'),
        layersFastPaths: ratioOf(timed, 'tfjs-layers', 'tfjs-layers + gradkit'),
        gradkitFastPaths: ratioOf(timed, 'gradkit, fast paths off', 'gradkit'),
      },
      lossCheck,
    };
  } finally {
    setFastPaths(wasOn);
    for (const side of Object.values(sides)) side.dispose();
    data.dispose();
  }
}
