// The outputs of a set of runs: the terminal table, report.json and report.html (the diagnostics'
// HTML page with every configuration's charts side by side, plus the lab's table, loss curves and notes).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type ReportCollection, toHTML, toJSON } from '@gradkit/diagnostics';
import { describeConfig } from './config.js';
import { num, pct, textTable } from './table.js';
import type { TrainResult } from './train.js';
import type { RunSummary } from './verdict.js';

/** One run with its place in the report. */
export interface ReportEntry {
  /** Short id (for `--only`). */
  readonly id: string;
  /** What the configuration is, in words. */
  readonly title: string;
  /** What the literature expects of it, if anything. */
  readonly expectation?: string;
  /** The run's result. */
  readonly result: TrainResult;
  /** Whether the result agrees with `expectation` (undefined: nothing to compare with). */
  readonly agrees?: boolean;
}

/** What a report describes besides the runs. */
export interface ReportContext {
  /** Page title. */
  readonly title: string;
  /** The command line that produced it. */
  readonly command: string;
  /** Backend line, e.g. `wasm (SIMD)`, with the fallbacks taken. */
  readonly backend: string;
  /** Training and test samples. */
  readonly data: { readonly train: number; readonly test: number; readonly source: string };
  /** Notes: where results agree or disagree with the literature, and why. */
  readonly notes: readonly string[];
  /** Total wall-clock seconds. */
  readonly seconds: number;
}

/** The verdict cell: the run's verdict, with the verdict at step 0 when that differs. */
export function verdictCell(r: RunSummary): string {
  const base = r.diverged && r.verdict !== 'nonfinite' ? `${r.verdict}, diverged` : r.verdict;
  return r.initialVerdict !== undefined && r.initialVerdict !== r.verdict ? `${base} (step 0: ${r.initialVerdict})` : base;
}

/** The columns of the comparison table, as text. */
export function tableRows(entries: readonly ReportEntry[]): { header: string[]; rows: string[][]; right: boolean[] } {
  const literature = entries.some((e) => e.agrees !== undefined);
  const header = ['configuration', 'verdict', 'first/last ‖g‖', 'first/last ‖∂L/∂h‖', 'train loss', 'test acc', 'time', ...(literature ? ['literature'] : [])];
  const rows = entries.map(({ title, result: r, agrees }) => [
    title,
    verdictCell(r),
    num(r.firstLastRatio),
    num(r.tapRatio),
    num(r.trainLoss),
    pct(r.testAccuracy),
    `${r.seconds.toFixed(1)} s`,
    ...(literature ? [agrees === undefined ? '–' : agrees ? 'agrees' : 'differs'] : []),
  ]);
  return { header, rows, right: [false, false, true, true, true, true, true, false] };
}

/** The comparison table for the terminal. */
export function formatTable(entries: readonly ReportEntry[]): string {
  const { header, rows, right } = tableRows(entries);
  return textTable(header, rows, right);
}

/** One row of report.json's table. */
function jsonRow({ id, title, expectation, result: r, agrees }: ReportEntry) {
  return {
    id,
    configuration: title,
    description: describeConfig(r.config),
    expectation: expectation ?? null,
    agreesWithLiterature: agrees ?? null,
    verdict: r.verdict,
    verdictCounts: r.verdictCounts,
    initialVerdict: r.initialVerdict ?? null,
    finalVerdict: r.finalVerdict ?? null,
    firstLastRatio: r.firstLastRatio ?? null,
    tapRatio: r.tapRatio ?? null,
    trainLoss: r.trainLoss,
    trainAccuracy: r.trainAccuracy,
    testAccuracy: r.testAccuracy,
    diverged: r.diverged,
    stepsTaken: r.stepsTaken,
    seconds: r.seconds,
    backend: r.backend,
  };
}

/**
 * A run's reports up to the last one whose verdict is the run's verdict: the diagnostics' page shows
 * the last report in detail, and for a run that diverged the reports after it hold only NaN.
 */
