// What a full run measures on each backend, sized so that `pnpm bench` takes about 20 minutes on a
// 2-core machine (WebGPU there runs on SwiftShader, a software renderer, hence its smaller plan).
import type { ArchOptions } from './arch.js';
import { ARCH_MODELS } from './arch-names.js';
import type { EndToEndOptions } from './e2e.js';
import type { ModernOptions } from './modern.js';
import { LAYOUTS, type Layout, type OptimizerStepOptions, type SamplingOptions } from './optimizer-step.js';
import type { OverheadOptions } from './overhead.js';
import type { PeerOptions } from './peer.js';
import type { ProfilesOptions } from './profile.js';

/** One backend's benchmarks. */
export interface Plan {
  /** One overhead benchmark per entry. */
  readonly overhead: readonly OverheadOptions[];
  readonly optimizerStep: OptimizerStepOptions;
  /** The end-to-end training step (null: not run). */
  readonly endToEnd: EndToEndOptions | null;
  /** The peer benchmark, one entry per net. */
  readonly peer: readonly PeerOptions[];
  /** The profiles of the MLP's training step (null: not run). */
  readonly profiles: ProfilesOptions | null;
  /** The architecture benchmark, one entry per net. */
  readonly arch: readonly ArchOptions[];
  /** The issue-16 optimizers (null: not run). */
  readonly modern: ModernOptions | null;
  /** Said in the results (what was left out and why). */
  readonly notes: readonly string[];
}

/** A step of 10M parameters takes about a second on the slow paths: one warm-up step, five samples of one step each. */
export const TEN_M_SAMPLING: SamplingOptions = { warmup: 1, minSamples: 5, maxSamples: 5, maxStepsPerSample: 1 };

const layouts = (...keys: string[]): Layout[] =>
  keys.map((k) => (k === '10M' ? { ...(LAYOUTS[k] as Layout), sampling: TEN_M_SAMPLING } : (LAYOUTS[k] as Layout)));

/**
 * The issue-16 benchmark of `backend`: adopt and schedule-free AdamW at the element-wise layouts,
 * Muon at the matrices where Newton–Schulz stays affordable (a 1000 × 1000 orthogonalization is
 * 3·10⁹·5 flops: seconds on cpu, and far more on SwiftShader), Newton–Schulz alone on square
 * matrices, and the peer's MLP trained by each.
 */
export function modernPlan(backend: string): ModernOptions {
  const gpu = backend === 'webgpu';
  const elementwise = layouts('10k', '100k', '1M', 'small');
  return {
    steps: [
      { optimizer: 'adopt', layouts: elementwise },
      { optimizer: 'schedule-free-adamw', layouts: elementwise },
      { optimizer: 'muon', layouts: layouts('10k', '100k', 'small') },
      { optimizer: 'cautious-adamw', layouts: elementwise },
    ],
    sampling: gpu
      ? { warmup: 2, minSamples: 3, maxSamples: 8, targetSampleMs: 50, caseBudgetMs: 4000 }
      : { warmup: 3, minSamples: 5, maxSamples: 12, targetSampleMs: 25, caseBudgetMs: 3000 },
    newtonSchulz: gpu
      ? [
          [128, 128],
          [256, 256],
        ]
      : [
          [128, 128],
          [256, 256],
          [512, 512],
        ],
    nsRounds: { maxRounds: 10, minRounds: 3, budgetMs: gpu ? 8000 : 5000 },
    training: gpu
      ? { sizes: [784, 256, 256, 10], batch: 128, stepsPerSample: 1, warmup: 1, rounds: { maxRounds: 4, minRounds: 3, budgetMs: 20_000 }, jax: true }
      : { sizes: [784, 256, 256, 10], batch: 128, stepsPerSample: 2, warmup: 2, rounds: { maxRounds: 10, minRounds: 5, budgetMs: 15_000 }, jax: true },
  };
}

