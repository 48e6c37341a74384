// The outputs of `compare --task <name>` for a task other than `mlp`: the terminal table, report.json
// and report.html (the lab's header with what was scaled down, the table, loss curves, the claims and
// the notes, then the diagnostics' page with every run's reports).
import { type ReportCollection, toHTML, toJSON } from '@gradkit/diagnostics';
import { afterTitle, esc, htmlTable, labJson, lossChart, upToRepresentative, verdictCell, writeReportFiles } from '../report.js';
import { num, textTable } from '../table.js';
import type { TaskDefinition, TaskExpectation, TaskRunResult, TaskSettings } from './task.js';

/** One run's result and whether it agrees with what the literature expects of it. */
export interface TaskEntry {
  /** The run's result (its `run` holds the id, title and expectation). */
  readonly result: TaskRunResult;
  /** Whether the result agrees with `result.run.expect` (see `taskAgrees`). */
  readonly agrees: boolean;
}

/** What a task's report describes besides the runs. */
export interface TaskReportContext {
  /** The command line that produced it. */
  readonly command: string;
  /** Backend line, e.g. `wasm (SIMD, 1 thread)`. */
  readonly backend: string;
  /** The settings every run used. */
  readonly settings: TaskSettings;
  /** Notes: where results agree or differ, and why. */
  readonly notes: readonly string[];
  /** Total wall-clock seconds. */
  readonly seconds: number;
}

/** Whether a result agrees with the expectation: its verdict is one of `verdicts` and its metric within `minMetric`/`maxMetric`. */
export function taskAgrees(expect: TaskExpectation, r: Pick<TaskRunResult, 'verdict' | 'metric'>): boolean {
  return (
    expect.verdicts.includes(r.verdict) &&
    (expect.minMetric === undefined || r.metric >= expect.minMetric) &&
    (expect.maxMetric === undefined || r.metric <= expect.maxMetric)
  );
}

/** The table's header and cells: run, verdict, the task's metric, final loss, the task's columns, time, literature. */
export function taskTableRows(task: TaskDefinition, entries: readonly TaskEntry[]): { header: string[]; rows: string[][]; right: boolean[] } {
  const columns = task.columns ?? [];
  const header = ['run', 'verdict', task.metric.name, 'final loss', ...columns.map((c) => c.title), 'time', 'literature'];
  const rows = entries.map(({ result: r, agrees }) => [
    r.run.id,
    verdictCell(r),
    task.metric.format(r.metric),
    num(r.finalLoss),
    ...columns.map((c) => c.value(r)),
    `${r.seconds.toFixed(1)} s`,
    agrees ? 'agrees' : 'differs',
  ]);
  return { header, rows, right: [false, false, true, true, ...columns.map(() => true), true, false] };
}

/** The table for the terminal. */
export function formatTaskTable(task: TaskDefinition, entries: readonly TaskEntry[]): string {
  const { header, rows, right } = taskTableRows(task, entries);
  return textTable(header, rows, right);
}

/**
 * The notes of the table: for each run, the task's `explain` (why the result is what it is), marked
 * as agreeing or differing; a run that differs and has no explanation still gets a note with its
 * verdict and metric.
 */
export function taskNotes(task: TaskDefinition, entries: readonly TaskEntry[]): string[] {
  return entries.flatMap(({ result, agrees }) => {
    const text = task.explain?.(result, agrees);
    const head = `${result.run.id} — ${agrees ? 'agrees with the literature' : 'differs from the literature'}`;
    if (text !== undefined) return [`${head}: ${text}`];
    return agrees ? [] : [`${head}: ${result.run.expect.claim} Here: verdict ${result.verdict}, ${task.metric.name} ${task.metric.format(result.metric)}.`];
  });
}

