// Runs the labelled cases and measures the diagnostics' precision: per run (case × seed × every),
// the verdict `summarize` gives its reports against the label, and the false-alarm and miss rates.
import type { Verdict } from '@gradkit/diagnostics';
import { summarize } from '../verdict.js';
import { GRADKIT_CASES } from './gradkit-cases.js';
import { judge, type LabelledCase, type Outcome } from './label.js';
import { LAYERS_CASES } from './layers-cases.js';

/** Every labelled case: gradkit's, then tfjs-layers'. */
export const LABELLED_CASES: readonly LabelledCase[] = [...GRADKIT_CASES, ...LAYERS_CASES];
/** The seeds each case runs at. */
export const SEEDS: readonly number[] = [1, 2];
/** The report intervals each run is diagnosed at (the verdict must not depend on them). */
export const EVERYS: readonly number[] = [1, 5];

/** One run of the table: a case at a seed, diagnosed at one `every`. */
export interface PrecisionRow {
  readonly id: string;
  readonly family: LabelledCase['family'];
  readonly seed: number;
  readonly every: number;
  /** The label's verdict. */
  readonly expected: Verdict;
  /** The run's verdict (`summarize` of its reports). */
  readonly verdict: Verdict;
  /** How many reports said each verdict, e.g. `healthy 7, exploding 2`. */
  readonly counts: string;
  /** Number of reports. */
  readonly reports: number;
  /** The finding kinds seen over the run, with counts. */
  readonly findings: string;
  /** Whether the run trained (or failed) as its label presumes. */
  readonly outcome: Outcome;
  readonly falseAlarms: readonly string[];
  readonly misses: readonly string[];
  /** Seconds the run's training took (shared by the `every`s of one seed). */
  readonly seconds: number;
}

/** The rows and the rates. */
export interface PrecisionTable {
  readonly rows: readonly PrecisionRow[];
  /** Runs with at least one false alarm, over all runs (any run can be given a wrong finding or remedy). */
  readonly falseAlarmRate: number;
  /** Runs of broken cases (label not healthy) with at least one miss, over the runs of broken cases. */
  readonly missRate: number;
  /** Runs whose training did not do what the label presumes (the label would be wrong at this size). */
  readonly outcomeFailures: readonly PrecisionRow[];
  /** The case × seed pairs whose verdict depends on `every`, e.g. `layers-conv seed 2: every 1 healthy, every 5 exploding`. */
  readonly everyDependent: readonly string[];
}

/** Options of `precisionTable`. */
export interface PrecisionOptions {
  readonly cases?: readonly LabelledCase[];
  readonly seeds?: readonly number[];
  readonly everys?: readonly number[];
  /** Called after each case × seed, with its rows. */
  readonly onRows?: (rows: readonly PrecisionRow[]) => void;
}

const tally = (xs: readonly string[]) => {
  const counts = new Map<string, number>();
  for (const x of xs) counts.set(x, (counts.get(x) ?? 0) + 1);
  return [...counts].map(([k, n]) => `${k} ${n}`).join(', ');
};

/** Trains every case at every seed, diagnoses each at every `every`, and judges the verdicts against the labels. */
export async function precisionTable(options: PrecisionOptions = {}): Promise<PrecisionTable> {
  const { cases = LABELLED_CASES, seeds = SEEDS, everys = EVERYS } = options;
  const rows: PrecisionRow[] = [];
  for (const c of cases)
    for (const seed of seeds) {
      const started = performance.now();
      const results = await c.run(seed, everys);
      const seconds = (performance.now() - started) / 1000;
      const these = [...results].map(([every, r]): PrecisionRow => {
        const { verdict, verdictCounts } = summarize(r.reports, { diverged: r.diverged });
        const j = judge(c.label, verdict, r.reports);
        return {
          id: c.id,
          family: c.family,
          seed,
          every,
          expected: c.label.verdict,
          verdict,
          counts: Object.entries(verdictCounts)
            .filter(([, n]) => n > 0)
            .map(([v, n]) => `${v} ${n}`)
            .join(', '),
          reports: r.reports.length,
          findings: tally(r.reports.flatMap((rep) => rep.findings.map((f) => f.kind))),
          outcome: r.outcome,
          falseAlarms: j.falseAlarms,
          misses: j.misses,
          seconds,
        };
      });
      rows.push(...these);
      options.onRows?.(these);
    }
  return tableOf(rows);
}

/** The rates of a list of rows (runs of broken cases: those whose label is not healthy). */
export function tableOf(rows: readonly PrecisionRow[]): PrecisionTable {
  const broken = rows.filter((r) => r.expected !== 'healthy');
  return {
    rows,
    falseAlarmRate: rows.length === 0 ? 0 : rows.filter((r) => r.falseAlarms.length > 0).length / rows.length,
    missRate: broken.length === 0 ? 0 : broken.filter((r) => r.misses.length > 0).length / broken.length,
    outcomeFailures: rows.filter((r) => !r.outcome.ok),
    everyDependent: everyDependent(rows),
  };
}

function everyDependent(rows: readonly PrecisionRow[]): string[] {
  const runs = new Map<string, PrecisionRow[]>();
  for (const r of rows) runs.set(`${r.id} seed ${r.seed}`, [...(runs.get(`${r.id} seed ${r.seed}`) ?? []), r]);
  return [...runs]
    .filter(([, rs]) => new Set(rs.map((r) => r.verdict)).size > 1)
    .map(([run, rs]) => `${run}: ${rs.map((r) => `every ${r.every} ${r.verdict}`).join(', ')}`);
}

/** The table as text: one line per run, then each run's false alarms and misses, then the rates. */
export function formatPrecisionTable(table: PrecisionTable, backend: string): string {
  const head = ['case', 'family', 'seed', 'every', 'expected', 'verdict', 'reports (verdicts)', 'findings', 'outcome', 'FA', 'miss', 's'];
  const body = table.rows.map((r) => [
    r.id,
    r.family,
    String(r.seed),
    String(r.every),
    r.expected,
    r.verdict,
    `${r.reports} (${r.counts})`,
    r.findings || '-',
    `${r.outcome.ok ? 'ok' : 'WRONG'}: ${r.outcome.measured}`,
    String(r.falseAlarms.length),
    String(r.misses.length),
    r.seconds.toFixed(1),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((row) => (row[i] as string).length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] as number))
      .join('  ')
      .trimEnd();
  const details = table.rows.flatMap((r) =>
    r.falseAlarms.length + r.misses.length === 0
      ? []
      : [`${r.id} seed ${r.seed} every ${r.every}:`, ...r.falseAlarms.map((s) => `  false alarm: ${s}`), ...r.misses.map((s) => `  miss: ${s}`)],
  );
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  return [
    `labelled runs on ${backend}: ${table.rows.length} runs`,
    line(head),
    ...body.map(line),
    ...details,
    ...table.everyDependent.map((s) => `verdict depends on every: ${s}`),
    `false-alarm rate ${pct(table.falseAlarmRate)} (${table.rows.filter((r) => r.falseAlarms.length > 0).length}/${table.rows.length} runs), miss rate ${pct(table.missRate)} (${
      table.rows.filter((r) => r.expected !== 'healthy' && r.misses.length > 0).length
    }/${table.rows.filter((r) => r.expected !== 'healthy').length} runs of broken cases); outcomes against the labels: ${table.outcomeFailures.length} wrong`,
  ].join('\n');
}
