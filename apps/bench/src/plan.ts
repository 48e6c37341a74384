// What a full run measures on each backend, sized so that `pnpm bench` takes a few minutes on a
// 2-core machine (WebGPU there runs on SwiftShader, a software renderer, hence its smaller plan).
import { LAYOUTS, type Layout, type OptimizerStepOptions } from './optimizer-step.js';
import type { OverheadOptions } from './overhead.js';

/** One backend's benchmarks. */
export interface Plan {
  /** One overhead benchmark per entry. */
  readonly overhead: readonly OverheadOptions[];
  readonly optimizerStep: OptimizerStepOptions;
  /** Said in the results (what was left out and why). */
  readonly notes: readonly string[];
}

const layouts = (...keys: string[]): Layout[] => keys.map((k) => LAYOUTS[k] as Layout);

/** The full plan of `backend`. */
export function fullPlan(backend: string): Plan {
  if (backend === 'webgpu')
    return {
      overhead: [{ optimizer: 'sgd', taps: false, warmup: 1, rounds: { maxRounds: 8, minRounds: 4, budgetMs: 45_000 }, profileSamples: 3 }],
      optimizerStep: {
        layouts: layouts('10k', '100k', '1M', 'small'),
        jsCopy: false,
        warmup: 2,
        minSamples: 3,
        maxSamples: 10,
        targetSampleMs: 50,
        caseBudgetMs: 4000,
      },
      notes: [
        'WebGPU runs on SwiftShader (a software renderer on the CPU): a training step of the 20-layer net takes seconds, so its overhead is timed over a few steps only, without the taps variant; it has no overhead target.',
        '10M parameters are not run on WebGPU (SwiftShader) for time.',
      ],
    };
  const cpu = backend === 'cpu';
  return {
    overhead: [
      { optimizer: 'sgd', taps: true, warmup: 3, rounds: { maxRounds: 30, minRounds: 10, budgetMs: cpu ? 50_000 : 25_000 } },
      { optimizer: 'adam', taps: false, warmup: 3, rounds: { maxRounds: 30, minRounds: 10, budgetMs: cpu ? 30_000 : 15_000 } },
    ],
    optimizerStep: {
      layouts: cpu ? layouts('10k', '100k', '1M', 'small') : layouts('10k', '100k', '1M', '10M', 'small'),
      warmup: 3,
      minSamples: 5,
      maxSamples: 15,
      targetSampleMs: 25,
      caseBudgetMs: 4000,
    },
    notes: cpu ? ['10M parameters are not run on cpu for time (tfjs adam takes seconds per step there); cost grows linearly from 1M.'] : [],
  };
}

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
    notes: ['--quick: tiny sizes, one or two samples: checks the command, measures nothing.'],
  };
}
