// One verdict and one set of ratios for a whole run, from the monitor's reports over training.
import type { GradientReport, Verdict } from '@gradkit/diagnostics';

/** A run's diagnosis, summarized over its reports. */
export interface RunSummary {
  /** The run's verdict (see `summarize`). */
  readonly verdict: Verdict;
  /** How many reports gave each verdict. */
  readonly verdictCounts: Readonly<Record<Verdict, number>>;
  /** The verdict at the first step (the diagnosis of the network as initialized). */
  readonly initialVerdict: Verdict | undefined;
  /** The verdict at the last report. */
  readonly finalVerdict: Verdict | undefined;
  /** Median over the reports of ‖g‖ of the first weight layer over ‖g‖ of the last. */
  readonly firstLastRatio: number | undefined;
  /** Median over the reports of ‖∂L/∂h‖ at the first tapped layer over the last (the logits). */
  readonly tapRatio: number | undefined;
  /** Whether the loss became NaN or ±Infinity (training stopped there). */
  readonly diverged: boolean;
}

/** Most severe first: the order in which ties between verdicts are broken. */
const SEVERITY: readonly Verdict[] = ['nonfinite', 'exploding', 'vanishing', 'healthy'];

/** The median of the finite numbers among `values`, or undefined when there is none. */
export function median(values: readonly (number | undefined)[]): number | undefined {
  const xs = values.filter((v): v is number => v !== undefined && Number.isFinite(v)).sort((a, b) => a - b);
  if (xs.length === 0) return undefined;
  const mid = xs.length >> 1;
  return xs.length % 2 === 1 ? (xs[mid] as number) : Math.sqrt((xs[mid - 1] as number) * (xs[mid] as number));
}

/** ‖∂L/∂h‖ of the first tap over the last, among the taps that have a gradient. */
export function tapRatioOf(report: GradientReport): number | undefined {
  const withGrad = report.activations.filter((a) => a.gradNorm !== undefined);
  if (withGrad.length < 2) return undefined;
  const first = withGrad[0]?.gradNorm as number;
  const last = withGrad[withGrad.length - 1]?.gradNorm as number;
  return last > 0 && Number.isFinite(first) && Number.isFinite(last) ? first / last : undefined;
}

/**
 * The verdict of a run: the verdict the reports give most often (ties go to the more severe one);
 * but a run whose gradients or loss became non-finite after reports said `exploding` is `exploding`
 * (the cause, not the symptom), and one that became non-finite without warning is `nonfinite`.
 */
export function summarize(reports: readonly GradientReport[], { diverged }: { readonly diverged: boolean }): RunSummary {
  const counts: Record<Verdict, number> = { healthy: 0, vanishing: 0, exploding: 0, nonfinite: 0 };
  for (const r of reports) counts[r.verdict]++;
  const firstNonFinite = reports.findIndex((r) => r.verdict === 'nonfinite');
  const explodedBefore = reports.slice(0, firstNonFinite < 0 ? reports.length : firstNonFinite).some((r) => r.verdict === 'exploding');
  let verdict: Verdict;
  if (diverged || firstNonFinite >= 0) verdict = explodedBefore ? 'exploding' : 'nonfinite';
  else {
    const best = Math.max(...Object.values(counts));
    verdict = SEVERITY.find((v) => counts[v] === best && best > 0) ?? 'healthy';
  }
  return {
    verdict,
    verdictCounts: counts,
    initialVerdict: reports[0]?.verdict,
    finalVerdict: reports[reports.length - 1]?.verdict,
    firstLastRatio: median(reports.map((r) => r.firstLastRatio)),
    tapRatio: median(reports.map(tapRatioOf)),
    diverged,
  };
}
