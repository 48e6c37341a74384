// Benchmark 7 (issue 16, `--only modern`): the modern optimizers. (1) One optimizer step of adopt,
// schedule-free AdamW and Muon against tf.train.adam (tfjs has none of them) at the optimizer
// benchmark's layouts; (2) what Newton–Schulz costs: ms per orthogonalization (5 quintic steps) of one
// matrix, the tfjs kernels it runs, and on WebGPU its dispatches and queue submits (tfjs-webgpu
// batches up to WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE dispatches per submit); (3) one training step of the
// peer's MLP with each optimizer beside gradkit's and tfjs-layers' adam and jax-js's (jax-js publishes
// no optimizer library: the peer writes its Adam by hand, and it has nothing for ADOPT,
// schedule-free or Muon).
import { type GradientTransformation, Optimizer, type StepPath } from '@gradkit/core';
import { adam, adopt, muon, newtonSchulz, scheduleFreeAdamW } from '@gradkit/optimizers';
import * as tf from '@tensorflow/tfjs-core';
import { countSubmits, webgpuBackend } from './native.js';
import { benchOptimizerCase, type Layout, type OptimizerRow, type SamplingOptions, type StepOptimizer } from './optimizer-step.js';
import { PEER_ADAM } from './peer.js';
import { peerData } from './peer-data.js';
import { startJax } from './peer-jax.js';
import { gradkitSide, layersSide, type PeerSide } from './peer-sides.js';
import { type RoundOptions, type Summary, settle, timeSteps } from './timing.js';

/** One optimizer's step rows: the layouts it runs at. */
export interface ModernStepCase {
  readonly optimizer: Extract<StepOptimizer, 'adopt' | 'schedule-free-adamw' | 'muon' | 'cautious-adamw'>;
  readonly layouts: readonly Layout[];
}

/** Options of `benchModern`. */
export interface ModernOptions {
  /** The optimizer-step rows. */
  readonly steps: readonly ModernStepCase[];
  readonly sampling: SamplingOptions;
  /** Matrices whose Newton–Schulz cost is measured (`[rows, columns]`). */
  readonly newtonSchulz: readonly (readonly [number, number])[];
  /** Rounds of the Newton–Schulz timing. */
  readonly nsRounds: RoundOptions;
  /** The training-step rows (null: not run): the peer's MLP. */
  readonly training: {
    readonly sizes: readonly number[];
    readonly batch: number;
    readonly stepsPerSample: number;
    readonly warmup: number;
    readonly rounds: RoundOptions;
    readonly jax: boolean;
  } | null;
}

/** Newton–Schulz on one matrix. */
export interface NewtonSchulzRow {
  readonly shape: readonly [number, number];
  /** ms per `newtonSchulz(g, { steps: 5 })` (the result read back: one element). */
  readonly ms: Summary;
  /** tfjs kernels one orthogonalization runs (`tf.profile`). */
  readonly kernels: number;
  /** WebGPU: compute dispatches tfjs records for one orthogonalization. */
  readonly dispatches?: number;
  /** WebGPU: queue submits of one orthogonalization (work left recorded counts as one). */
  readonly submits?: number;
  /** WebGPU: queue submits of one `Optimizer.step` of muon on this matrix (momentum, Newton–Schulz, update). */
  readonly muonStepSubmits?: number;
}

/** The training step of one variant. */
export interface TrainingVariant extends Summary {
  /** gradkit's `lastStepPath` (absent for tfjs-layers and jax-js). */
  readonly path?: StepPath;
}

/** When and how the modern benchmark ran (it may be merged into an older result file: `--merge`). */
export interface ModernRun {
  /** ISO date-time of the run. */
  readonly measuredAt: string;
  /** The command that ran it. */
  readonly command: string;
  /** The backend, described. */
  readonly described: string;
  /** The machine: CPU model, cores, Node, and the 1-minute load average at the start. */
  readonly machine: string;
}

/** What `benchModern` measured. */
export interface ModernResult {
  readonly run: ModernRun;
  readonly rows: readonly OptimizerRow[];
  readonly newtonSchulz: readonly NewtonSchulzRow[];
  readonly training: {
    readonly sizes: readonly number[];
    readonly batch: number;
    readonly params: number;
    readonly stepsPerSample: number;
    /** ms per training step (forward, backward, the optimizer, the loss read back), by variant. */
    readonly variants: Readonly<Record<string, TrainingVariant>>;
    /** Variants that did not run, and why. */
    readonly unavailable: Readonly<Record<string, string>>;
  } | null;
}

/** The training-step variants: gradkit with each optimizer (Muon takes the hidden matrices, AdamW the rest), tfjs-layers' and jax-js's adam. */
const TRAINING: Readonly<Record<string, (lastKernel: string) => GradientTransformation>> = {
  'gradkit adam': () => adam({ learningRate: PEER_ADAM_LR }),
  'gradkit adopt': () => adopt({ learningRate: PEER_ADAM_LR }),
  'gradkit scheduleFreeAdamW': () => scheduleFreeAdamW({ learningRate: 2.5e-3 }),
  'gradkit muon + adamw': (lastKernel) =>
    muon({ learningRate: 0.02, muonParams: (path, p) => p.rank === 2 && !path.includes(lastKernel), adamw: { learningRate: PEER_ADAM_LR } }),
};
const PEER_ADAM_LR = 1e-3;

