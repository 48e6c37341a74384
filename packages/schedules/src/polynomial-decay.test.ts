import { describe, expect, it } from 'vitest';
import { polynomialDecay } from './polynomial-decay.js';
import { expectHyperError, expectValues, torchLrs, valuesOf } from './test-utils.js';

/** torch/optim/lr_scheduler.py, PolynomialLR.get_lr (the chainable form), transcribed in float64. */
const torchPolynomialLr = (baseLr: number, totalIters: number, power: number, n: number) =>
  torchLrs(
    baseLr,
    ({ lastEpoch, lr, isInitial }) => {
      if (isInitial || lastEpoch > totalIters) return lr;
      const decayFactor = ((1.0 - lastEpoch / totalIters) / (1.0 - (lastEpoch - 1) / totalIters)) ** power;
      return lr * decayFactor;
    },
    n,
  );

/** optax `polynomial_schedule` (optax/schedules/_schedule.py; transition_begin 0), in float64. */
function optaxPolynomial(init: number, end: number, power: number, transitionSteps: number, count: number): number {
  const c = Math.min(Math.max(count, 0), transitionSteps);
  const frac = 1 - c / transitionSteps;
  return (init - end) * frac ** power + end;
}

describe('polynomialDecay', () => {
  it('hand-worked numbers', () => {
    expect(polynomialDecay({ initial: 0.1, decaySteps: 100, power: 2 })(50)).toBeCloseTo(0.025, 16);
    expect(polynomialDecay({ initial: 0.1, final: 0.01, decaySteps: 10 })(5)).toBeCloseTo(0.055, 16);
    expect(polynomialDecay({ initial: 0.1, final: 0.01, decaySteps: 10 })(10)).toBe(0.01);
    expect(polynomialDecay({ initial: 0.1, final: 0.01, decaySteps: 10 })(1000)).toBe(0.01);
  });

  for (const [totalIters, power] of [
    [5, 1],
    [50, 0.9],
    [20, 2],
    [1, 3],
  ] as const) {
    it(`final 0 matches PyTorch's PolynomialLR recursion (total_iters ${totalIters}, power ${power}), past the end too`, () => {
      const n = totalIters + 10;
      expectValues(valuesOf(polynomialDecay({ initial: 0.05, decaySteps: totalIters, power }), n), torchPolynomialLr(0.05, totalIters, power, n), {
        atol: 1e-18,
      });
    });
  }

  for (const [init, end, power] of [
    [0.1, 0.001, 1],
    [0.1, 0.001, 0.5],
    [0, 0.2, 1],
  ] as const) {
    it(`matches optax's polynomial_schedule (init ${init}, end ${end}, power ${power})`, () => {
      const s = polynomialDecay({ initial: init, final: end, decaySteps: 30, power });
      expectValues(
        valuesOf(s, 40),
        Array.from({ length: 40 }, (_, t) => optaxPolynomial(init, end, power, 30, t)),
      );
    });
  }

  it('bad options → HyperParameterError naming the field', () => {
    expectHyperError(() => polynomialDecay({ initial: -0.1, decaySteps: 10 }), 'initial');
    expectHyperError(() => polynomialDecay({ initial: 0.1, final: -1, decaySteps: 10 }), 'final');
    expectHyperError(() => polynomialDecay({ initial: 0.1, decaySteps: 0 }), 'decaySteps', /decaySteps must be an integer ≥ 1/);
    expectHyperError(() => polynomialDecay({ initial: 0.1, decaySteps: undefined as never }), 'decaySteps', /must be a number/);
    expectHyperError(() => polynomialDecay({ initial: 0.1, decaySteps: 10, power: 0 }), 'power', /power must be in \(0, ∞\)/);
    expectHyperError(() => polynomialDecay({ initial: 0.1, decaySteps: 10, power: Number.NaN }), 'power');
  });
});
