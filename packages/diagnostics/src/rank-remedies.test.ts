import { describe, expect, it } from 'vitest';
import type { RemedyOutcome } from './doctor-types.js';
import { rankRemedies, verdictSeverity } from './rank-remedies.js';

const outcome = (name: string, finalLoss: number | undefined, verdict: RemedyOutcome['verdict'] = 'vanishing', applied = true): RemedyOutcome => ({
  name,
  title: name,
  applied,
  code: '',
  ...(applied ? { verdict, finalLoss, findings: verdict === 'healthy' ? [] : ['vanishing'] } : { whyNot: 'not here' }),
});
const baseline = outcome('baseline', 2, 'vanishing');
const names = (o: readonly RemedyOutcome[]) => o.map((r) => r.name);

describe('rankRemedies', () => {
  it('puts applied finite outcomes first, healthy before not, then the final loss ascending; ties stable', () => {
    const { remedies } = rankRemedies(baseline, [
      outcome('na', undefined, undefined, false),
      outcome('nan', Number.NaN, 'nonfinite'),
      outcome('vanishing-low', 0.5),
      outcome('healthy-high', 1.5, 'healthy'),
      outcome('healthy-low', 1, 'healthy'),
      outcome('tie-a', 0.7),
      outcome('tie-b', 0.7),
    ]);
    expect(names(remedies)).toEqual(['healthy-low', 'healthy-high', 'vanishing-low', 'tie-a', 'tie-b', 'nan', 'na']);
    expect(remedies.map((r) => r.rank)).toEqual([1, 2, 3, 4, 5, 6, undefined]);
    // improvement = baseline / finalLoss: 2 / 1, 2 / 1.5 …; none for NaN or not applied.
    expect(remedies.map((r) => r.improvement)).toEqual([2, 2 / 1.5, 4, 2 / 0.7, 2 / 0.7, undefined, undefined]);
  });

  it('recommends the best only when its loss is at most 0.9 × the baseline and its verdict not worse', () => {
    expect(rankRemedies(baseline, [outcome('a', 1.8)]).recommended?.name).toBe('a'); // 1.8 = 0.9 × 2
    expect(rankRemedies(baseline, [outcome('a', 1.81)]).recommended).toBeUndefined();
    expect(rankRemedies(baseline, [outcome('a', 1, 'exploding')]).recommended?.name).toBe('a'); // as bad, not worse
    expect(rankRemedies(baseline, [outcome('a', 1, 'nonfinite')]).recommended).toBeUndefined();
    const healthyBase = { ...outcome('baseline', 2, 'healthy') };
    expect(rankRemedies(healthyBase, [outcome('a', 0.1, 'vanishing')]).recommended).toBeUndefined(); // worse verdict
  });

  it('recommends nothing for a healthy baseline without findings, and when nothing was applied', () => {
    expect(rankRemedies(outcome('baseline', 2, 'healthy'), [outcome('a', 0.1, 'healthy')]).recommended).toBeUndefined();
    expect(rankRemedies(baseline, [outcome('na', undefined, undefined, false)]).recommended).toBeUndefined();
    expect(rankRemedies(baseline, []).remedies).toEqual([]);
  });

  it('takes any finite loss as an improvement over a baseline that went non-finite', () => {
    const nanBase = outcome('baseline', Number.NaN, 'nonfinite');
    const r = rankRemedies(nanBase, [outcome('a', 3, 'exploding')]);
    expect(r.recommended?.name).toBe('a');
    expect(r.remedies[0]?.improvement).toBeUndefined();
  });

  it('orders the verdicts by severity', () => {
    expect([
      verdictSeverity('healthy'),
      verdictSeverity('vanishing'),
      verdictSeverity('exploding'),
      verdictSeverity('nonfinite'),
      verdictSeverity(undefined),
    ]).toEqual([0, 1, 1, 2, 2]);
  });
});
