import type { ActivationReport, GradientReport, Verdict } from '@gradkit/diagnostics';
import { describe, expect, it } from 'vitest';
import { median, summarize, tapRatioOf } from './verdict.js';

/** A minimal report with a verdict, a first/last ratio and the ‖∂L/∂h‖ of its taps. */
function report(verdict: Verdict, firstLastRatio?: number, tapNorms: number[] = []): GradientReport {
  return {
    verdict,
    firstLastRatio,
    activations: tapNorms.map((gradNorm, i) => ({ name: `${i}.relu`, gradNorm }) as unknown as ActivationReport),
  } as unknown as GradientReport;
}

describe('summarize', () => {
  it('takes the verdict most reports give, ties going to the more severe one', () => {
    expect(summarize([report('vanishing'), report('vanishing'), report('healthy')], { diverged: false }).verdict).toBe('vanishing');
    expect(summarize([report('healthy'), report('exploding'), report('healthy')], { diverged: false }).verdict).toBe('healthy');
    expect(summarize([report('healthy'), report('exploding')], { diverged: false }).verdict).toBe('exploding');
    expect(summarize([], { diverged: false }).verdict).toBe('healthy');
  });

  it('calls a run that turned non-finite after exploding reports exploding (the cause), else nonfinite', () => {
    const exploded = summarize([report('healthy'), report('exploding'), report('nonfinite'), report('nonfinite'), report('nonfinite')], { diverged: true });
    expect(exploded.verdict).toBe('exploding');
    expect(exploded.verdictCounts).toEqual({ healthy: 1, vanishing: 0, exploding: 1, nonfinite: 3 });
    expect(exploded.initialVerdict).toBe('healthy');
    expect(exploded.finalVerdict).toBe('nonfinite');
    expect(summarize([report('healthy'), report('nonfinite'), report('exploding')], { diverged: false }).verdict).toBe('nonfinite');
    expect(summarize([report('healthy'), report('healthy')], { diverged: true }).verdict).toBe('nonfinite');
  });

  it('reports the median ratios over the reports, ignoring undefined and non-finite ones', () => {
    const s = summarize([report('healthy', 1, [4, 2]), report('healthy', 3, [1, 1]), report('healthy', Number.NaN, [8, 1]), report('healthy', undefined)], {
      diverged: false,
    });
    expect(s.firstLastRatio).toBe(Math.sqrt(3)); // even count: geometric mean of the middle two
    expect(s.tapRatio).toBe(2); // ratios 2, 1, 8 → 2
    expect(median([undefined, Number.POSITIVE_INFINITY])).toBeUndefined();
    expect(median([5, 1, 3])).toBe(3);
  });

  it('tapRatioOf divides the first tap gradient by the last, and needs two taps with gradients', () => {
    expect(tapRatioOf(report('healthy', 1, [1e-6, 5, 2]))).toBeCloseTo(5e-7, 12);
    expect(tapRatioOf(report('healthy', 1, [3]))).toBeUndefined();
    expect(tapRatioOf(report('healthy', 1, [3, 0]))).toBeUndefined();
  });
});
