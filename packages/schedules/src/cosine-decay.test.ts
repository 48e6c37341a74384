import { describe, expect, it } from 'vitest';
import { cosineDecay } from './cosine-decay.js';
import { expectHyperError, expectValues, torchLrs, valuesOf } from './test-utils.js';

const pyMod = (a: number, n: number) => ((a % n) + n) % n;

/** torch/optim/lr_scheduler.py, CosineAnnealingLR.get_lr (the chainable form, all branches), transcribed in float64. */
const torchCosineAnnealing = (baseLr: number, tMax: number, etaMin: number, n: number) =>
  torchLrs(
    baseLr,
    ({ lastEpoch, lr, isInitial }) => {
      if (isInitial) return lr;
      if (pyMod(lastEpoch - 1 - tMax, 2 * tMax) === 0) return lr + ((baseLr - etaMin) * (1 - Math.cos(Math.PI / tMax))) / 2;
      return ((1 + Math.cos((Math.PI * lastEpoch) / tMax)) / (1 + Math.cos((Math.PI * (lastEpoch - 1)) / tMax))) * (lr - etaMin) + etaMin;
    },
    n,
  );

/** optax `cosine_decay_schedule` (optax/schedules/_schedule.py; exponent 1), in float64. */
function optaxCosineDecay(init: number, decaySteps: number, alpha: number, count: number): number {
  const c = Math.min(count, decaySteps);
  const cosineDecay = 0.5 * (1 + Math.cos((Math.PI * c) / decaySteps));
  const decayed = (1 - alpha) * cosineDecay + alpha;
  return init * decayed;
}

describe('cosineDecay', () => {
  it('hand-worked: η = 1, T = 4 → 1, (1 + cos(π/4))/2, 0.5, …, 0', () => {
    const s = cosineDecay({ initial: 1, decaySteps: 4 });
    expect(s(0)).toBe(1);
    expect(s(1)).toBeCloseTo(0.8535533905932737, 15);
    expect(s(2)).toBeCloseTo(0.5, 15);
    expect(s(4)).toBe(0);
  });

  for (const [tMax, etaMin] of [
    [20, 0],
    [20, 0.001],
    [7, 0.01],
    [1, 0],
  ] as const) {
    it(`matches PyTorch's CosineAnnealingLR recursion over steps 0 … T_max (T_max ${tMax}, eta_min ${etaMin})`, () => {
      expectValues(valuesOf(cosineDecay({ initial: 0.1, decaySteps: tMax, final: etaMin }), tMax + 1), torchCosineAnnealing(0.1, tMax, etaMin, tMax + 1), {
        atol: 1e-17,
      });
    });
  }

  it('stays at final after decaySteps (where PyTorch’s cosine would rise again)', () => {
    const s = cosineDecay({ initial: 0.1, decaySteps: 10, final: 0.002 });
    const torch = torchCosineAnnealing(0.1, 10, 0.002, 21);
    for (let t = 10; t <= 20; t++) expect(s(t)).toBe(0.002);
    expect(torch[20] as number).toBeGreaterThan(0.09); // PyTorch is back near the start by 2·T_max
  });

  it("matches optax's cosine_decay_schedule (alpha = final / initial), past the end too", () => {
    const s = cosineDecay({ initial: 0.2, decaySteps: 25, final: 0.02 });
    expectValues(
      valuesOf(s, 40),
      Array.from({ length: 40 }, (_, t) => optaxCosineDecay(0.2, 25, 0.1, t)),
    );
  });

  it('bad options → HyperParameterError naming the field', () => {
    expectHyperError(() => cosineDecay({ initial: -0.1, decaySteps: 10 }), 'initial');
    expectHyperError(() => cosineDecay({ initial: 0.1, decaySteps: 0 }), 'decaySteps', /decaySteps must be an integer ≥ 1 \(a number of steps\), got 0/);
    expectHyperError(() => cosineDecay({ initial: 0.1, decaySteps: -5 }), 'decaySteps');
    expectHyperError(() => cosineDecay({ initial: 0.1, decaySteps: 10.5 }), 'decaySteps');
    expectHyperError(() => cosineDecay({ initial: 0.1, decaySteps: 10, final: Number.NaN }), 'final', /finite/);
    expectHyperError(() => cosineDecay({ initial: 0.1, decaySteps: 10, final: -0.1 }), 'final');
  });
});
