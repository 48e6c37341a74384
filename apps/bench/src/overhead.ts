// Benchmark 1: what monitoring every step costs (issue 5's target: ≤ 5% of a training step of a
// 20-layer MLP on cpu and wasm). The same training step with and without monitoring, interleaved
// round by round, plus a profile of where the extra time goes.
import { chain, flatten, type GradientTransformation, type Module, Optimizer, type StepPath, valueAndGrad, withTaps } from '@gradkit/core';
import { GradientMonitor, type GradientReport, monitorGradients } from '@gradkit/diagnostics';
import { heNormal } from '@gradkit/initializers';
import { act, dense, sequential } from '@gradkit/nn';
import { adam, sgd } from '@gradkit/optimizers';
import * as tf from '@tensorflow/tfjs-core';
import { interleave, pairedOverhead, type RoundOptions, type Summary, summarize, timeIt } from './timing.js';

/** The optimizers the overhead benchmark can train with. */
export type OverheadOptimizer = 'sgd' | 'adam';

/** Options of `benchMonitoringOverhead`. */
export interface OverheadOptions {
  /** Hidden layers, each dense → ReLU (default 20). */
  readonly depth?: number;
  /** Units per hidden layer (default 256). */
  readonly width?: number;
  /** Samples per minibatch (default 64). */
  readonly batch?: number;
  /** Input features (default 784, an MNIST image). */
  readonly inputs?: number;
  /** Classes (default 10). */
  readonly classes?: number;
  /** `sgd` (learning rate 0.01; a fused kernel exists) or `adam` (1e-3). Default `sgd`. */
  readonly optimizer?: OverheadOptimizer;
  /** Also time the gradient lab's pattern: `withTaps` + `GradientMonitor.observe` with taps (default true). */
  readonly taps?: boolean;
  /** Steps of every variant before timing (default 3). */
  readonly warmup?: number;
  /** Rounds of interleaved samples, one step of every variant per round. */
  readonly rounds?: RoundOptions;
  /** Samples of the statistics-only profile (default 10). */
  readonly profileSamples?: number;
}

/** One timed variant: ms per training step, and how the optimizer ran the step. */
export interface OverheadVariant extends Summary {
  /** `'fused:<kernel>'` or `'reference'`: the Optimizer's path on the last step. */
  readonly path: StepPath;
}

/** An overhead relative to the plain step. */
export interface Overhead {
  /** median(variant) / median(plain) − 1. */
  readonly ofMedians: number;
  /** The median over rounds of variant/plain − 1 (paired samples of the same round). */
  readonly paired: number;
}

/** What `benchMonitoringOverhead` measured. */
export interface OverheadResult {
  /** The network and optimizer. */
  readonly config: MlpConfig & {
    readonly optimizer: OverheadOptimizer;
    readonly learningRate: number;
  };
  /** ms per step by variant: `plain`, `monitorGradients`, `observe+taps` (optional), `reference` (optional). */
  readonly variants: Readonly<Record<string, OverheadVariant>>;
  /** Overhead of each monitored variant over `plain`. */
  readonly overhead: Readonly<Record<string, Overhead>>;
  /** Where the time goes. */
  readonly profile: {
    /**
     * `GradientMonitor.observe({ grads, params })` on one step's gradients, alone (no training step):
     * `launch` is the synchronous part (validation and the statistics kernels queued or run),
     * `report` the wait for the readback plus building the report and applying the rules.
     */
    readonly stats: {
      readonly total: Summary;
      readonly launch: Summary;
      readonly report: Summary;
      /** `observe({ grads })` without the parameters: the gradients' statistics alone (no ‖θ‖ pass). */
      readonly gradsOnly: Summary;
    };
    /**
     * The plain step with the fused kernel switched off (`{ fused: false }`), when the plain step runs
     * fused: a chain with a monitor is not matched by fused kernels, so monitoring costs this too.
     */
    readonly referencePath?: Summary;
  };
  /** Reports delivered by `monitorGradients` per monitored step taken (should be 1: every step observed). */
  readonly reportsPerStep: number;
  /** The verdict of the last report (a sanity check: `healthy` for ReLU + He init). */
  readonly lastVerdict: string;
}

