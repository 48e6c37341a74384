import { describe, expect, it } from 'vitest';
import { inverseTimeDecay } from './inverse-time-decay.js';
import { expectHyperError, expectValues, torchLrs, valuesOf } from './test-utils.js';

/** Keras `InverseTimeDecay.__call__` (keras/src/optimizers/schedules/learning_rate_schedule.py), in float64. */
function kerasInverseTimeDecay(initial: number, decaySteps: number, decayRate: number, staircase: boolean, step: number): number {
  let p = step / decaySteps;
  if (staircase) p = Math.floor(p);
  const denom = 1 + decayRate * p;
  return initial / denom;
}

describe('inverseTimeDecay', () => {
  it('hand-worked: η = 0.1, ε = 0.5, s = 10', () => {
    const s = inverseTimeDecay({ initial: 0.1, decayRate: 0.5, decaySteps: 10 });
    expect(s(0)).toBe(0.1);
    expect(s(20)).toBeCloseTo(0.05, 15); // 0.1 / (1 + 0.5·2)
    const stairs = inverseTimeDecay({ initial: 0.1, decayRate: 0.5, decaySteps: 10, staircase: true });
    expect(stairs(19)).toBeCloseTo(0.1 / 1.5, 15);
    expect(stairs(9)).toBe(0.1);
  });

  for (const [decaySteps, decayRate, staircase] of [
    [1, 0.01, false],
    [7, 0.3, false],
    [7, 0.3, true],
    [1, 0, false],
  ] as const) {
    it(`matches Keras's InverseTimeDecay (decaySteps ${decaySteps}, decayRate ${decayRate}, staircase ${staircase})`, () => {
      const s = inverseTimeDecay({ initial: 0.2, decayRate, decaySteps, staircase });
      expectValues(
        valuesOf(s, 60),
        Array.from({ length: 60 }, (_, t) => kerasInverseTimeDecay(0.2, decaySteps, decayRate, staircase, t)),
      );
    });
  }

  it("matches PyTorch's LambdaLR(lambda t: 1 / (1 + ε t / s)) step for step", () => {
    // torch/optim/lr_scheduler.py, LambdaLR.get_lr: base_lr * lmbda(last_epoch).
    const lmbda = (t: number) => 1 / (1 + (0.05 * t) / 4);
    const expected = torchLrs(0.3, ({ lastEpoch }) => 0.3 * lmbda(lastEpoch), 50);
    expectValues(valuesOf(inverseTimeDecay({ initial: 0.3, decayRate: 0.05, decaySteps: 4 }), 50), expected);
  });

  it('bad options → HyperParameterError naming the field', () => {
    expectHyperError(() => inverseTimeDecay({ initial: -1, decayRate: 0.1 }), 'initial', /initial must be in \[0, ∞\)/);
    expectHyperError(() => inverseTimeDecay({ initial: Number.NaN, decayRate: 0.1 }), 'initial', /finite/);
    expectHyperError(() => inverseTimeDecay({ initial: 0.1, decayRate: -0.5 }), 'decayRate', /decayRate must be in \[0, ∞\)/);
    expectHyperError(() => inverseTimeDecay({ initial: 0.1, decayRate: 0.5, decaySteps: 0 }), 'decaySteps', /integer ≥ 1/);
    expectHyperError(() => inverseTimeDecay({ initial: 0.1, decayRate: 0.5, decaySteps: 2.5 }), 'decaySteps', /integer ≥ 1/);
    expectHyperError(() => inverseTimeDecay({ initial: 0.1, decayRate: 0.5, staircase: 'yes' as never }), 'staircase', /true or false/);
  });
});