/** The diagnostics' report collection: every run's monitor reports (up to the last with the run's verdict). */
export function taskCollection(task: TaskDefinition, entries: readonly TaskEntry[]): ReportCollection {
  return {
    title: task.title,
    configs: entries.map(({ result: r }) => ({
      name: `${r.run.id}: ${r.run.title}`,
      reports: upToRepresentative(r),
      summary: {
        [task.metric.name]: task.metric.format(r.metric),
        'final loss': r.finalLoss,
        steps: r.stepsTaken,
        'time (s)': Number(r.seconds.toFixed(1)),
        ...(r.diverged ? { diverged: true } : {}),
      },
    })),
  };
}

const header = (context: TaskReportContext) =>
  `${context.command} · backend ${context.backend} · ${context.settings.steps} steps of ${context.settings.batch}, seed ${context.settings.seed} · ${context.seconds.toFixed(1)} s in all`;

/** report.json: the task, settings, what was scaled down, the table, the notes, loss curves and every gradient report. */
export function taskReportJson(task: TaskDefinition, entries: readonly TaskEntry[], context: TaskReportContext): string {
  const columns = task.columns ?? [];
  const doc = {
    format: 'gradient-lab-report',
    version: 1,
    task: task.name,
    title: task.title,
    description: task.description,
    scaledDown: task.scaledDown,
    command: context.command,
    backend: context.backend,
    settings: context.settings,
    seconds: context.seconds,
    metric: { name: task.metric.name, higherIsBetter: task.metric.higherIsBetter },
    table: entries.map(({ result: r, agrees }) => ({
      id: r.run.id,
      run: r.run.title,
      expectation: r.run.expect.claim,
      expectedVerdicts: r.run.expect.verdicts,
      agreesWithLiterature: agrees,
      verdict: r.verdict,
      verdictCounts: r.verdictCounts,
      initialVerdict: r.initialVerdict ?? null,
      finalVerdict: r.finalVerdict ?? null,
      metric: r.metric,
      finalLoss: r.finalLoss,
      ...Object.fromEntries(columns.map((c) => [c.title, c.value(r)])),
      extra: r.extra ?? {},
      diverged: r.diverged,
      stepsTaken: r.stepsTaken,
      seconds: r.seconds,
    })),
    notes: context.notes,
    curves: entries.map(({ result: r }) => ({ id: r.run.id, lossCurve: r.lossCurve })),
    // The diagnostics' own JSON (non-finite numbers tagged as { $nonFinite: 'NaN' }), readable with fromJSON.
    diagnostics: JSON.parse(toJSON(taskCollection(task, entries))) as unknown,
  };
  return labJson(doc);
}

/** report.html: the lab's header, what was scaled down, the table, loss curves, the claims, the notes, then the diagnostics' page. */
export function taskReportHtml(task: TaskDefinition, entries: readonly TaskEntry[], context: TaskReportContext): string {
  const page = toHTML(taskCollection(task, entries), { title: task.title });
  const { header: head, rows } = taskTableRows(task, entries);
  const titled = entries.map(({ result: r }) => ({ title: r.run.id, result: r }));
  const lab = [
    '<section class="lab">',
    `<p class="muted">${esc(header(context))}</p>`,
    `<p>${esc(task.description)}</p>`,
    `<p><strong>Scaled down:</strong> ${esc(task.scaledDown)}</p>`,
    '<h2>Results</h2>',
    htmlTable(head, rows),
    lossChart(titled),
    `<h2>What the literature expects</h2><ul>${entries.map(({ result: r }) => `<li><strong>${esc(r.run.id)}</strong>: ${esc(r.run.expect.claim)}</li>`).join('')}</ul>`,
    `<h2 id="notes">Notes</h2>${context.notes.length > 0 ? `<ul>${context.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>` : '<p class="muted">No notes.</p>'}`,
    '<h2>Every run</h2>',
    '</section>',
  ].join('\n');
  return afterTitle(page, lab);
}

/** Writes report.html and report.json of a task into `dir` (created if needed); returns their absolute paths. */
export function writeTaskReport(dir: string, task: TaskDefinition, entries: readonly TaskEntry[], context: TaskReportContext): { html: string; json: string } {
  return writeReportFiles(dir, { html: taskReportHtml(task, entries, context), json: taskReportJson(task, entries, context) });
}
