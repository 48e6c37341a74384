// Benchmark 2: one optimizer step, gradkit's `Optimizer.step` against tfjs's `tf.train.*`, at several
// parameter counts and with many small tensors, beside a memory-copy floor measured in the same run
// (a plain copy in the backend's own memory) and, on WebGPU, the queue submits of one step.
import { clipByGlobalNorm } from '@gradkit/clipping';
import { chain, type GradientTransformation, type GradTree, Optimizer, type StepPath } from '@gradkit/core';
import { adam, adamw, adopt, cautious, muon, rmsprop, scheduleFreeAdamW, sgd } from '@gradkit/optimizers';
import * as tf from '@tensorflow/tfjs-core';
import { countSubmits, nativeCopy } from './native.js';
import { interleave, type Summary, settle, summarize } from './timing.js';

/**
 * The optimizers compared (`clip-adam`: clipByGlobalNorm → adam). The issue-16 optimizers (`adopt`,
 * `schedule-free-adamw`, `muon`, `cautious-adamw`) have no tf.train equivalent: their tfjs side is `tf.train.adam`.
 */
export type StepOptimizer = 'adam' | 'momentum' | 'rmsprop' | 'sgd' | 'clip-adam' | 'adopt' | 'schedule-free-adamw' | 'muon' | 'cautious-adamw';

/** A set of parameter tensors: a label and their shapes. */
export interface Layout {
  /** Shown in the tables, e.g. `'1M'` or `'200 × 512'`. */
  readonly label: string;
  /** The shape of every parameter tensor. */
  readonly shapes: readonly (readonly number[])[];
  /** Sampling for this layout, over the plan's (fewer samples at 10M, where a step takes a second). */
  readonly sampling?: SamplingOptions;
}

/** The layouts of issue 6's table: one tensor of 10k, 100k, 1M, 10M parameters, and 200 small tensors. */
export const LAYOUTS: Readonly<Record<string, Layout>> = {
  '10k': { label: '10k', shapes: [[100, 100]] },
  '100k': { label: '100k', shapes: [[100, 1000]] },
  '1M': { label: '1M', shapes: [[1000, 1000]] },
  '10M': { label: '10M', shapes: [[1000, 10_000]] },
  small: { label: '200 × 512', shapes: Array.from({ length: 200 }, () => [16, 32]) },
};

/** The bound of the `clip-adam` case: gradients are N(0, 0.01²) per element, so it clips from ~10k parameters up. */
export const CLIP_MAX_NORM = 1;

/** One optimizer on both sides. */
export interface OptimizerSpec {
  /** Bytes a fused float32 step must move per parameter. */
  readonly bytesPerParam: number;
  /** The hyper-parameters, for the tables. */
  readonly describe: string;
  /** gradkit's transformation. */
  gradkit(): GradientTransformation;
  /** tfjs's optimizer. */
  tfjs(): tf.Optimizer;
  /** One tfjs step, when it is more than `applyGradients(grads)` (clipping by hand first). */
  tfjsStep?(opt: tf.Optimizer, grads: Record<string, tf.Tensor>): void;
}

/**
 * Each optimizer on both sides with the same hyper-parameters where they mean the same thing, and the
 * bytes a fused float32 step must move per parameter: read θ and g and every state slot, write θ and
 * every state slot (sgd 3 × 4 B, momentum and rmsprop 5 × 4 B, adam 7 × 4 B; clipByGlobalNorm → adam
 * reads g once more for the norm: 8 × 4 B). tfjs has no clipping optimizer: its side of `clip-adam`
 * is what a tfjs user writes, the global norm and the scaled gradients from tf ops inside `tf.tidy`,
 * then `tf.train.adam`'s `applyGradients`.
 */
