// The per-backend summary printed at the very end of a test run (see reporter.ts). Pure functions of
// plain data, so that they are tested like any other code.
import type { BackendInfo } from '@gradkit/core';

/** What ran on one backend (one vitest project). @example `{ backend: 'cpu', files: 3, passed: 20, failed: 0, skipped: 1, errors: 0, tensorsLeft: 0 }` */
export interface BackendRow {
  /** The project's name: the backend. */
  readonly backend: string;
  /** Test files run. */
  readonly files: number;
  /** Tests by outcome. */
  readonly passed: number;
  readonly failed: number;
  readonly skipped: number;
  /** Errors outside tests: a file that failed to load, a failing `beforeAll`. */
  readonly errors: number;
  /** Tensors that tests left allocated, summed (informational). */
  readonly tensorsLeft: number;
  /** Hostile inputs (`hostileCases`) by outcome: typed errors, raw errors, silent acceptances. */
  readonly hostile?: { readonly typed: number; readonly misnamed: number; readonly changed: number; readonly raw: number; readonly silent: number };
  /** What `useBackend` started (from the first file that started it). */
  readonly info?: BackendInfo;
  /** Why the backend could not start, when its tests were skipped. */
  readonly unavailable?: string;
}

/** The summary: its lines (the last one is the totals) and whether the run must fail. @example `{ lines, ok: true, problems: [] }` */
export interface Summary {
  readonly lines: string[];
  readonly ok: boolean;
  /** Why the run fails, one line each (empty when ok). */
  readonly problems: string[];
}

/**
 * One line describing the backend that started, for example `wasm, SIMD on, threads off` or
 * `webgpu, adapter "SwiftShader driver 5.0.0" (google swiftshader)`.
 *
 * @example `describeBackend({ name: 'cpu', simd: false, threads: false, threadCount: 1, fallbacks: [] }) // 'cpu'`
 */
export function describeBackend(info: BackendInfo): string {
  if (info.name === 'wasm') return `wasm, SIMD ${info.simd ? 'on' : 'off'}, threads ${info.threads ? 'on' : 'off'}`;
  if (info.name === 'webgpu') {
    const a = info.adapter;
    if (!a) return 'webgpu, adapter unknown';
    const details = [a.vendor, a.architecture].filter(Boolean).join(' ');
    return `webgpu, adapter "${a.description || a.device || 'unnamed'}"${details ? ` (${details})` : ''}`;
  }
  return info.name;
}

/**
 * The summary of a run: a table with one row per backend (files; tests passed, failed, skipped;
 * what started), then the totals alone on the last line, `tests: N passed, N failed, N skipped`.
 * The run fails when a backend ran no test (none passed or failed) unless it was skipped for want of
 * a WebGPU adapter outside CI; `failed` counts errors outside tests (and `unhandledErrors`) too.
 *
 * @example
 * ```ts
 * const { lines, ok } = summarize(rows, 0);
 * ```
 */
export function summarize(rows: readonly BackendRow[], unhandledErrors = 0): Summary {
  const problems: string[] = [];
  const header = ['backend', 'files', 'passed', 'failed', 'skipped', 'unfreed', 'started'];
  const table = rows.map((r) => {
    const ran = r.passed + r.failed;
    if (r.files === 0) problems.push(`${r.backend}: no test file ran`);
    else if (ran === 0 && !r.unavailable) problems.push(`${r.backend}: ran 0 tests (every test was skipped or none was collected)`);
    const started = r.unavailable
      ? `skipped: ${r.unavailable}`
      : r.info
        ? describeBackend(r.info)
        : r.errors > 0
          ? 'did not start (see the errors above)'
          : '?';
    const failed = r.failed + r.errors;
    return [
      r.backend,
      String(r.files),
      String(r.passed),
      failed === r.failed ? String(failed) : `${failed} (${r.errors} outside tests)`,
      String(r.skipped),
      String(r.tensorsLeft),
      started,
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => (row[i] as string).length)));
  const render = (cells: string[]) =>
    `  ${cells.map((c, i) => (i === cells.length - 1 ? c : i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join('  ')}`.trimEnd();
  const passed = rows.reduce((n, r) => n + r.passed, 0);
  const failed = rows.reduce((n, r) => n + r.failed + r.errors, 0) + unhandledErrors;
  const skipped = rows.reduce((n, r) => n + r.skipped, 0);
  const lines = ['', ' Backends', render(header), ...table.map(render)];
  for (const r of rows) if (r.unavailable) lines.push(`  ${r.backend}: tests skipped, the backend could not start (CI=true makes this a failure)`);
  if (rows.some((r) => r.tensorsLeft > 0)) lines.push('  unfreed: tensors that tests left allocated (informational; assert leaks with expectNoLeaks)');
  if (unhandledErrors > 0) lines.push(`  ${unhandledErrors} unhandled error${unhandledErrors === 1 ? '' : 's'} (counted as failed)`);
  for (const r of rows)
    if (r.hostile) {
      const { typed, misnamed, changed, raw, silent } = r.hostile;
      const tried = typed + misnamed + changed + raw + silent;
      lines.push(
        `  ${r.backend}: hostile inputs: ${tried} tried, ${typed} typed errors naming the input with nothing changed, ${misnamed} naming something else, ${changed} after a change, ${raw} raw errors, ${silent} silent acceptances`,
      );
    }
  for (const p of problems) lines.push(`  FAIL ${p}`);
  lines.push(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
  return { lines, ok: problems.length === 0, problems };
}