export function upToRepresentative(r: Pick<TrainResult, 'reports' | 'verdict'>): TrainResult['reports'] {
  let last = r.reports.length - 1;
  while (last > 0 && r.reports[last]?.verdict !== r.verdict) last--;
  return r.reports.slice(0, last + 1);
}

/** The diagnostics' report collection of the runs (every monitor report, one configuration each). */
export function collection(entries: readonly ReportEntry[], title: string): ReportCollection {
  return {
    title,
    configs: entries.map(({ title: name, result: r }) => ({
      name,
      reports: upToRepresentative(r),
      summary: {
        setup: describeConfig(r.config),
        'train loss': r.trainLoss,
        'train accuracy': pct(r.trainAccuracy),
        'test accuracy': pct(r.testAccuracy),
        'time (s)': Number(r.seconds.toFixed(1)),
        ...(r.diverged ? { diverged: true } : {}),
      },
    })),
  };
}

/** report.json: settings, the table rows, the notes, loss curves and every gradient report. */
export function reportJson(entries: readonly ReportEntry[], context: ReportContext): string {
  const doc = {
    format: 'gradient-lab-report',
    version: 1,
    title: context.title,
    command: context.command,
    backend: context.backend,
    data: context.data,
    seconds: context.seconds,
    table: entries.map(jsonRow),
    notes: context.notes,
    configurations: entries.map(({ id, title, result: r }) => ({ id, configuration: title, config: r.config, lossCurve: r.lossCurve })),
    // The diagnostics' own JSON (non-finite numbers tagged as { $nonFinite: 'NaN' }), readable with fromJSON.
    diagnostics: JSON.parse(toJSON(collection(entries, context.title))) as unknown,
  };
  return labJson(doc);
}

/** `s` with HTML's special characters escaped. */
export const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const PALETTE = ['#1d4ed8', '#c62828', '#2e7d32', '#ef8f00', '#6a1b9a', '#00838f', '#ad1457', '#5d4037', '#455a64', '#9e9d24', '#283593', '#d84315'];

/** An inline SVG of every run's minibatch loss over steps (log scale): the MLP matrix's entries or a task's. */
export function lossChart(entries: readonly { readonly title: string; readonly result: Pick<TrainResult, 'lossCurve'> }[]): string {
  const W = 760;
  const H = 300;
  const m = { l: 56, r: 12, t: 28, b: 36 };
  const curves = entries.map((e) => e.result.lossCurve.filter((p) => Number.isFinite(p.loss) && p.loss > 0));
  const all = curves.flat();
  if (all.length === 0) return '';
  const maxStep = Math.max(1, ...all.map((p) => p.step));
  const logs = all.map((p) => Math.log10(p.loss));
  const lo = Math.floor(Math.min(...logs) * 2) / 2;
  const hi = Math.max(lo + 0.5, Math.ceil(Math.min(Math.max(...logs), lo + 6) * 2) / 2);
  const x = (s: number) => m.l + (s / maxStep) * (W - m.l - m.r);
  const y = (l: number) => m.t + (1 - (Math.min(hi, Math.max(lo, Math.log10(l))) - lo) / (hi - lo)) * (H - m.t - m.b);
  const ticks: string[] = [];
  for (let t = Math.ceil(lo); t <= hi; t++) {
    const yy = y(10 ** t);
    ticks.push(`<line class="grid" x1="${m.l}" x2="${W - m.r}" y1="${yy}" y2="${yy}"/><text class="yt" x="${m.l - 4}" y="${yy}">1e${t}</text>`);
  }
  const lines = curves.map((c, i) =>
    c.length < 2
      ? ''
      : `<polyline fill="none" stroke="${PALETTE[i % PALETTE.length]}" stroke-width="1.5" points="${c.map((p) => `${x(p.step).toFixed(1)},${y(p.loss).toFixed(1)}`).join(' ')}"><title>${esc(entries[i]?.title ?? '')}</title></polyline>`,
  );
  const legend = entries
    .map((e, i) => `<span style="display:inline-block;margin-right:14px"><span style="color:${PALETTE[i % PALETTE.length]}">■</span> ${esc(e.title)}</span>`)
    .join('');
  return [
    `<svg class="chart" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="training loss over steps">`,
    `<text class="ct" x="${m.l}" y="16">Minibatch training loss over steps (log scale), every configuration</text>`,
    ...ticks,
    `<rect class="frame" x="${m.l}" y="${m.t}" width="${W - m.l - m.r}" height="${H - m.t - m.b}"/>`,
    ...lines,
    `<text class="xt" x="${m.l}" y="${H - 18}">0</text><text class="xr" x="${W - m.r}" y="${H - 18}">${maxStep}</text><text class="at" x="${(W + m.l) / 2}" y="${H - 6}">step</text>`,
    '</svg>',
    `<div style="font-size:12.5px;margin:4px 0 12px">${legend}</div>`,
  ].join('');
}

