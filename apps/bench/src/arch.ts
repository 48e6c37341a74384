// Benchmark 6 (issue 14): architectures. One training step (forward, backward, adam, the loss read
// back) of the same net in gradkit (`Optimizer.minimize` over @gradkit/nn modules) and tfjs-layers
// (`model.trainOnBatch` with tf.train.adam): the conv net of tfjs-examples' mnist, an LSTM, a GRU
// and a transformer encoder. tfjs-layers runs with gradkit's fast paths off and the kernels gradkit
// supplies where tfjs has none unregistered (tfjs-layers alone), and with both (what `useBackend`
// gives a tfjs-layers user). Both libraries start from gradkit's initial weights over the same
// minibatches; a fresh run of each is compared at the checked steps first, and a mismatch throws,
// except between the GRUs, which compute different functions.
import { fastPaths, fastPathsEnabled, flatten, type StepPath, setFastPaths } from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import { archData } from './arch-data.js';
import { archGradkitSide } from './arch-gradkit.js';
import { archLayersSide, layersWeights } from './arch-layers.js';
import { ARCH_FAST_PATHS, ARCH_SIZES, ARCH_VARIANTS, type ArchModel, type ArchSizesOf, type ArchVariant, archLabel } from './arch-names.js';
import { checkLosses, describeMismatch, type LossCheck, PEER_ADAM, type PeerAdam, type TrainingRunOptions } from './peer.js';
import type { PeerSide } from './peer-sides.js';
import { type RoundOptions, ratioOf, type Summary, timeSteps } from './timing.js';

/**
 * How far apart the losses of variants that train the same function may be, relative: (max − min) ÷
 * min at the checked steps. The first step's loss is a forward pass in float32 with each library's
 * summation order; the second follows one backward pass and one adam step. Measured on cpu and wasm
 * at issue 14's sizes: ≤ 1e-7 (conv net, transformer) and ≤ 1.9e-6 (the LSTM, whose gradients
 * pass through 100 time steps). A net that is not the same moves far more: the GRUs' two reset
 * conventions differ by 1.5e-2 at step 1 from the same weights, and a GRU weight mapping with the
 * r and z blocks swapped by 1.5e-2 to 9e-2 (`arch.test.ts`).
 */
export const ARCH_TOLERANCE = 1e-4;

/**
 * Options of `benchArch`; the defaults: learning rate 1e-3, 4 minibatches, 1 step per sample, 1
 * warm-up sample, losses compared at steps 1 and 2 within `ARCH_TOLERANCE`.
 */
export interface ArchOptions extends TrainingRunOptions {
  /** The net. */
  readonly model: ArchModel;
  /** Sizes overriding issue 14's (`ARCH_SIZES`), e.g. a smaller batch for a smoke test. */
  readonly sizes?: Partial<ArchSizesOf[ArchModel]>;
  /** The variants to run (default all of `ARCH_VARIANTS`). */
  readonly variants?: readonly ArchVariant[];
}

/** Tensor memory of one training step, from `tf.profile`. */
export interface StepMemory {
  /** The most bytes of tensors alive at any kernel's end during the step, above those alive before it (tf.profile's peakBytes − tf.memory().numBytes before). */
  readonly peakBytes: number;
  /** Tensors left after the step that were not there before (0: the step frees all it made). */
  readonly newTensors: number;
}

/** What `benchArch` measured on one net. */
export interface ArchResult {
  readonly model: ArchModel;
  /** The net in words. */
  readonly label: string;
  readonly config: {
    readonly sizes: ArchSizesOf[ArchModel];
    /** gradkit's trainable parameters. */
    readonly params: number;
    readonly batches: number;
    readonly stepsPerSample: number;
    readonly seed: number;
    readonly adam: PeerAdam;
  };
  /** ms per training step (the loss read back), by variant; a variant that could not run is absent. */
  readonly variants: Readonly<Partial<Record<ArchVariant, Summary>>>;
  /** Why a variant did not run (the error it threw). */
  readonly unavailable: Readonly<Partial<Record<ArchVariant, string>>>;
  /** Tensor memory of one step, by variant. */
  readonly memory: Readonly<Partial<Record<ArchVariant, StepMemory>>>;
  /** How gradkit's optimizer ran its last step (null: gradkit did not run). */
  readonly gradkitPath: StepPath | null;
  /** Ratios of medians (> 1: the first-named is faster); null where a side did not run. */
  readonly ratios: {
    /** tfjs-layers without gradkit ÷ gradkit. */
    readonly gradkitOverLayers: number | null;
    /** tfjs-layers with gradkit's fast paths ÷ gradkit. */
    readonly gradkitOverLayersWithGradkit: number | null;
    /** tfjs-layers without ÷ with gradkit's fast paths. */
    readonly layersFastPaths: number | null;
  };
  /** Every variant's losses at the checked steps; the spread is over `compared` only. */
  readonly lossCheck: LossCheck<ArchVariant> & {
    readonly all: Readonly<Partial<Record<ArchVariant, readonly number[]>>>;
    readonly compared: readonly ArchVariant[];
    /** Why some variants are not compared (the GRUs). */
    readonly note?: string;
  };
}

