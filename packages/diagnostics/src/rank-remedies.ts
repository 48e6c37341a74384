// The ranking of `tryRemedies`: which remedy did best on the same budget, and whether the best one
// improved enough over the untouched baseline to be recommended. Pure: outcomes in, ranks out.
import type { RemedyOutcome } from './doctor-types.js';
import type { Verdict } from './report.js';

/** A recommended remedy's final loss is at most this fraction of the baseline's (a 10% lower loss at least). */
export const RECOMMEND_FRACTION = 0.9;

/** How bad a verdict is: healthy 0, vanishing and exploding 1, nonfinite 2 (undefined, as for a fit that never ran: 2). */
export function verdictSeverity(verdict: Verdict | undefined): number {
  if (verdict === 'healthy') return 0;
  if (verdict === 'vanishing' || verdict === 'exploding') return 1;
  return 2;
}

const finite = (o: RemedyOutcome) => o.applied && o.finalLoss !== undefined && Number.isFinite(o.finalLoss);

/**
 * Ranks the outcomes: applied with a finite final loss first, then a healthy verdict before the
 * others, then the final loss ascending; ties keep their order. Applied outcomes get `rank` (1 =
 * best) and `improvement` = baseline finalLoss / finalLoss (where both are finite and > 0); those
 * not applied come last, unranked. `recommended` is the first ranked one when its final loss is at
 * most 0.9 × the baseline's (any finite loss beats a non-finite baseline) and its verdict is not
 * worse (`verdictSeverity`), never when the baseline is healthy without findings.
 *
 * @example
 * ```ts
 * const { remedies, recommended } = rankRemedies(baseline, outcomes);
 * ```
 */
export function rankRemedies(baseline: RemedyOutcome, outcomes: readonly RemedyOutcome[]): { remedies: RemedyOutcome[]; recommended?: RemedyOutcome } {
  const key = (o: RemedyOutcome): [number, number, number] => [
    finite(o) ? 0 : o.applied ? 1 : 2,
    o.verdict === 'healthy' ? 0 : 1,
    finite(o) ? (o.finalLoss as number) : 0,
  ];
  const order = outcomes
    .map((o, i) => ({ o, i, k: key(o) }))
    .sort((a, b) => a.k[0] - b.k[0] || a.k[1] - b.k[1] || a.k[2] - b.k[2] || a.i - b.i)
    .map((e) => e.o);
  const base = baseline.finalLoss;
  let rank = 0;
  const remedies = order.map((o): RemedyOutcome => {
    if (!o.applied) return o;
    rank += 1;
    const ratio = base !== undefined && o.finalLoss !== undefined && o.finalLoss > 0 ? base / o.finalLoss : Number.NaN;
    return { ...o, rank, ...(Number.isFinite(ratio) ? { improvement: ratio } : {}) };
  });
  const best = remedies[0];
  const healthyBaseline = baseline.verdict === 'healthy' && (baseline.findings ?? []).length === 0;
  if (best === undefined || healthyBaseline || !finite(best)) return { remedies };
  const lower = base === undefined || !Number.isFinite(base) || (best.finalLoss as number) <= RECOMMEND_FRACTION * base;
  const notWorse = verdictSeverity(best.verdict) <= verdictSeverity(baseline.verdict);
  return lower && notWorse ? { remedies, recommended: best } : { remedies };
}
