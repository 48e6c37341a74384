// The doctor's report.json (browser-safe: the playground offers the same file): the verdict, the
// findings, the baseline and every remedy's outcome, the settings, every monitor report. report.html
// and the files are in doctor-report-html.ts (Node: it builds on the lab's report.ts).
import { toJSON } from '@gradkit/diagnostics';
import { recommendationText } from './doctor-table.js';
import type { DoctorRun, ModelSummary } from './run-doctor.js';

/** report.json's `format`: what marks a file as a doctor report that a later run may replace. */
export const DOCTOR_REPORT_FORMAT = 'gradient-lab-doctor-report';

/** report.html's generator tag, for the same purpose. */
export const DOCTOR_REPORT_GENERATOR = '<meta name="generator" content="gradient-lab doctor">';

/** What a report says besides the run: how it was made, on what. */
export interface DoctorReportContext {
  /** The command line. */
  readonly command: string;
  /** Backend line, e.g. `wasm (SIMD, 1 thread)`. */
  readonly backend: string;
  /** The model file, its summary and whether it was saved with its training config. */
  readonly model: ModelSummary & { readonly source: string; readonly hasTrainingConfig: boolean };
  /** The data file and what was read from it. */
  readonly data: { readonly source: string; readonly samples: number; readonly description: string };
  /** Wall-clock seconds in all. */
  readonly seconds: number;
}

/** report.json: `verdict`, `findings`, `baseline: { finalLoss, … }`, `remedies: [{ name, applied, verdict, finalLoss, … }]`, the settings and every monitor report. */
export function doctorReportJson(run: DoctorRun, context: DoctorReportContext): string {
  const { diagnosis: d, trial: t } = run;
  const actions = new Map(d.remedies.map((a) => [a.name, a]));
  const tried = new Set(t.remedies.map((r) => r.name));
  const notApplicable = d.remedies.filter((a) => !a.applicable && !tried.has(a.name));
  const doc = {
    format: DOCTOR_REPORT_FORMAT,
    version: 1,
    command: context.command,
    backend: context.backend,
    seconds: context.seconds,
    model: context.model,
    data: context.data,
    settings: run.settings,
    ...(run.lossNote ? { lossNote: run.lossNote } : {}),
    verdict: d.verdict,
    findings: d.findings,
    spikes: d.spikes,
    curvature: d.curvature ?? null,
    baseline: { ...t.baseline, initialLoss: d.initialLoss, finalLoss: d.finalLoss, losses: d.losses },
    remedies: [
      ...t.remedies.map((r) => ({ ...r, params: actions.get(r.name)?.params ?? {} })),
      ...notApplicable.map((a) => ({ name: a.name, title: a.title, applied: false, whyNot: a.whyNot, code: a.code, params: a.params })),
    ],
    recommended: t.recommended?.name ?? null,
    recommendation: recommendationText(t),
    // The diagnostics' own JSON of the baseline's monitor reports (readable with fromJSON).
    diagnostics: d.reports.length > 0 ? (JSON.parse(toJSON({ title: 'baseline', configs: [{ name: 'baseline', reports: d.reports }] })) as unknown) : null,
  };
  // JSON has no NaN or Infinity: tagged as { $nonFinite: 'NaN' }, as every report of the lab.
  return JSON.stringify(doc, (_key, value) => (typeof value === 'number' && !Number.isFinite(value) ? { $nonFinite: String(value) } : value), 2);
}