export const OPTIMIZERS: Readonly<Record<StepOptimizer, OptimizerSpec>> = {
  adam: { bytesPerParam: 28, describe: 'adam, lr 1e-3', gradkit: () => adam({ learningRate: 1e-3 }), tfjs: () => tf.train.adam(1e-3) },
  momentum: {
    bytesPerParam: 20,
    describe: 'sgd, lr 1e-3, momentum 0.9',
    gradkit: () => sgd({ learningRate: 1e-3, momentum: 0.9 }),
    tfjs: () => tf.train.momentum(1e-3, 0.9),
  },
  rmsprop: { bytesPerParam: 20, describe: 'rmsprop, lr 1e-3', gradkit: () => rmsprop({ learningRate: 1e-3 }), tfjs: () => tf.train.rmsprop(1e-3) },
  sgd: { bytesPerParam: 12, describe: 'sgd, lr 1e-3', gradkit: () => sgd({ learningRate: 1e-3 }), tfjs: () => tf.train.sgd(1e-3) },
  'clip-adam': {
    bytesPerParam: 32,
    describe: `clipByGlobalNorm(${CLIP_MAX_NORM}) → adam, lr 1e-3`,
    gradkit: () => chain(clipByGlobalNorm(CLIP_MAX_NORM), adam({ learningRate: 1e-3 })),
    tfjs: () => tf.train.adam(1e-3),
    tfjsStep(opt, grads) {
      tf.tidy(() => {
        const names = Object.keys(grads);
        const gs = names.map((n) => grads[n] as tf.Tensor);
        // tf.stack, not tf.addN: tfjs-webgpu 4.22's AddN binds every input in one shader and fails beyond 7.
        const norm = tf.sqrt(tf.sum(tf.stack(gs.map((g) => tf.sum(tf.square(g))))));
        const scale = tf.minimum(tf.scalar(1), tf.div(tf.scalar(CLIP_MAX_NORM), tf.add(norm, tf.scalar(1e-6))));
        opt.applyGradients(Object.fromEntries(names.map((n, i) => [n, tf.mul(gs[i] as tf.Tensor, scale)])));
      });
    },
  },
  // The issue-16 optimizers (`benchModern`'s rows), each beside tf.train.adam(1e-3): tfjs has none of them.
  // θ, g, m, v read; θ, m, v written.
  adopt: { bytesPerParam: 28, describe: 'adopt, lr 1e-3 (tfjs: adam)', gradkit: () => adopt({ learningRate: 1e-3 }), tfjs: () => tf.train.adam(1e-3) },
  // y, g, z, v read; y, z, v written.
  'schedule-free-adamw': {
    bytesPerParam: 28,
    describe: 'scheduleFreeAdamW, lr 2.5e-3 (tfjs: adam)',
    gradkit: () => scheduleFreeAdamW({ learningRate: 2.5e-3 }),
    tfjs: () => tf.train.adam(1e-3),
  },
  // The momentum's θ, g, buffer read and θ, buffer written; Newton–Schulz's matmuls come on top.
  muon: { bytesPerParam: 20, describe: 'muon, lr 0.02 (tfjs: adam)', gradkit: () => muon({ learningRate: 0.02 }), tfjs: () => tf.train.adam(1e-3) },
  // adamw's 28 B, then θ copied (8 B), the agreeing signs counted (θ', θ₀, g: 12 B) and the masked step (θ', θ₀, g read, θ written: 16 B).
  'cautious-adamw': {
    bytesPerParam: 64,
    describe: 'cautious(adamw), lr 1e-3 (tfjs: adam)',
    gradkit: () => cautious(adamw({ learningRate: 1e-3 })),
    tfjs: () => tf.train.adam(1e-3),
  },
};

/** The optimizers of a full run, in table order. */
export const STEP_OPTIMIZERS: readonly StepOptimizer[] = ['adam', 'momentum', 'rmsprop', 'sgd', 'clip-adam'];

