import { describe, expect, it } from 'vitest';
import { linearWarmup } from './linear-warmup.js';
import { expectHyperError, expectValues, torchLrs, valuesOf } from './test-utils.js';

/** torch/optim/lr_scheduler.py, LinearLR.get_lr (the chainable form), transcribed in float64. */
const torchLinearLr = (baseLr: number, startFactor: number, endFactor: number, totalIters: number, n: number) =>
  torchLrs(
    baseLr,
    ({ lastEpoch, lr, isInitial }) => {
      if (lastEpoch === 0) return lr * startFactor;
      if (isInitial || lastEpoch > totalIters) return lr;
      return lr * (1.0 + (endFactor - startFactor) / (totalIters * startFactor + (lastEpoch - 1) * (endFactor - startFactor)));
    },
    n,
  );

/** optax `linear_schedule` = `polynomial_schedule(power=1)` (optax/schedules/_schedule.py), in float64. */
function optaxLinear(init: number, end: number, transitionSteps: number, count: number): number {
  const c = Math.min(Math.max(count, 0), transitionSteps);
  return (init - end) * (1 - c / transitionSteps) + end;
}

describe('linearWarmup', () => {
  it('hand-worked: 0 → 0.1 over 10 steps', () => {
    const s = linearWarmup({ peak: 0.1, warmupSteps: 10 });
    expect(s(0)).toBe(0);
    expect(s(3)).toBeCloseTo(0.03, 16);
    expect(s(10)).toBe(0.1);
    expect(s(1000)).toBe(0.1);
    expect(linearWarmup({ initial: 0.5, peak: 0.1, warmupSteps: 0 })(0)).toBe(0.1);
  });

  for (const [startFactor, endFactor, totalIters] of [
    [1 / 3, 1, 5],
    [0.05, 1, 40],
    [1, 0.1, 12],
    [0.25, 0.75, 1],
  ] as const) {
    it(`is PyTorch's LinearLR(start_factor ${startFactor.toFixed(3)}, end_factor ${endFactor}, total_iters ${totalIters}) step for step`, () => {
      const lr = 0.05;
      const s = linearWarmup({ initial: lr * startFactor, peak: lr * endFactor, warmupSteps: totalIters });
      const n = totalIters + 10;
      expectValues(valuesOf(s, n), torchLinearLr(lr, startFactor, endFactor, totalIters, n));
    });
  }

  it("from 0 matches optax's linear_schedule", () => {
    expectValues(
      valuesOf(linearWarmup({ peak: 0.3, warmupSteps: 17 }), 30),
      Array.from({ length: 30 }, (_, t) => optaxLinear(0, 0.3, 17, t)),
    );
  });

  it('bad options → HyperParameterError naming the field', () => {
    expectHyperError(() => linearWarmup({ initial: -0.1, peak: 0.1, warmupSteps: 10 }), 'initial');
    expectHyperError(() => linearWarmup({ peak: Number.NaN, warmupSteps: 10 }), 'peak', /finite/);
    expectHyperError(() => linearWarmup({ peak: -1, warmupSteps: 10 }), 'peak');
    expectHyperError(() => linearWarmup({ peak: 0.1, warmupSteps: -1 }), 'warmupSteps', /integer ≥ 0/);
    expectHyperError(() => linearWarmup({ peak: 0.1, warmupSteps: 2.5 }), 'warmupSteps');
  });
});
