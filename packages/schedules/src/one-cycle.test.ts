import { describe, expect, it } from 'vitest';
import { oneCycle } from './one-cycle.js';
import { expectHyperError, expectValues, valuesOf } from './test-utils.js';

/**
 * torch/optim/lr_scheduler.py, OneCycleLR: `__init__` (phases for three_phase=False, initial_lr,
 * max_lr, min_lr), `_annealing_cos` and `get_lr`, transcribed literally in float64. Python's
 * ZeroDivisionError is a thrown Error here.
 */
function torchOneCycleLr(maxLr: number, totalSteps: number, pctStart: number, divFactor: number, finalDivFactor: number) {
  const schedulePhases = [
    { end_step: pctStart * totalSteps - 1, start_lr: 'initial_lr', end_lr: 'max_lr' },
    { end_step: totalSteps - 1, start_lr: 'max_lr', end_lr: 'min_lr' },
  ] as const;
  const group: Record<string, number> = {};
  group.initial_lr = maxLr / divFactor;
  group.max_lr = maxLr;
  group.min_lr = group.initial_lr / finalDivFactor;
  const annealingCos = (start: number, end: number, pct: number) => {
    const cosOut = Math.cos(Math.PI * pct) + 1;
    return end + ((start - end) / 2.0) * cosOut;
  };
  return (stepNum: number): number => {
    if (stepNum > totalSteps) throw new Error(`Tried to step ${stepNum} times. The specified number of total steps is ${totalSteps}`);
    let startStep = 0.0;
    for (const [i, phase] of schedulePhases.entries()) {
      const endStep = phase.end_step;
      if (stepNum <= endStep || i === schedulePhases.length - 1) {
        if (endStep - startStep === 0) throw new Error('ZeroDivisionError: float division by zero');
        const pct = (stepNum - startStep) / (endStep - startStep);
        return annealingCos(group[phase.start_lr] as number, group[phase.end_lr] as number, pct);
      }
      startStep = phase.end_step;
    }
    throw new Error('unreachable');
  };
}

const CONFIGS: [number, number, number, number, number][] = [
  [0.1, 100, 0.3, 25, 1e4],
  [1, 37, 0.25, 10, 100],
  [0.01, 1000, 0.3, 25, 1e4],
  [0.5, 10, 0.05, 25, 1e4], // pct_start·total_steps < 1: the first phase is skipped
  [0.2, 20, 1, 25, 1e4], // warmup only
  [0.2, 20, 0, 5, 1e3], // no warmup
  [0.3, 1, 0.3, 25, 1e4],
];

describe('oneCycle (PyTorch OneCycleLR, cos, two phases)', () => {
  it('hand-worked: starts at max/div, peaks at max, ends at max/div/finalDiv', () => {
    const s = oneCycle({ maxValue: 0.1, totalSteps: 100 });
    expect(s(0)).toBeCloseTo(0.004, 17);
    expect(s(29)).toBeCloseTo(0.1, 16); // pct_start·total_steps − 1 = 29
    expect(s(99)).toBeCloseTo(4e-7, 20);
  });

  for (const [maxLr, totalSteps, pctStart, divFactor, finalDivFactor] of CONFIGS) {
    it(`matches OneCycleLR.get_lr over every step (max_lr ${maxLr}, total_steps ${totalSteps}, pct_start ${pctStart}, div ${divFactor}, final_div ${finalDivFactor})`, () => {
      const s = oneCycle({ maxValue: maxLr, totalSteps, pctStart, divFactor, finalDivFactor });
      const torch = torchOneCycleLr(maxLr, totalSteps, pctStart, divFactor, finalDivFactor);
      expectValues(
        valuesOf(s, totalSteps),
        Array.from({ length: totalSteps }, (_, t) => torch(t)),
        { atol: 1e-18 },
      );
    });
  }

  it('after the last step, keeps the value of step totalSteps − 1 (PyTorch raises past total_steps)', () => {
    const s = oneCycle({ maxValue: 0.1, totalSteps: 50 });
    for (const t of [50, 51, 10_000]) expect(s(t)).toBe(s(49));
    expect(() => torchOneCycleLr(0.1, 50, 0.3, 25, 1e4)(51)).toThrow(/Tried to step 51 times/);
  });

  it('where PyTorch divides by zero (pct_start·total_steps = 1), step 0 is maxValue and the rest follows PyTorch', () => {
    const s = oneCycle({ maxValue: 0.1, totalSteps: 10, pctStart: 0.1 });
    const torch = torchOneCycleLr(0.1, 10, 0.1, 25, 1e4);
    expect(() => torch(0)).toThrow(/ZeroDivisionError/);
    expect(s(0)).toBe(0.1);
    expectValues(
      Array.from({ length: 9 }, (_, i) => s(i + 1)),
      Array.from({ length: 9 }, (_, i) => torch(i + 1)),
      { atol: 1e-18 },
    );
  });

  it('bad options → HyperParameterError naming the field', () => {
    expectHyperError(() => oneCycle({ maxValue: 0, totalSteps: 10 }), 'maxValue', /maxValue must be in \(0, ∞\)/);
    expectHyperError(() => oneCycle({ maxValue: Number.NaN, totalSteps: 10 }), 'maxValue');
    expectHyperError(() => oneCycle({ maxValue: 0.1, totalSteps: 0 }), 'totalSteps', /integer ≥ 1/);
    expectHyperError(() => oneCycle({ maxValue: 0.1, totalSteps: 10.5 }), 'totalSteps');
    expectHyperError(() => oneCycle({ maxValue: 0.1, totalSteps: 10, pctStart: 1.1 }), 'pctStart', /pctStart must be in \[0, 1\]/);
    expectHyperError(() => oneCycle({ maxValue: 0.1, totalSteps: 10, pctStart: -0.1 }), 'pctStart');
    expectHyperError(() => oneCycle({ maxValue: 0.1, totalSteps: 10, divFactor: 0 }), 'divFactor');
    expectHyperError(() => oneCycle({ maxValue: 0.1, totalSteps: 10, finalDivFactor: -1 }), 'finalDivFactor');
  });
});