/** How long and how often to sample. */
export interface SamplingOptions {
  /** Untimed samples of each variant first (default 3). */
  readonly warmup?: number;
  /** Samples per variant at least (default 5). */
  readonly minSamples?: number;
  /** Samples per variant at most (default 15). */
  readonly maxSamples?: number;
  /** Each variant repeats its unit (step, copy) so that one sample takes about this long (default 25 ms). */
  readonly targetSampleMs?: number;
  /** At most this many units per sample (default 50). */
  readonly maxStepsPerSample?: number;
  /** No new round once a case has taken this long, after `minSamples` (default 4000 ms). */
  readonly caseBudgetMs?: number;
  /** Also time `tf.add(x, 0)` over the floor's elements, for comparison (a tfjs kernel that copies; default false). */
  readonly tfCopy?: boolean;
  /** Count WebGPU queue submits per step (on WebGPU only; default true). */
  readonly countSubmits?: boolean;
}

/** Options of `benchOptimizerStep`. */
export interface OptimizerStepOptions extends SamplingOptions {
  /** The layouts, in order (default: 10k, 100k, 1M, 200 small tensors). */
  readonly layouts?: readonly Layout[];
  /** The optimizers (default: all of `STEP_OPTIMIZERS`). */
  readonly optimizers?: readonly StepOptimizer[];
}

/** A timed variant: ms per unit, and units per sample. */
export type Timed = Summary & { readonly perSample: number };

/** The memory-copy floor of one case: copies of exactly the bytes a fused step must move. */
export interface CopyFloor {
  /** Float32 elements copied: `bytesPerStep / 8` (each element is read once and written once). */
  readonly elements: number;
  /** What the copy is on this backend (see `nativeCopy`). */
  readonly kind: string;
  /** The copy in the backend's own memory: ms per copy. */
  readonly copy: Timed;
  /** `tf.add(x, 0)` on the backend, when timed: ms per op (a kernel dispatch that also allocates its output). */
  readonly tfCopy?: Timed;
  /** The copy's median, in ms: the floor. */
  readonly ms: number;
  /** `bytesPerStep` ÷ `ms`, in GB/s (10⁹ bytes per second). */
  readonly gbs: number;
}

/** One optimizer at one layout. */
export interface OptimizerRow {
  readonly optimizer: StepOptimizer;
  readonly layout: string;
  readonly params: number;
  readonly tensors: number;
  /** Bytes a fused step must move (`bytesPerParam` × params). */
  readonly bytesPerStep: number;
  /** gradkit `Optimizer.step`: ms per step, GB/s of `bytesPerStep`, and the path it took. */
  readonly gradkit: Timed & { readonly gbs: number; readonly path: StepPath };
  /** tfjs `optimizer.applyGradients`: ms per step and GB/s of `bytesPerStep`. */
  readonly tfjs: Timed & { readonly gbs: number };
  /** tfjs median ÷ gradkit median (> 1: gradkit is faster). */
  readonly speedup: number;
  /** The copy floor, measured in the same rounds. */
  readonly floor: CopyFloor;
  /** gradkit median ÷ floor. */
  readonly gradkitOverFloor: number;
  /** Tensors allocated by the timed steps and not freed (should be 0). */
  readonly leakedTensors: number;
  /**
   * WebGPU only: queue submits of one step (after everything queued before was submitted; work left
   * recorded for a later submit counts as one more), gradkit and tfjs; the most over a few steps.
   * `errors`: a WebGPU validation error raised by a step of either side (its work was dropped, so its
   * timing does not count).
   */
  readonly submits?: {
    readonly gradkit: number;
    readonly tfjs: number;
    readonly errors?: { readonly gradkit?: string; readonly tfjs?: string };
  };
}

/** What `benchOptimizerStep` measured. */
export interface OptimizerStepResult {
  readonly rows: readonly OptimizerRow[];
}

const GB = 1e9;
let variableSerial = 0;

/**
 * A variant that repeats `unit` k times per sample and ends each sample with `wait()` (which waits
 * for queued work; null: the unit ran synchronously on the host). `calibrate` runs the warm-up
 * samples and sets k from the last one so that a sample takes about `targetSampleMs`.
 */
