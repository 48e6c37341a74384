import { describe, expect, it } from 'vitest';
import { stepDecay } from './step-decay.js';
import { expectHyperError, expectValues, torchLrs, valuesOf } from './test-utils.js';

/** torch/optim/lr_scheduler.py, StepLR.get_lr (the chainable form), transcribed in float64. */
const torchStepLr = (baseLr: number, stepSize: number, gamma: number, n: number) =>
  torchLrs(baseLr, ({ lastEpoch, lr }) => (lastEpoch === 0 || lastEpoch % stepSize !== 0 ? lr : lr * gamma), n);

describe('stepDecay (PyTorch StepLR)', () => {
  it("PyTorch's docstring example: 0.05 below step 30, 0.005 from 30, 0.0005 from 60", () => {
    const s = stepDecay({ initial: 0.05, stepSize: 30, gamma: 0.1 });
    expect([s(0), s(29)]).toEqual([0.05, 0.05]);
    expect(s(30)).toBeCloseTo(0.005, 16);
    expect(s(59)).toBeCloseTo(0.005, 16);
    expect(s(60)).toBeCloseTo(0.0005, 17);
  });

  for (const [stepSize, gamma] of [
    [30, 0.1],
    [1, 0.95],
    [4, 0.5],
    [3, 1.5],
  ] as const) {
    it(`matches StepLR's recursion over 150 steps (step_size ${stepSize}, gamma ${gamma})`, () => {
      expectValues(valuesOf(stepDecay({ initial: 0.05, stepSize, gamma }), 150), torchStepLr(0.05, stepSize, gamma, 150));
    });
  }

  it("gamma defaults to PyTorch's 0.1", () => {
    expectValues(valuesOf(stepDecay({ initial: 1, stepSize: 2 }), 10), torchStepLr(1, 2, 0.1, 10));
  });

  it('bad options → HyperParameterError naming the field', () => {
    expectHyperError(() => stepDecay({ initial: -1, stepSize: 3 }), 'initial');
    expectHyperError(() => stepDecay({ initial: 0.1, stepSize: 0 }), 'stepSize', /stepSize must be an integer ≥ 1/);
    expectHyperError(() => stepDecay({ initial: 0.1, stepSize: 2.5 }), 'stepSize');
    expectHyperError(() => stepDecay({ initial: 0.1, stepSize: Number.NaN }), 'stepSize', /finite/);
    expectHyperError(() => stepDecay({ initial: 0.1, stepSize: 3, gamma: 0 }), 'gamma');
    expectHyperError(() => stepDecay({ initial: 0.1, stepSize: 3, gamma: Number.POSITIVE_INFINITY }), 'gamma');
  });
});
