// The doctor's ranked table: the untouched baseline first, then every remedy tried in rank order, then
// the remedies that could not be applied to this model with why. Browser-safe (the playground shows
// the same rows).
import type { DoctorSettings, ModelDiagnosis, RemedyOutcome, RemedyTrial } from '@gradkit/diagnostics';
import { num, textTable } from '../table.js';

/** One row of the ranked table, as text cells. */
export interface DoctorTableRow {
  /** The remedy's name (`baseline` for the untouched model). */
  readonly name: string;
  /** rank, remedy, applied, verdict, final loss, ×improvement, note. */
  readonly cells: readonly string[];
  /** Whether this row is the recommended remedy. */
  readonly recommended: boolean;
}

/** The header of the ranked table. */
export const DOCTOR_TABLE_HEADER = ['rank', 'remedy', 'applied', 'verdict', 'final loss', '×improvement', 'note'] as const;

/** Which columns are numbers (right-aligned). */
const RIGHT = [true, false, false, false, true, true, false];

/** Ranked first, in rank order; then tried but not applied; ties keep the trial's order. */
function byRank(a: RemedyOutcome, b: RemedyOutcome): number {
  return (a.rank ?? Number.POSITIVE_INFINITY) - (b.rank ?? Number.POSITIVE_INFINITY);
}

/**
 * The rows of the ranked table: the baseline, the remedies tried (ranked: 1 is best), then those the
 * diagnosis offered that cannot be applied to this model (with why). Remedies left out by
 * `--remedies` are not listed.
 */
export function doctorTableRows(trial: RemedyTrial, diagnosis: ModelDiagnosis = trial.diagnosis): DoctorTableRow[] {
  const b = trial.baseline;
  const rows: DoctorTableRow[] = [
    { name: 'baseline', cells: ['–', 'baseline (the model as given)', '–', b.verdict ?? '–', num(b.finalLoss), '×1', ''], recommended: false },
  ];
  const tried = [...trial.remedies].sort(byRank);
  for (const r of tried) {
    const recommended = trial.recommended?.name === r.name;
    const note = r.applied ? (recommended ? '← recommended' : '') : `not applied: ${r.whyNot ?? 'no reason given'}`;
    rows.push({
      name: r.name,
      cells: [
        r.rank === undefined ? '–' : String(r.rank),
        r.name,
        r.applied ? 'yes' : 'no',
        r.applied ? (r.verdict ?? '–') : '–',
        r.applied ? num(r.finalLoss) : '–',
        r.applied && r.improvement !== undefined ? `×${num(r.improvement)}` : '–',
        note,
      ],
      recommended,
    });
  }
  const listed = new Set(tried.map((r) => r.name));
  for (const a of diagnosis.remedies)
    if (!a.applicable && !listed.has(a.name))
      rows.push({ name: a.name, cells: ['–', a.name, 'no', '–', '–', '–', `cannot apply: ${a.whyNot ?? 'no reason given'}`], recommended: false });
  return rows;
}

/** The ranked table for the terminal (see `doctorTableRows`). */
export function formatDoctorTable(trial: RemedyTrial, diagnosis: ModelDiagnosis = trial.diagnosis): string {
  return textTable(
    DOCTOR_TABLE_HEADER,
    doctorTableRows(trial, diagnosis).map((r) => r.cells),
    RIGHT,
  );
}

/** What to do, in one paragraph: the recommended remedy with its measured gain and code, or that nothing needs to change. */
export function recommendationText(trial: RemedyTrial): string {
  const r = trial.recommended;
  if (r === undefined) {
    const d = trial.diagnosis;
    if (d.verdict === 'healthy' && d.findings.length === 0) return 'nothing to change: the model trains healthily';
    const applied = trial.remedies.filter((x) => x.applied);
    return applied.length === 0
      ? `nothing to recommend: no remedy could be applied to this model (verdict ${d.verdict})`
      : `nothing to recommend: no remedy measurably improved the final loss (by 10% or more) over ${d.settings.budget} steps without a worse verdict`;
  }
  return [
    `recommended: ${r.name}: ${r.title}`,
    `  final loss ${num(r.finalLoss)} against the baseline's ${num(trial.baseline.finalLoss)} (×${num(r.improvement)}), verdict ${r.verdict ?? '–'}`,
    ...r.code.split('\n').map((line) => `  ${line}`),
  ].join('\n');
}

/**
 * The settings of the probe fits, one line each, with where each came from: `loss:
 * categoricalCrossentropy (inferred: the model was saved without its training config; …)`.
 */
export function settingsLines(settings: DoctorSettings, context: { readonly hasTrainingConfig?: boolean; readonly lossNote?: string } = {}): string[] {
  const { loss, optimizer } = settings;
  const lossFrom =
    loss.source === 'inferred'
      ? `inferred: ${context.hasTrainingConfig === false ? 'the model was saved without its training config; ' : ''}${loss.why ?? 'from the output layer'}`
      : loss.source === 'compiled'
        ? "as compiled: the model's training config"
        : (context.lossNote ?? 'as asked');
  const optimizerFrom =
    optimizer.source === 'compiled'
      ? "as compiled: the model's training config"
      : optimizer.source === 'option'
        ? 'as asked'
        : 'default: the model has no compiled optimizer; --optimizer and --lr choose another';
  return [
    `loss: ${loss.value} (${lossFrom})`,
    `optimizer: ${optimizer.value}, learning rate ${num(optimizer.learningRate)} (${optimizerFrom})`,
    `probe fit: ${settings.budget} steps of ${settings.batchSize} samples, a gradient report every ${settings.every === 1 ? 'step' : `${settings.every} steps`}, batch order seed ${settings.seed}`,
  ];
}

/** The verdict and the findings, short (what, where, why; the remedies are in the table), and the curvature when measured. */
export function findingLines(diagnosis: ModelDiagnosis): string[] {
  const lines = [`verdict: ${diagnosis.verdict.toUpperCase()}   loss ${num(diagnosis.initialLoss)} → ${num(diagnosis.finalLoss)} over the probe fit`];
  const c = diagnosis.curvature;
  if (c !== undefined)
    lines.push(
      `curvature: top Hessian eigenvalue λmax ≈ ${num(c.lambdaMax)} (${c.iterations} power iterations${c.converged ? '' : ', not converged'}); η·λmax/2 = ${num(c.eosRatio)}${
        diagnosis.settings.optimizer.value === 'sgd'
          ? ''
          : ` (the edge of stability, 1, is plain SGD's; ${diagnosis.settings.optimizer.value} rescales its steps)`
      }`,
    );
  if (diagnosis.findings.length === 0) lines.push('findings: none (no rule fired)');
  for (const f of diagnosis.findings) {
    lines.push(`${f.severity === 'error' ? '✗' : '!'} ${f.kind} at ${f.where}`);
    lines.push(`  seen: ${f.what}`);
    lines.push(`  why:  ${f.why}`);
  }
  return lines;
}