/** report.html: the lab's table, notes and loss chart, then the diagnostics' page with every configuration side by side. */
export function reportHtml(entries: readonly ReportEntry[], context: ReportContext): string {
  const page = toHTML(collection(entries, context.title), { title: context.title });
  const { header, rows } = tableRows(entries);
  const table = htmlTable(header, rows);
  const expectations = entries.filter((e) => e.expectation);
  const lab = [
    '<section class="lab">',
    `<p class="muted">${esc(context.command)} · backend ${esc(context.backend)} · MNIST digits of the <code>mnist</code> package: ${context.data.train} training and ${context.data.test} test samples (first 80% / last 20% of each digit) · ${context.seconds.toFixed(1)} s in all</p>`,
    '<h2>Results</h2>',
    table,
    lossChart(entries),
    expectations.length > 0
      ? `<h2>What the literature expects</h2><ul>${expectations.map((e) => `<li><strong>${esc(e.title)}</strong>: ${esc(e.expectation ?? '')}</li>`).join('')}</ul>`
      : '',
    `<h2 id="notes">Notes</h2>${context.notes.length > 0 ? `<ul>${context.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>` : '<p class="muted">No notes.</p>'}`,
    '<h2>Every configuration</h2>',
    '</section>',
  ].join('\n');
  return afterTitle(page, lab);
}

/** An HTML table of text cells (escaped). */
export function htmlTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  return `<table><thead><tr>${header.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

/** The diagnostics' `page` with the lab's `section` right after its title. */
export function afterTitle(page: string, section: string): string {
  const at = page.indexOf('</h1>');
  return at < 0 ? page.replace('<body>', `<body>${section}`) : `${page.slice(0, at + 5)}\n${section}\n${page.slice(at + 5)}`;
}

/** Writes `report.html` and `report.json` into `dir` (created if needed); returns their absolute paths. */
export function writeReportFiles(dir: string, files: { readonly html: string; readonly json: string }): { html: string; json: string } {
  const folder = resolve(dir);
  mkdirSync(folder, { recursive: true });
  const html = join(folder, 'report.html');
  const json = join(folder, 'report.json');
  writeFileSync(html, files.html);
  writeFileSync(json, files.json);
  return { html, json };
}

/** Writes report.html and report.json into `dir` (created if needed); returns their absolute paths. */
export function writeReport(dir: string, entries: readonly ReportEntry[], context: ReportContext): { html: string; json: string } {
  return writeReportFiles(dir, { html: reportHtml(entries, context), json: reportJson(entries, context) });
}

/** `JSON.stringify` with non-finite numbers tagged as `{ $nonFinite: 'NaN' }` (JSON has no NaN or Infinity). */
export function labJson(doc: unknown): string {
  return JSON.stringify(doc, (_key, value) => (typeof value === 'number' && !Number.isFinite(value) ? { $nonFinite: String(value) } : value), 2);
}
