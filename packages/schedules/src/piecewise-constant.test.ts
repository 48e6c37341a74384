import { describe, expect, it } from 'vitest';
import { piecewiseConstant } from './piecewise-constant.js';
import { expectHyperError, expectValues, torchLrs, valuesOf } from './test-utils.js';

/** torch/optim/lr_scheduler.py, MultiStepLR.get_lr (milestones is a Counter), transcribed in float64. */
function torchMultiStepLr(baseLr: number, milestones: number[], gamma: number, n: number): number[] {
  const counter = new Map<number, number>();
  for (const m of milestones) counter.set(m, (counter.get(m) ?? 0) + 1);
  return torchLrs(baseLr, ({ lastEpoch, lr }) => (counter.has(lastEpoch) ? lr * gamma ** (counter.get(lastEpoch) as number) : lr), n);
}

/** optax `piecewise_constant_schedule` (optax/schedules/_schedule.py), in float64. */
function optaxPiecewiseConstant(init: number, boundariesAndScales: [number, number][], count: number): number {
  let v = init;
  for (const [threshold, scale] of boundariesAndScales) {
    const indicator = Math.max(0, Math.sign(threshold - count));
    v = v * indicator + (1 - indicator) * scale * v;
  }
  return v;
}

describe('piecewiseConstant', () => {
  it('hand-worked: values[i] from boundaries[i-1] (inclusive)', () => {
    const s = piecewiseConstant({ boundaries: [100, 200], values: [0.1, 0.01, 0.001] });
    expect([s(0), s(99), s(100), s(199), s(200), s(10_000)]).toEqual([0.1, 0.1, 0.01, 0.01, 0.001, 0.001]);
    expect(piecewiseConstant({ boundaries: [], values: [0.3] })(7)).toBe(0.3);
  });

  it("matches PyTorch's MultiStepLR (milestones [30, 80], gamma 0.1) step for step", () => {
    const s = piecewiseConstant({ boundaries: [30, 80], values: [0.05, 0.05 * 0.1, 0.05 * 0.1 ** 2] });
    expectValues(valuesOf(s, 120), torchMultiStepLr(0.05, [30, 80], 0.1, 120));
  });

  it("matches optax's piecewise_constant_schedule", () => {
    const s = piecewiseConstant({ boundaries: [3, 10, 11], values: [1, 0.5, 0.5 * 4, 0.5 * 4 * 0.1] });
    expectValues(
      valuesOf(s, 20),
      Array.from({ length: 20 }, (_, t) =>
        optaxPiecewiseConstant(
          1,
          [
            [3, 0.5],
            [10, 4],
            [11, 0.1],
          ],
          t,
        ),
      ),
    );
  });

  it('bad options → HyperParameterError naming the field', () => {
    expectHyperError(() => piecewiseConstant({ boundaries: [100, 100], values: [1, 2, 3] }), 'boundaries', /strictly increasing/);
    expectHyperError(() => piecewiseConstant({ boundaries: [200, 100], values: [1, 2, 3] }), 'boundaries', /boundaries\[1\] = 100 follows/);
    expectHyperError(() => piecewiseConstant({ boundaries: [-1], values: [1, 2] }), 'boundaries', /boundaries\[0\] must be an integer ≥ 0/);
    expectHyperError(() => piecewiseConstant({ boundaries: [1.5], values: [1, 2] }), 'boundaries');
    expectHyperError(() => piecewiseConstant({ boundaries: [Number.NaN], values: [1, 2] }), 'boundaries');
    expectHyperError(() => piecewiseConstant({ boundaries: 5 as never, values: [1, 2] }), 'boundaries', /array/);
    expectHyperError(() => piecewiseConstant({ boundaries: [10], values: [1] }), 'values', /one more entry than boundaries \(2 for 1 boundaries\), got 1/);
    expectHyperError(() => piecewiseConstant({ boundaries: [10], values: [1, 2, 3] }), 'values');
    expectHyperError(() => piecewiseConstant({ boundaries: [10], values: [1, -2] }), 'values', /values\[1\]/);
    expectHyperError(() => piecewiseConstant({ boundaries: [10], values: [Number.NaN, 2] }), 'values', /values\[0\]: must be a finite number/);
    expectHyperError(() => piecewiseConstant({ boundaries: [10], values: 'ab' as never }), 'values');
  });
});