/** The full plan of `backend`. */
export function fullPlan(backend: string): Plan {
  if (backend === 'webgpu')
    return {
      overhead: [{ optimizer: 'sgd', taps: false, warmup: 1, rounds: { maxRounds: 8, minRounds: 4, budgetMs: 45_000 }, profileSamples: 3 }],
      optimizerStep: {
        layouts: layouts('10k', '100k', '1M', 'small'),
        tfCopy: true,
        warmup: 2,
        minSamples: 3,
        maxSamples: 10,
        targetSampleMs: 50,
        caseBudgetMs: 4000,
      },
      // A step of the lab's net takes about a second on SwiftShader: 2 steps per sample, one warm-up sample.
      endToEnd: { batchesPerSample: 2, warmup: 1, rounds: { maxRounds: 8, minRounds: 3, budgetMs: 20_000 } },
      // A step of the MLP takes 0.5 s (jax-js) to 2.5 s (tfjs-layers) on SwiftShader.
      peer: [{ model: 'mlp', stepsPerSample: 1, warmup: 1, checkSteps: [1, 5, 10], rounds: { maxRounds: 6, minRounds: 3, budgetMs: 25_000 } }],
      profiles: { settings: { warmup: 1, steps: 2, timedSteps: 3 } },
      // A step takes seconds on SwiftShader: the checked steps are the warm-up, then 2 single-step samples.
      arch: ARCH_MODELS.map((model) => ({ model, warmup: 0, rounds: { maxRounds: 2, minRounds: 2, budgetMs: 0 } })),
      modern: modernPlan('webgpu'),
      notes: [
        'Peer on WebGPU (SwiftShader, a software renderer: its times show relative cost only, not what a GPU does): jax-js runs on its own webgpu device, on the same Dawn adapter. Only the MLP, its losses compared at steps 1, 5 and 10, one step per sample: the wide net takes 3 s (jax-js) to 17 s (gradkit, tfjs-layers) per step there (measured once), which would add about 5 minutes to the run.',
        'WebGPU runs on SwiftShader (a software renderer on the CPU): a training step of the 20-layer net takes seconds, so its overhead is timed over a few steps only, without the taps variant; it has no overhead target.',
        'Architectures on WebGPU (SwiftShader): a step takes seconds there, so the checked steps are the only warm-up and each variant is timed over 2 single-step samples; gradkit installs no fast path or kernel on WebGPU, so "tfjs-layers + gradkit" would be tfjs-layers alone again and is not run.',
        'Sizes stop at 1M parameters on WebGPU (SwiftShader): at 10M one adam step takes about 5 s on either side there (measured once: gradkit 4.97 s on the reference path, tf.train.adam 4.64 s, the buffer-copy floor 18 ms), so the 10M rows would add about 5 minutes to the run.',
      ],
    };
  const cpu = backend === 'cpu';
  return {
    overhead: [
      { optimizer: 'sgd', taps: true, warmup: 3, rounds: { maxRounds: 30, minRounds: 10, budgetMs: cpu ? 50_000 : 25_000 } },
      { optimizer: 'adam', taps: false, warmup: 3, rounds: { maxRounds: 30, minRounds: 10, budgetMs: cpu ? 30_000 : 15_000 } },
    ],
    optimizerStep: {
      layouts: layouts('10k', '100k', '1M', '10M', 'small'),
      warmup: 3,
      minSamples: 5,
      maxSamples: 15,
      targetSampleMs: 25,
      caseBudgetMs: 4000,
    },
    endToEnd: { batchesPerSample: 8, warmup: 2, rounds: { maxRounds: 15, minRounds: 6, budgetMs: cpu ? 30_000 : 15_000 } },
    peer: cpu
      ? [
          { model: 'mlp', stepsPerSample: 1, warmup: 1, rounds: { maxRounds: 10, minRounds: 5, budgetMs: 15_000 } },
          { model: 'wide', stepsPerSample: 1, warmup: 1, checkSteps: [1, 5], rounds: { maxRounds: 3, minRounds: 3, budgetMs: 0 } },
        ]
      : [
          { model: 'mlp', stepsPerSample: 4, warmup: 2, rounds: { maxRounds: 15, minRounds: 8, budgetMs: 20_000 } },
          { model: 'wide', stepsPerSample: 1, warmup: 1, checkSteps: [1, 5, 10], rounds: { maxRounds: 8, minRounds: 5, budgetMs: 30_000 } },
        ],
    profiles: cpu ? { settings: { warmup: 1, steps: 3, timedSteps: 5 } } : {},
    arch: ARCH_MODELS.map((model) => {
      // tfjs-layers alone takes 8–30 s per conv step on cpu (its Conv2DBackpropFilter): no warm-up beyond the checked steps, 3 rounds.
      const slow = cpu && model === 'conv';
      return { model, warmup: slow ? 0 : 1, rounds: { maxRounds: 10, minRounds: slow ? 3 : 5, budgetMs: slow ? 0 : 20_000 } };
    }),
    modern: modernPlan(backend),
    notes: [
      '10M parameters: one warm-up step and the median of 5 single-step samples per variant (a step takes up to seconds there).',
      ...(cpu
        ? [
            "Peer on cpu: jax-js runs on its wasm device (its cpu device is a debugging interpreter). The wide net's step takes about 3 s in tfjs's cpu kernels, so there its losses are compared at steps 1 and 5 only and 3 single-step samples are timed per variant.",
            "Architectures, conv net on cpu: tfjs-layers alone takes 8–30 s per step there (tfjs-backend-cpu's Conv2DBackpropFilter), so every variant is timed over exactly 3 single-step samples after the checked steps, with no further warm-up.",
          ]
        : ['Peer, wide net: one step per sample and the losses compared at steps 1, 5 and 10 (a step without fast paths takes about 2 s on wasm).']),
    ],
  };
}