/** The benchmarked net and batch, as the results report them. */
export interface MlpConfig {
  readonly depth: number;
  readonly width: number;
  readonly batch: number;
  readonly inputs: number;
  readonly classes: number;
  /** Trainable parameters. */
  readonly params: number;
  /** Parameter tensors (kernels and biases). */
  readonly tensors: number;
}

/** The gradient lab's plain net: `depth` × [dense → ReLU] with He-normal kernels, then a dense head. */
export function buildMlp(o: { depth: number; width: number; inputs: number; classes: number }, seed = 1): Module {
  const modules: Module[] = [];
  for (let i = 0; i < o.depth; i++)
    modules.push(
      dense({ inFeatures: i === 0 ? o.inputs : o.width, outFeatures: o.width, kernelInitializer: heNormal({ seed: seed * 1000 + i }) }),
      act('relu'),
    );
  modules.push(dense({ inFeatures: o.width, outFeatures: o.classes, kernelInitializer: heNormal({ seed: seed * 1000 + 999 }) }));
  return sequential(...modules);
}

/** Mean softmax cross-entropy of `logits` against one-hot `y`. */
function crossEntropy(y: tf.Tensor, logits: tf.Tensor): tf.Scalar {
  return tf.neg(tf.mean(tf.sum(tf.mul(y, tf.logSoftmax(logits)), -1))) as tf.Scalar;
}

const DEFAULT_ROUNDS: RoundOptions = { maxRounds: 30, minRounds: 10, budgetMs: 60_000 };

/**
 * Times one training step (forward, backward, optimizer step, loss read back) of an MLP without
 * monitoring and with `monitorGradients({ every: 1 })` first in the chain (and, optionally, with
 * `GradientMonitor.observe` given the taps of every layer), interleaved round by round. A monitored
 * step counts until its report has been delivered (`await flush()`), so the readback and the rules
 * are inside the timed region. Each variant trains its own copy of the same net (same seeds) on the
 * same fixed minibatch.
 */