/** Counts the compute dispatches tfjs records while `fn` runs (its `recordAndSubmit`), on WebGPU. */
function countDispatches(fn: () => void): number | undefined {
  const b = tf.backend() as unknown as { recordAndSubmit?: (...args: unknown[]) => unknown };
  if (tf.getBackend() !== 'webgpu' || typeof b.recordAndSubmit !== 'function') return undefined;
  const original = b.recordAndSubmit;
  let n = 0;
  b.recordAndSubmit = function (this: unknown, ...args: unknown[]) {
    n++;
    return original.apply(this, args);
  };
  try {
    fn();
  } finally {
    delete (b as { recordAndSubmit?: unknown }).recordAndSubmit;
    if (b.recordAndSubmit !== original) b.recordAndSubmit = original;
  }
  return n;
}

/** Newton–Schulz's cost on one `[m, n]` matrix. */
async function newtonSchulzRow(shape: readonly [number, number], rounds: RoundOptions): Promise<NewtonSchulzRow> {
  const g = tf.randomNormal([...shape], 0, 1, 'float32', 7);
  const ns = () => newtonSchulz(g, { steps: 5 });
  try {
    const timed = await timeSteps(
      ['ns'],
      async () => {
        const o = ns();
        await settle(o);
        o.dispose();
      },
      1,
      2,
      rounds,
    );
    const profile = await tf.profile(() => ns());
    tf.dispose(profile.result as tf.Tensor);
    const row: NewtonSchulzRow = { shape, ms: timed.ns as Summary, kernels: profile.kernels.length };
    if (!webgpuBackend()) return row;
    let out: tf.Tensor | null = null;
    const dispatches = countDispatches(() => {
      out = ns();
    });
    await settle(out as unknown as tf.Tensor);
    (out as unknown as tf.Tensor).dispose();
    const submits = await countSubmits(() => tf.dispose(ns()));
    // One Muon step on this matrix (the momentum kernel, Newton–Schulz, the update), after one untimed step.
    const p = { w: tf.variable(tf.randomNormal([...shape], 0, 1, 'float32', 8)) };
    const opt = new Optimizer(p, muon({ learningRate: 0.02 }));
    opt.step({ w: g });
    await settle(p.w);
    const step = await countSubmits(() => opt.step({ w: g }));
    opt.dispose();
    p.w.dispose();
    return {
      ...row,
      ...(dispatches === undefined ? {} : { dispatches }),
      ...(submits ? { submits: submits.submits } : {}),
      ...(step ? { muonStepSubmits: step.submits } : {}),
    };
  } finally {
    g.dispose();
  }
}

/** One training step of the peer's MLP with every variant. */
async function trainingRows(o: NonNullable<ModernOptions['training']>): Promise<NonNullable<ModernResult['training']>> {
  const batches = 4;
  const data = peerData(o.sizes, o.batch, batches, 1);
  const lastKernel = `dense${o.sizes.length - 2}`;
  const sides: Record<string, PeerSide> = {};
  const unavailable: Record<string, string> = {};
  try {
    for (const [name, make] of Object.entries(TRAINING)) sides[name] = gradkitSide(data, { ...PEER_ADAM, learningRate: PEER_ADAM_LR }, make(lastKernel));
    sides['tfjs-layers adam'] = layersSide(data, { ...PEER_ADAM, learningRate: PEER_ADAM_LR });
    if (o.jax) {
      const jax = await startJax(data, { ...PEER_ADAM, learningRate: PEER_ADAM_LR });
      if ('unavailable' in jax) unavailable['jax-js adam'] = jax.unavailable;
      else sides['jax-js adam'] = jax.side;
    } else unavailable['jax-js adam'] = 'not run';
    for (const v of ['adopt', 'scheduleFreeAdamW', 'muon'])
      unavailable[`jax-js ${v}`] = 'jax-js publishes no optimizer library (its optax port is not released); the peer writes only Adam by hand';
    const names = Object.keys(sides);
    const counters = Object.fromEntries(names.map((n) => [n, 0])) as Record<string, number>;
    const step = (v: string) => {
      counters[v] = (counters[v] as number) + 1;
      return (sides[v] as PeerSide).step((counters[v] as number) % batches);
    };
    const timed = await timeSteps(names, step, o.stepsPerSample, o.warmup, o.rounds);
    const variants: Record<string, TrainingVariant> = {};
    for (const n of names) {
      const path = (sides[n] as { optimizer?: { lastStepPath: StepPath } }).optimizer?.lastStepPath;
      variants[n] = { ...(timed[n] as Summary), ...(path ? { path } : {}) };
    }
    return { sizes: [...o.sizes], batch: o.batch, params: data.params, stepsPerSample: o.stepsPerSample, variants, unavailable };
  } finally {
    for (const s of Object.values(sides)) s.dispose();
    data.dispose();
  }
}

/**
 * The issue-16 benchmark (see the file's head). `onRow` sees each optimizer-step row as it comes.
 */
export async function benchModern(options: ModernOptions, run: ModernRun, onRow?: (row: OptimizerRow) => void): Promise<ModernResult> {
  const rows: OptimizerRow[] = [];
  for (const c of options.steps)
    for (const layout of c.layouts) {
      const row = await benchOptimizerCase(c.optimizer, layout, options.sampling);
      rows.push(row);
      onRow?.(row);
    }
  const newtonSchulzRows: NewtonSchulzRow[] = [];
  for (const shape of options.newtonSchulz) newtonSchulzRows.push(await newtonSchulzRow(shape, options.nsRounds));
  const training = options.training ? await trainingRows(options.training) : null;
  return { run, rows, newtonSchulz: newtonSchulzRows, training };
}
