import { describe, expect, it } from 'vitest';
import { expectHyperError, expectValues, valuesOf } from './test-utils.js';
import { warmupCosineDecay } from './warmup-cosine-decay.js';

/**
 * optax `warmup_cosine_decay_schedule` (optax/schedules/_schedule.py; exponent 1), with the
 * `linear_schedule`, `cosine_decay_schedule` and `join_schedules` it is built from, in float64.
 */
function optaxWarmupCosineDecay(init: number, peak: number, warmupSteps: number, decaySteps: number, end: number): (step: number) => number {
  const alpha = peak === 0 ? 0 : end / peak;
  const linear = (count: number) => {
    if (warmupSteps <= 0) return init; // polynomial_schedule: "transition_steps <= 0 … constant schedule"
    const c = Math.min(Math.max(count, 0), warmupSteps);
    return (init - peak) * (1 - c / warmupSteps) + peak;
  };
  const cosine = (count: number) => {
    const c = Math.min(count, decaySteps - warmupSteps);
    const cosineDecay = 0.5 * (1 + Math.cos((Math.PI * c) / (decaySteps - warmupSteps)));
    return peak * ((1 - alpha) * cosineDecay + alpha);
  };
  const schedules = [linear, cosine];
  const boundaries = [warmupSteps];
  return (step) => {
    let output = (schedules[0] as (s: number) => number)(step);
    boundaries.forEach((boundary, i) => {
      output = step < boundary ? output : (schedules[i + 1] as (s: number) => number)(step - boundary);
    });
    return output;
  };
}

describe('warmupCosineDecay', () => {
  it('hand-worked: 0 → 1 over 4 steps, then a half cosine over 4 more (decaySteps 8 includes the warmup)', () => {
    const s = warmupCosineDecay({ peak: 1, warmupSteps: 4, decaySteps: 8 });
    expect(valuesOf(s, 5)).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(s(6)).toBeCloseTo(0.5, 15);
    expect(s(8)).toBe(0);
    expect(s(100)).toBe(0);
  });

  for (const [init, peak, warmupSteps, decaySteps, end] of [
    [0, 1e-3, 10, 50, 0],
    [1e-4, 1e-3, 5, 30, 1e-5],
    [0, 0.1, 0, 20, 0.001],
    [0.05, 0.1, 1, 2, 0],
  ] as const) {
    it(`matches optax's warmup_cosine_decay_schedule(${init}, ${peak}, ${warmupSteps}, ${decaySteps}, ${end}), past the end too`, () => {
      const s = warmupCosineDecay({ initial: init, peak, warmupSteps, decaySteps, final: end });
      const reference = optaxWarmupCosineDecay(init, peak, warmupSteps, decaySteps, end);
      const n = decaySteps + 10;
      expectValues(
        valuesOf(s, n),
        Array.from({ length: n }, (_, t) => reference(t)),
        { atol: 1e-18 },
      );
    });
  }

  it('bad options → HyperParameterError naming the field', () => {
    expectHyperError(() => warmupCosineDecay({ peak: 0.1, warmupSteps: 10, decaySteps: 10 }), 'decaySteps', /decaySteps counts the warmup too/);
    expectHyperError(() => warmupCosineDecay({ peak: 0.1, warmupSteps: 10, decaySteps: 5 }), 'decaySteps', /greater than warmupSteps \(10\), got 5/);
    expectHyperError(() => warmupCosineDecay({ peak: 0, warmupSteps: 1, decaySteps: 5 }), 'peak', /peak must be in \(0, ∞\)/);
    expectHyperError(() => warmupCosineDecay({ initial: -1, peak: 0.1, warmupSteps: 1, decaySteps: 5 }), 'initial');
    expectHyperError(() => warmupCosineDecay({ peak: 0.1, warmupSteps: -1, decaySteps: 5 }), 'warmupSteps');
    expectHyperError(() => warmupCosineDecay({ peak: 0.1, warmupSteps: 1, decaySteps: 0 }), 'decaySteps');
    expectHyperError(() => warmupCosineDecay({ peak: 0.1, warmupSteps: 1, decaySteps: 5, final: Number.NaN }), 'final');
  });
});