function repeated(name: string, unit: () => void, wait: () => Promise<void> | null, o: SamplingOptions) {
  let k = 1;
  const run = async (): Promise<number> => {
    const n = k;
    const t0 = performance.now();
    for (let i = 0; i < n; i++) unit();
    await wait();
    return (performance.now() - t0) / n;
  };
  return {
    name,
    run,
    get perSample() {
      return k;
    },
    async calibrate(): Promise<void> {
      let last = 0;
      for (let i = 0; i < Math.max(1, o.warmup ?? 3); i++) last = await run();
      k = Math.max(1, Math.min(o.maxStepsPerSample ?? 50, Math.round((o.targetSampleMs ?? 25) / Math.max(last, 1e-3))));
    },
  };
}

/** Waits for the queued work `t` depends on (one element read back). */
const settled = (t: () => tf.Tensor) => () => settle(t());

/**
 * Times one step of `optimizer` on `layout` for gradkit and tfjs, and copies of the same bytes in the
 * backend's own memory (the floor), in interleaved rounds. Both optimizers get their own parameters
 * (same initial values) and the same gradients every step; nothing is read back inside a sample
 * except one element at its end, which waits for the queued steps. On WebGPU the queue submits of one
 * step of each are counted afterwards.
 */
export async function benchOptimizerCase(optimizer: StepOptimizer, layout: Layout, options: SamplingOptions = {}): Promise<OptimizerRow> {
  const o: SamplingOptions = { ...options, ...layout.sampling };
  const spec = OPTIMIZERS[optimizer];
  const serial = variableSerial++;
  const names = layout.shapes.map((_, i) => `bench_${serial}_${i}`);
  const created: tf.Tensor[] = [];
  const keep = <T extends tf.Tensor>(t: T): T => {
    created.push(t);
    return t;
  };
  const init = layout.shapes.map((shape, i) => keep(tf.randomNormal([...shape], 0, 1, 'float32', 100 + i)));
  const gradList = layout.shapes.map((shape, i) => keep(tf.tidy(() => tf.mul(tf.randomNormal([...shape], 0, 1, 'float32', 200 + i), 1e-2))));
  const params = init.reduce((s, t) => s + t.size, 0);
  const bytesPerStep = spec.bytesPerParam * params;
  const gParams: Record<string, tf.Variable> = {};
  const grads: Record<string, tf.Tensor> = {};
  const tVars = names.map((name, i) => keep(tf.variable(init[i] as tf.Tensor, true, name)));
  names.forEach((name, i) => {
    gParams[name] = keep(tf.variable(init[i] as tf.Tensor, true, `${name}_gradkit`));
    grads[name] = gradList[i] as tf.Tensor;
  });
  const lastName = names[names.length - 1] as string;
  // The floor: copies of bytesPerStep / 8 float32 elements (each read once, written once).
  const elements = Math.round(bytesPerStep / 8);
  const copy = nativeCopy(elements);
  const x = o.tfCopy ? keep(tf.randomNormal([elements], 0, 1, 'float32', 3)) : null;
  const zero = keep(tf.scalar(0));
  let copied: tf.Tensor | null = null;

  const gOpt = new Optimizer(gParams, spec.gradkit());
  const tOpt = spec.tfjs();
  const gStep = () => gOpt.step(grads as GradTree);
  const tStep = spec.tfjsStep ? () => spec.tfjsStep?.(tOpt, grads) : () => tOpt.applyGradients(grads);
  const variants = [
    repeated(
      'gradkit',
      gStep,
      settled(() => gParams[lastName] as tf.Tensor),
      o,
    ),
    repeated(
      'tfjs',
      tStep,
      settled(() => tVars[tVars.length - 1] as tf.Tensor),
      o,
    ),
    repeated('copy', copy.run, copy.wait, o),
    ...(x
      ? [
          repeated(
            'tfCopy',
            () => {
              copied?.dispose();
              copied = tf.add(x, zero);
            },
            settled(() => copied as tf.Tensor),
            o,
          ),
        ]
      : []),
  ];
  try {
    for (const v of variants) await v.calibrate();
    const before = tf.memory().numTensors;
    const samples = await interleave(variants, { maxRounds: o.maxSamples ?? 15, minRounds: o.minSamples ?? 5, budgetMs: o.caseBudgetMs ?? 4000 });
    const leakedTensors = tf.memory().numTensors - before;
    let submits: OptimizerRow['submits'];
    if (o.countSubmits !== false) {
      let g = 0;
      let t = 0;
      let errors: { gradkit?: string; tfjs?: string } = {};
      for (let i = 0; i < 3; i++) {
        const sg = await countSubmits(gStep);
        const st = await countSubmits(tStep);
        if (sg === null || st === null) break;
        g = Math.max(g, sg.submits);
        t = Math.max(t, st.submits);
        errors = { ...(sg.error ? { gradkit: sg.error } : {}), ...(st.error ? { tfjs: st.error } : {}), ...errors };
        submits = { gradkit: g, tfjs: t, ...(errors.gradkit || errors.tfjs ? { errors } : {}) };
      }
    }
    // Both sides must really have updated their parameters (a gradient tfjs cannot match by name is skipped silently).
    const probe = tf.tidy(() =>
      tf.stack([init[init.length - 1], gParams[lastName], tVars[tVars.length - 1]].map((t) => tf.slice(tf.reshape(t as tf.Tensor, [-1]), [0], [1]))),
    );
    const [p0, pg, pt] = await probe.data();
    probe.dispose();
    if (pg === p0 || pt === p0) throw new Error(`${optimizer} at ${layout.label}: ${pg === p0 ? 'gradkit' : 'tfjs'} did not change its parameters`);
    const timed = (name: string): Timed => ({
      ...summarize(samples[name] as number[]),
      perSample: (variants.find((v) => v.name === name) as { perSample: number }).perSample,
    });
    const gbs = (ms: number) => bytesPerStep / (ms / 1000) / GB;
    const g = timed('gradkit');
    const t = timed('tfjs');
    const floorCopy = timed('copy');
    const tfCopy = samples.tfCopy ? timed('tfCopy') : undefined;
    return {
      optimizer,
      layout: layout.label,
      params,
      tensors: layout.shapes.length,
      bytesPerStep,
      gradkit: { ...g, gbs: gbs(g.median), path: gOpt.lastStepPath },
      tfjs: { ...t, gbs: gbs(t.median) },
      speedup: t.median / g.median,
      floor: { elements, kind: copy.kind, copy: floorCopy, ...(tfCopy ? { tfCopy } : {}), ms: floorCopy.median, gbs: gbs(floorCopy.median) },
      gradkitOverFloor: g.median / floorCopy.median,
      leakedTensors,
      ...(submits ? { submits } : {}),
    };
  } finally {
    (copied as tf.Tensor | null)?.dispose();
    copy.dispose();
    gOpt.dispose();
    // tfjs's MomentumOptimizer.dispose() does not call SGDOptimizer's, which frees the learning-rate scalar `c`.
    const c = (tOpt as unknown as { c?: tf.Tensor }).c;
    tOpt.dispose();
    if (c instanceof tf.Tensor && !c.isDisposed) c.dispose();
    tf.dispose(created);
  }
}

/**
 * Every optimizer at every layout (gradkit against tfjs, with the copy floor of the same bytes).
 * `onRow` sees each result as it comes (for progress output).
 */
export async function benchOptimizerStep(options: OptimizerStepOptions = {}, onRow?: (row: OptimizerRow) => void): Promise<OptimizerStepResult> {
  const layouts = options.layouts ?? [LAYOUTS['10k'], LAYOUTS['100k'], LAYOUTS['1M'], LAYOUTS.small].map((l) => l as Layout);
  const optimizers = options.optimizers ?? STEP_OPTIMIZERS;
  const rows: OptimizerRow[] = [];
  for (const layout of layouts)
    for (const optimizer of optimizers) {
      const row = await benchOptimizerCase(optimizer, layout, options);
      rows.push(row);
      onRow?.(row);
    }
  return { rows };
}