export async function benchMonitoringOverhead(options: OverheadOptions = {}): Promise<OverheadResult> {
  const depth = options.depth ?? 20;
  const width = options.width ?? 256;
  const batch = options.batch ?? 64;
  const inputs = options.inputs ?? 784;
  const classes = options.classes ?? 10;
  const optimizer = options.optimizer ?? 'sgd';
  const learningRate = optimizer === 'sgd' ? 0.01 : 1e-3;
  const withTapsVariant = options.taps ?? true;
  const warmup = options.warmup ?? 3;
  const rounds = options.rounds ?? DEFAULT_ROUNDS;
  const net = { depth, width, inputs, classes };
  const makeTransform = (): GradientTransformation => (optimizer === 'sgd' ? sgd({ learningRate }) : adam({ learningRate }));

  const x = tf.randomNormal([batch, inputs], 0, 1, 'float32', 7) as tf.Tensor2D;
  const y = tf.tidy(() => tf.cast(tf.oneHot(tf.randomUniform([batch], 0, classes, 'int32', 8) as tf.Tensor1D, classes), 'float32'));
  const owned: { dispose(): void }[] = [];
  const model = () => {
    const m = buildMlp(net);
    owned.push(m);
    return m;
  };
  const lossOf = (m: Module) => () => crossEntropy(y, m.apply(x, { training: true }));

  try {
    // plain: the step a user runs without monitoring.
    const plainNet = model();
    const plain = new Optimizer(plainNet.params, makeTransform());
    owned.push(plain);
    const plainStep = async () => {
      await plain.minimize(lossOf(plainNet));
    };

    // monitorGradients every step, first in the chain.
    const monNet = model();
    let reports = 0;
    let last: GradientReport | undefined;
    const mon = monitorGradients({
      every: 1,
      onReport: (r) => {
        reports++;
        last = r;
      },
    });
    const monitored = new Optimizer(monNet.params, chain(mon, makeTransform()));
    owned.push(monitored);
    let monSteps = 0;
    const monStep = async () => {
      await monitored.minimize(lossOf(monNet));
      await mon.flush();
      monSteps++;
    };

    // The gradient lab's pattern: taps of every layer, GradientMonitor.observe beside a plain step.
    const tapNet = withTapsVariant ? model() : undefined;
    const tapOpt = tapNet ? new Optimizer(tapNet.params, makeTransform()) : undefined;
    if (tapOpt) owned.push(tapOpt);
    const monitor = new GradientMonitor({ historyLimit: 1 });
    const tapStep = async () => {
      const m = tapNet as Module;
      const {
        result: { value, grads },
        taps,
      } = withTaps(valueAndGrad(lossOf(m)))(m.params);
      const report = monitor.observe({ grads, params: m.params, taps });
      (tapOpt as Optimizer).step(grads);
      tf.dispose([grads as tf.TensorContainer, taps as unknown as tf.TensorContainer]);
      await value.data();
      value.dispose();
      await report;
    };

    for (let i = 0; i < warmup; i++) {
      await plainStep();
      await monStep();
      if (tapOpt) await tapStep();
    }

    // The reference path, only when the plain step runs a fused kernel (otherwise it is `plain`).
    const fused = plain.lastStepPath !== 'reference';
    const refNet = fused ? model() : undefined;
    const refOpt = refNet ? new Optimizer(refNet.params, makeTransform(), { fused: false }) : undefined;
    if (refOpt) owned.push(refOpt);
    const refStep = async () => {
      await (refOpt as Optimizer).minimize(lossOf(refNet as Module));
    };
    if (refOpt) for (let i = 0; i < warmup; i++) await refStep();

    reports = 0;
    monSteps = 0;
    const timed = (name: string, step: () => Promise<void>) => ({ name, run: () => timeIt(step) });
    const variants = [
      timed('plain', plainStep),
      timed('monitorGradients', monStep),
      ...(tapOpt ? [timed('observe+taps', tapStep)] : []),
      ...(refOpt ? [timed('reference', refStep)] : []),
    ];
    const samples = await interleave(variants, rounds);

    const pathOf: Record<string, StepPath> = {
      plain: plain.lastStepPath,
      monitorGradients: monitored.lastStepPath,
      'observe+taps': tapOpt?.lastStepPath ?? 'reference',
      reference: refOpt?.lastStepPath ?? 'reference',
    };
    const results: Record<string, OverheadVariant> = {};
    for (const [name, values] of Object.entries(samples)) results[name] = { ...summarize(values), path: pathOf[name] as StepPath };
    const base = samples.plain as number[];
    const overhead: Record<string, Overhead> = {};
    for (const name of ['monitorGradients', 'observe+taps']) {
      const s = samples[name];
      if (!s) continue;
      overhead[name] = { ofMedians: summarize(s).median / summarize(base).median - 1, paired: pairedOverhead(s, base) };
    }

    // Profile: the statistics alone, on one step's gradients (the monitored net's parameters).
    const { value, grads } = valueAndGrad(lossOf(monNet))(monNet.params);
    value.dispose();
    const alone = new GradientMonitor({ historyLimit: 1 });
    const launch: number[] = [];
    const report: number[] = [];
    const gradsOnly: number[] = [];
    try {
      await alone.observe({ grads, params: monNet.params });
      await alone.observe({ grads });
      for (let i = 0; i < (options.profileSamples ?? 10); i++) {
        const t0 = performance.now();
        const p = alone.observe({ grads, params: monNet.params });
        const t1 = performance.now();
        await p;
        const t2 = performance.now();
        launch.push(t1 - t0);
        report.push(t2 - t1);
        gradsOnly.push(await timeIt(() => alone.observe({ grads })));
      }
    } finally {
      tf.dispose(grads as tf.TensorContainer);
    }

    const leaves = flatten(monNet.params).map((e) => e.value as tf.Tensor);
    return {
      config: {
        ...net,
        batch,
        optimizer,
        learningRate,
        params: leaves.reduce((n, t) => n + t.size, 0),
        tensors: leaves.length,
      },
      variants: results,
      overhead,
      profile: {
        stats: {
          total: summarize(launch.map((l, i) => l + (report[i] as number))),
          launch: summarize(launch),
          report: summarize(report),
          gradsOnly: summarize(gradsOnly),
        },
        ...(samples.reference ? { referencePath: summarize(samples.reference) } : {}),
      },
      reportsPerStep: monSteps === 0 ? 0 : reports / monSteps,
      lastVerdict: (last as GradientReport | undefined)?.verdict ?? 'none',
    };
  } finally {
    for (const o of owned.reverse()) o.dispose();
    x.dispose();
    y.dispose();
  }
}
