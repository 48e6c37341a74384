// The doctor's report.html (the verdict, the findings with where and why, the settings, the ranked
// table, the recommendation, the loss curves of every trial, then the diagnostics' own page of the
// baseline's gradient reports) and the report files. Node: builds on the lab's report.ts. `--out`
// only ever replaces a previous doctor report.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { toHTML } from '@gradkit/diagnostics';
import { afterTitle, esc, htmlTable, lossChart, writeReportFiles } from '../report.js';
import { DoctorInputError } from './doctor-errors.js';
import { DOCTOR_REPORT_FORMAT, DOCTOR_REPORT_GENERATOR, type DoctorReportContext, doctorReportJson } from './doctor-report.js';
import { DOCTOR_TABLE_HEADER, doctorTableRows, recommendationText, settingsLines } from './doctor-table.js';
import type { DoctorRun } from './run-doctor.js';

/** The trials with their loss curves, baseline first, for the chart. */
function curves(run: DoctorRun) {
  const t = run.trial;
  const all = [{ ...t.baseline, name: 'baseline', losses: t.baseline.losses ?? run.diagnosis.losses }, ...t.remedies.filter((r) => r.applied)];
  return all.map((r) => ({ title: r.name, result: { lossCurve: (r.losses ?? []).map((loss, step) => ({ step, loss })) } }));
}

const badge = (verdict: string) => `<span class="verdict v-${esc(verdict)}">${esc(verdict)}</span>`;

/** report.html: the lab's section (verdict, model, data, settings, findings, ranked table, recommendation, loss curves) above the diagnostics' page of the baseline's reports. */
export function doctorReportHtml(run: DoctorRun, context: DoctorReportContext): string {
  const { diagnosis: d, trial: t } = run;
  const title = `gradient-lab doctor: ${context.model.name}`;
  const page = toHTML({ title, configs: [{ name: 'baseline (the model as given)', reports: d.reports }] }, { title });
  const rows = doctorTableRows(t);
  const findings = d.findings.map(
    (f) =>
      `<div class="finding ${f.severity}"><strong>${esc(f.kind)}</strong> at <code>${esc(f.where)}</code><br>${esc(f.what)}<br><span class="muted">why: ${esc(f.why)}</span></div>`,
  );
  const r = t.recommended;
  const recommendation =
    r === undefined
      ? `<p><strong>${esc(recommendationText(t))}</strong></p>`
      : `<p><strong>Recommended: ${esc(r.name)}</strong>: ${esc(r.title)}</p><pre style="white-space:pre-wrap">${esc(r.code)}</pre>`;
  const section = [
    '<section class="lab">',
    `<p class="muted">${esc(context.command)} · backend ${esc(context.backend)} · ${context.seconds.toFixed(1)} s in all</p>`,
    `<h2>Verdict ${badge(d.verdict)}</h2>`,
    '<ul>',
    `<li>model <code>${esc(context.model.source)}</code>: ${esc(context.model.name)}, ${context.model.layers.length} layers, ${context.model.params} parameters, input [${esc(context.model.inputShape.join(', '))}] → output [${esc(context.model.outputShape.join(', '))}]</li>`,
    `<li>data <code>${esc(context.data.source)}</code>: ${esc(context.data.description)}</li>`,
    ...settingsLines(run.settings, { hasTrainingConfig: context.model.hasTrainingConfig, ...(run.lossNote ? { lossNote: run.lossNote } : {}) }).map(
      (line) => `<li>${esc(line)}</li>`,
    ),
    '</ul>',
    '<h2>Findings</h2>',
    findings.length > 0 ? findings.join('\n') : '<p class="muted">None: no rule fired.</p>',
    '<h2>Remedies, ranked</h2>',
    // the remedy and note columns read as text: left-aligned (the diagnostics' tables right-align all but the first)
    '<style>.doctor-table td:nth-child(2),.doctor-table td:nth-child(7),.doctor-table th:nth-child(2),.doctor-table th:nth-child(7){text-align:left;white-space:normal}</style>',
    `<div class="doctor-table">${htmlTable(
      DOCTOR_TABLE_HEADER,
      rows.map((row) => row.cells),
    )}</div>`,
    recommendation,
    lossChart(curves(run)),
    '<h2>The baseline in detail</h2>',
    '</section>',
  ].join('\n');
  return afterTitle(page, section).replace('<head>', `<head>${DOCTOR_REPORT_GENERATOR}`);
}

/** Whether `path` holds a report an earlier doctor run wrote (report.json of the doctor's format, or report.html with its generator tag). */
function isDoctorReport(path: string, kind: 'json' | 'html'): boolean {
  try {
    const text = readFileSync(path, 'utf8');
    if (kind === 'html') return text.includes(DOCTOR_REPORT_GENERATOR);
    return (JSON.parse(text) as { format?: unknown }).format === DOCTOR_REPORT_FORMAT;
  } catch {
    return false;
  }
}

/**
 * Checks that writing the report into `dir` overwrites nothing of the user's: `dir` is a folder (or
 * does not exist yet), and its report.html and report.json, where they exist, are a previous doctor
 * report. Other files in `dir` are never touched. Throws a DoctorInputError otherwise.
 */
export function checkReportDir(dir: string): void {
  if (existsSync(dir) && !statSync(dir).isDirectory())
    throw new DoctorInputError(dir, `--out ${dir} is a file, not a folder: name a folder for report.html and report.json`);
  for (const [name, kind] of [
    ['report.json', 'json'],
    ['report.html', 'html'],
  ] as const) {
    const path = join(dir, name);
    if (existsSync(path) && !isDoctorReport(path, kind))
      throw new DoctorInputError(
        path,
        `${path} exists and is not a report of gradient-lab doctor: it is not overwritten; pick another --out folder (or move the file away)`,
      );
  }
}

/** Writes report.html and report.json into `dir` (after `checkReportDir`); returns their absolute paths. */
export function writeDoctorReport(dir: string, run: DoctorRun, context: DoctorReportContext): { html: string; json: string } {
  checkReportDir(dir);
  return writeReportFiles(dir, { html: doctorReportHtml(run, context), json: doctorReportJson(run, context) });
}
