// A probe fit that learned nothing: its final loss is no better than the best constant prediction
// (the label frequencies for a cross-entropy, the mean target for a squared error). Gradients can
// decay too little for the vanishing rule (first/last below 1e-3, calibrated on the lab's 10 × 64
// MNIST nets) and still too much to learn from: 8 sigmoid layers of 10 units on iris, stuck at
// ln 3 with a first/last ratio of 1e-3 to 2e-3. A fit that made no progress and whose gradient decays
// by 100× or more from the last weight layer to the first is called vanishing.
import { fmt } from './format-number.js';
import type { Finding, GradientReport, Verdict } from './report.js';
import { sortFindings } from './rules.js';

/** Final loss at or above this fraction of the constant prediction's: no progress. */
export const NO_PROGRESS_FRACTION = 0.98;
/** With no progress, a median first/last gradient ratio below this names the cause: vanishing. */
export const STALLED_VANISHING_RATIO = 1e-2;

/** The tfjs-layers losses whose best constant prediction is the mean of the targets (one-hot, 0/1 or real). */
export const MEAN_PREDICTED_LOSSES: ReadonlySet<string> = new Set([
  'categoricalCrossentropy',
  'binaryCrossentropy',
  'meanSquaredError',
  'mse',
  'categorical_crossentropy',
  'binary_crossentropy',
  'mean_squared_error',
]);

/** A loss with 4 significant digits: the comparison with the constant prediction is in the third. */
const lossText = (x: number) => x.toPrecision(4);

/** The lower middle of `xs` (NaN when empty). */
const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : (s[Math.floor((s.length - 1) / 2)] as number);
};

/**
 * The verdict and findings of a fit with the no-progress rule: when `finalLoss` ≥ 0.98 ×
 * `constantLoss` and the gradient decays (the later half of the reports' median first/last ratio
 * below 1e-2), a `noProgress` warning and, if the verdict was healthy, the verdict `vanishing` with
 * its finding. A fit that made no progress without that decay is left as it is: a short budget, a
 * small rate or a hard task explain it as well, and none of them is a gradient problem. Unchanged
 * when `constantLoss` is undefined or not a positive finite number.
 */
export function withNoProgress(
  fit: { readonly verdict: Verdict; readonly findings: readonly Finding[] },
  reports: readonly GradientReport[],
  finalLoss: number,
  constantLoss: number | undefined,
  steps: number,
): { verdict: Verdict; findings: Finding[] } {
  const same = { verdict: fit.verdict, findings: [...fit.findings] };
  if (constantLoss === undefined || !(constantLoss > 0) || !Number.isFinite(constantLoss) || !Number.isFinite(finalLoss)) return same;
  if (finalLoss < NO_PROGRESS_FRACTION * constantLoss || fit.verdict === 'nonfinite') return same;
  const later = reports.slice(Math.floor(reports.length / 2));
  const ratio = median(later.flatMap((r) => (r.firstLastRatio !== undefined && Number.isFinite(r.firstLastRatio) ? [r.firstLastRatio] : [])));
  const last = reports.at(-1);
  const noProgress: Finding = {
    kind: 'noProgress',
    severity: 'warning',
    what: `after ${steps} steps the loss over the data is ${lossText(finalLoss)}, no better than predicting the mean target (the label frequencies for classes): ${lossText(constantLoss)}`,
    where: 'the model’s output',
    why: 'a model whose loss stays at the best constant prediction’s has learned nothing from its inputs yet: its output does not depend on them.',
    toTry: [],
  };
  if (!(ratio < STALLED_VANISHING_RATIO) || last === undefined) return same;
  if (fit.verdict !== 'healthy') return { verdict: fit.verdict, findings: sortFindings([...fit.findings, noProgress]) };
  const first = last.layers.find((l) => l.isWeight);
  const lastWeight = [...last.layers].reverse().find((l) => l.isWeight);
  const vanishing: Finding = {
    kind: 'vanishing',
    severity: 'error',
    what: `the loss made no progress (${lossText(finalLoss)} against ${lossText(constantLoss)} for a constant prediction) while the first weight layer gets a gradient ${fmt(ratio)}× the last one's (median over the later reports), below ${STALLED_VANISHING_RATIO}`,
    where: first && lastWeight ? `${first.name} … ${lastWeight.name}` : 'the weight layers',
    why: 'the layers near the input receive too little gradient to learn from, so the output stays what it was; with no progress at all a 100× decay is enough to stall a fit (Glorot & Bengio 2010; Hochreiter 1991).',
    toTry: [],
  };
  return { verdict: 'vanishing', findings: sortFindings([...fit.findings, vanishing, noProgress]) };
}
