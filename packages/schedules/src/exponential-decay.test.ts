import { describe, expect, it } from 'vitest';
import { exponentialDecay } from './exponential-decay.js';
import { expectHyperError, expectValues, torchLrs, valuesOf } from './test-utils.js';

/** optax `exponential_decay` (optax/schedules/_schedule.py; transition_begin 0, no end_value), in float64. */
function optaxExponentialDecay(init: number, transitionSteps: number, decayRate: number, staircase: boolean, count: number): number {
  let p = count / transitionSteps;
  if (staircase) p = Math.floor(p);
  return count <= 0 ? init : init * decayRate ** p;
}

describe('exponentialDecay', () => {
  it('hand-worked: η = 0.1, γ = 0.5, s = 100 → 0.05 at step 100, 0.1·0.5^0.5 at step 50', () => {
    const s = exponentialDecay({ initial: 0.1, gamma: 0.5, decaySteps: 100 });
    expect(s(0)).toBe(0.1);
    expect(s(100)).toBe(0.05);
    expect(s(50)).toBeCloseTo(0.07071067811865475, 15);
  });

  it("decaySteps 1 matches PyTorch's ExponentialLR recursion over 200 steps", () => {
    // torch/optim/lr_scheduler.py, ExponentialLR.get_lr: lr if _is_initial else lr * gamma.
    const expected = torchLrs(0.1, ({ lr, isInitial }) => (isInitial ? lr : lr * 0.97), 200);
    expectValues(valuesOf(exponentialDecay({ initial: 0.1, gamma: 0.97 }), 200), expected);
  });

  it("staircase matches PyTorch's StepLR recursion (step_size = decaySteps)", () => {
    // torch/optim/lr_scheduler.py, StepLR.get_lr.
    const expected = torchLrs(0.5, ({ lastEpoch, lr }) => (lastEpoch === 0 || lastEpoch % 7 !== 0 ? lr : lr * 0.8), 100);
    expectValues(valuesOf(exponentialDecay({ initial: 0.5, gamma: 0.8, decaySteps: 7, staircase: true }), 100), expected);
  });

  for (const staircase of [false, true]) {
    it(`matches optax's exponential_decay (transition_steps 10, staircase ${staircase})`, () => {
      const expected = Array.from({ length: 80 }, (_, t) => optaxExponentialDecay(0.3, 10, 0.6, staircase, t));
      expectValues(valuesOf(exponentialDecay({ initial: 0.3, gamma: 0.6, decaySteps: 10, staircase }), 80), expected);
    });
  }

  it('γ > 1 grows (a learning-rate range test) and names gamma once it overflows', () => {
    const s = exponentialDecay({ initial: 1e-6, gamma: 10 });
    expect(s(6)).toBeCloseTo(1, 12);
    expectHyperError(() => s(400), 'gamma', /exponentialDecay: the value at step 400 is Infinity/);
  });

  it('bad options → HyperParameterError naming the field', () => {
    expectHyperError(() => exponentialDecay({ initial: -0.1, gamma: 0.9 }), 'initial');
    expectHyperError(() => exponentialDecay({ initial: 0.1, gamma: 0 }), 'gamma', /gamma must be in \(0, ∞\), got 0/);
    expectHyperError(() => exponentialDecay({ initial: 0.1, gamma: -0.9 }), 'gamma');
    expectHyperError(() => exponentialDecay({ initial: 0.1, gamma: Number.NaN }), 'gamma', /finite/);
    expectHyperError(() => exponentialDecay({ initial: 0.1, gamma: 0.9, decaySteps: 0 }), 'decaySteps');
    expectHyperError(() => exponentialDecay({ initial: 0.1, gamma: 0.9, decaySteps: -3 }), 'decaySteps');
    expectHyperError(() => exponentialDecay({ initial: 0.1, gamma: 0.9, staircase: 1 as never }), 'staircase');
  });
});