const DEFAULT_ROUNDS: RoundOptions = { maxRounds: 10, minRounds: 3, budgetMs: 20_000 };

const GRU_NOTE =
  "not compared with gradkit: tfjs-layers' GRU resets before the recurrent matmul and has no recurrent bias (resetAfter: true throws there), gradkit's is PyTorch's (reset after); the weights are mapped, the functions differ";

/** The first line of an error's message, for a table cell. */
const reason = (e: unknown) => (e instanceof Error ? e.message : String(e)).split('\n')[0] as string;

/**
 * Runs `fn` with tfjs's kernels alone on the active backend: besides `setFastPaths(false)`, the kernels
 * gradkit supplies where the backend has none (`kind: 'missing'` in `fastPaths()`, such as wasm's
 * Conv2DBackpropFilter, which stay registered with fast paths off) are unregistered meanwhile, then
 * registered again (the same configs).
 */
async function tfjsAlone<T>(fn: () => Promise<T>): Promise<T> {
  const backend = tf.getBackend();
  const supplied = fastPaths()
    .filter((p) => p.kind === 'missing' && p.installed && p.backend === backend)
    .map((p) => tf.getKernel(p.kernelName, backend) as tf.KernelConfig);
  for (const k of supplied) tf.unregisterKernel(k.kernelName, backend);
  try {
    return await fn();
  } finally {
    for (const k of supplied) tf.registerKernel(k);
  }
}

/**
 * Runs a tfjs-layers step; when it throws, frees what it left behind. tfjs leaks a step's tensors
 * when a kernel throws mid-step (a missing kernel, tfjs alone): those tracked in the step's scope,
 * which a scope frees, and the copies `keep` made for a backward pass that never ran, which are
 * disposed here. Variables (the model's weights, adam's slots) outlive both.
 */
async function freeOnThrow<T>(fn: () => Promise<T>): Promise<T> {
  const engine = tf.engine();
  const kept: tf.Tensor[] = [];
  const keep = engine.keep.bind(engine);
  engine.keep = <K extends tf.Tensor>(t: K): K => {
    kept.push(t);
    return keep(t);
  };
  engine.startScope();
  try {
    return await fn();
  } catch (e) {
    tf.dispose(kept.filter((t) => !t.isDisposed && !(t instanceof tf.Variable)));
    throw e;
  } finally {
    engine.endScope();
    delete (engine as { keep?: unknown }).keep;
  }
}

/** Peak tensor bytes and new tensors of `step`, under `tf.profile` with tfjs's per-kernel NaN check off (it reads every output back). */
async function stepMemory(step: () => Promise<number>): Promise<StepMemory> {
  const flag = 'CHECK_COMPUTATION_FOR_ERRORS';
  const flags = tf.env().getFlags();
  const had = Object.hasOwn(flags, flag);
  const checks = had ? tf.env().getBool(flag) : false;
  tf.env().set(flag, false);
  const before = tf.memory().numBytes;
  try {
    const info = await tf.profile(step);
    return { peakBytes: Math.max(0, info.peakBytes - before), newTensors: info.newTensors };
  } catch (e) {
    // tf.profile leaves the engine profiling when its function throws.
    tf.engine().state.profiling = false;
    throw e;
  } finally {
    if (had) tf.env().set(flag, checks);
    else delete flags[flag];
  }
}

/**
 * Times one training step of `options.model` in gradkit and in tfjs-layers without and with
 * gradkit's fast paths (see the file's header), after checking their losses; then one profiled step
 * of each for its tensor memory. A tfjs-layers variant that throws (without gradkit where tfjs lacks
 * a training kernel) is reported as unavailable with its error; gradkit throwing fails the benchmark.
 */