/** Tiny nets of every architecture (a step takes milliseconds), for `--quick` and the tests. */
export const QUICK_ARCH: readonly ArchOptions[] = [
  { model: 'conv', sizes: { batch: 2, filters: [2, 3, 3], dense: 4, classes: 3 } },
  { model: 'lstm', sizes: { batch: 2, time: 3, features: 2, hidden: 3 } },
  { model: 'gru', sizes: { batch: 2, time: 3, features: 2, hidden: 3 } },
  { model: 'transformer', sizes: { batch: 2, tokens: 3, dim: 4, heads: 2, ffn: 5, layers: 1, classes: 3 } },
];

/** A tiny plan that runs every benchmark once or twice, for checking the command itself. */
export function quickPlan(): Plan {
  const rounds = { maxRounds: 2, minRounds: 1, budgetMs: 0 };
  return {
    overhead: [{ depth: 2, width: 16, batch: 4, optimizer: 'sgd', taps: true, warmup: 1, rounds, profileSamples: 1 }],
    optimizerStep: {
      layouts: [
        { label: '1k', shapes: [[1000]] },
        { label: '5 × 7', shapes: Array.from({ length: 5 }, () => [7]) },
      ],
      warmup: 1,
      minSamples: 1,
      maxSamples: 2,
      caseBudgetMs: 0,
      maxStepsPerSample: 2,
    },
    endToEnd: { depth: 2, width: 16, batch: 8, batchesPerSample: 2, warmup: 1, rounds },
    peer: [{ sizes: [6, 5, 3], batch: 4, batches: 2, stepsPerSample: 1, warmup: 1, checkSteps: [1, 2], rounds }],
    profiles: { sizes: [6, 5, 3], batch: 4, settings: { warmup: 1, steps: 1, timedSteps: 1 } },
    arch: QUICK_ARCH.map((o) => ({ ...o, batches: 2, warmup: 0, rounds })),
    modern: {
      steps: (['adopt', 'schedule-free-adamw', 'muon'] as const).map((optimizer) => ({ optimizer, layouts: [{ label: '4 × 6', shapes: [[4, 6]] }] })),
      sampling: { warmup: 1, minSamples: 1, maxSamples: 2, caseBudgetMs: 0, maxStepsPerSample: 2 },
      newtonSchulz: [[4, 6]],
      nsRounds: rounds,
      training: { sizes: [6, 5, 3], batch: 4, stepsPerSample: 1, warmup: 1, rounds, jax: true },
    },
    notes: ['--quick: tiny sizes, one or two samples: checks the command, measures nothing.'],
  };
}