export async function benchArch(options: ArchOptions): Promise<ArchResult> {
  const model = options.model;
  const sizes = { ...ARCH_SIZES[model], ...options.sizes } as ArchSizesOf[ArchModel];
  const batches = options.batches ?? 4;
  const k = options.stepsPerSample ?? 1;
  const seed = options.seed ?? 1;
  const hyper: PeerAdam = { ...PEER_ADAM, learningRate: options.learningRate ?? 1e-3 };
  const checkSteps = options.checkSteps ?? [1, 2];
  const wanted = options.variants ?? ARCH_VARIANTS;
  const wasOn = fastPathsEnabled();
  const data = archData(model, sizes, batches, seed);
  const sides: Partial<Record<ArchVariant, PeerSide>> = {};
  const unavailable: Partial<Record<ArchVariant, string>> = {};
  // Every side built, disposed once at the end. A tfjs-layers variant that throws is dropped from
  // `sides` with its error as the result; gradkit failing to train a net fails the run.
  const built: PeerSide[] = [];
  const drop = (v: ArchVariant, e: unknown) => {
    if (v === 'gradkit') throw e;
    unavailable[v] = reason(e);
    delete sides[v];
  };
  try {
    // gradkit's net is always built: its initial weights are the tfjs-layers models' too.
    const gradkit = archGradkitSide(model, sizes, data, hyper, seed);
    built.push(gradkit);
    if (wanted.includes('gradkit')) sides.gradkit = gradkit;
    const params = flatten(gradkit.params).reduce((n, e) => n + (e.value as tf.Tensor).size, 0);
    const weights = layersWeights(model, gradkit.modules);
    // Where gradkit installs nothing (WebGPU today), tfjs-layers with gradkit is tfjs-layers alone: not run twice.
    const backend = tf.getBackend();
    if (wanted.includes('tfjs-layers + gradkit') && !fastPaths().some((p) => p.backend === backend && p.installed))
      unavailable['tfjs-layers + gradkit'] = `the same kernels as tfjs-layers alone: gradkit installs no fast path or kernel on ${backend}`;
    try {
      for (const v of ['tfjs-layers', 'tfjs-layers + gradkit'] as const)
        if (wanted.includes(v) && unavailable[v] === undefined)
          try {
            const side = archLayersSide(model, sizes, data, hyper, weights);
            built.push(side);
            sides[v] = side;
          } catch (e) {
            drop(v, e);
          }
    } finally {
      tf.dispose(weights);
    }
    const counters: Partial<Record<ArchVariant, number>> = {};
    const step = async (v: ArchVariant): Promise<number> => {
      setFastPaths(ARCH_FAST_PATHS[v]);
      const i = counters[v] ?? 0;
      counters[v] = i + 1;
      const run = () => (sides[v] as PeerSide).step(i % batches);
      return v === 'tfjs-layers' ? tfjsAlone(run) : run();
    };

    const last = Math.max(...checkSteps);
    const all: Partial<Record<ArchVariant, number[]>> = {};
    for (const v of ARCH_VARIANTS) {
      if (!sides[v]) continue;
      const seen: number[] = [];
      try {
        for (let s = 1; s <= last; s++) {
          const loss = await (v === 'gradkit' ? step(v) : freeOnThrow(() => step(v)));
          if (checkSteps.includes(s)) seen.push(loss);
        }
        all[v] = seen;
      } catch (e) {
        drop(v, e);
      }
    }
    const compared = ARCH_VARIANTS.filter((v) => all[v] !== undefined && !(model === 'gru' && v === 'gradkit'));
    const checked = checkLosses<ArchVariant>(
      checkSteps,
      Object.fromEntries(compared.map((v) => [v, all[v]])) as Partial<Record<ArchVariant, number[]>>,
      options.tolerance ?? ARCH_TOLERANCE,
    );
    const lossCheck = { ...checked, all, compared, ...(model === 'gru' ? { note: GRU_NOTE } : {}) };
    if (compared.length > 1 && !checked.pass) throw new Error(`arch ${model}: ${describeMismatch(checked)}`);

    const present = ARCH_VARIANTS.filter((v) => sides[v] !== undefined);
    const timed = await timeSteps(present, step, k, options.warmup ?? 1, options.rounds ?? DEFAULT_ROUNDS);
    const memory: Partial<Record<ArchVariant, StepMemory>> = {};
    for (const v of present) memory[v] = await stepMemory(() => step(v));
    return {
      model,
      label: archLabel(model, sizes),
      config: { sizes, params, batches, stepsPerSample: k, seed, adam: hyper },
      variants: timed,
      unavailable,
      memory,
      gradkitPath: sides.gradkit ? gradkit.optimizer.lastStepPath : null,
      ratios: {
        gradkitOverLayers: ratioOf(timed, 'tfjs-layers', 'gradkit'),
        gradkitOverLayersWithGradkit: ratioOf(timed, 'tfjs-layers + gradkit', 'gradkit'),
        layersFastPaths: ratioOf(timed, 'tfjs-layers', 'tfjs-layers + gradkit'),
      },
      lossCheck,
    };
  } finally {
    setFastPaths(wasOn);
    for (const side of built) side.dispose();
    data.dispose();
  }
}
