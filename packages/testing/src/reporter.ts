// A vitest reporter that ends the run's output with a per-backend summary (see summary.ts): for each
// backend project, files and tests run, and what the backend reported when it started. It sets a
// failing exit code when a backend ran no tests. Use it beside vitest's default reporter:
// `reporters: ['default', './packages/testing/src/reporter.ts']`.
import type { Reporter, SerializedError, TestModule, TestRunEndReason, Vitest } from 'vitest/node';
import type { GradkitTaskMeta } from './state.js';
import { type BackendRow, type Summary, summarize } from './summary.js';

type MutableRow = { -readonly [K in keyof BackendRow]: BackendRow[K] } & {
  hostile?: { typed: number; misnamed: number; changed: number; raw: number; silent: number };
};

/**
 * Vitest reporter printing the per-backend summary table and the totals line last.
 *
 * @example
 * ```ts
 * // vitest.config.ts
 * export default defineConfig({ test: { reporters: ['default', './packages/testing/src/reporter.ts'] } });
 * ```
 */
export default class BackendSummaryReporter implements Reporter {
  private vitest: Vitest | undefined;
  private summary: Summary | undefined;
  private reason: TestRunEndReason | undefined;

  onInit(vitest: Vitest): void {
    this.vitest = vitest;
  }

  /** Counts what ran; the table is printed in `onFinished`, after the default reporter's own output. */
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<SerializedError>, reason: TestRunEndReason): void {
    const rows = new Map<string, MutableRow>();
    const row = (backend: string): MutableRow => {
      let r = rows.get(backend);
      if (!r) {
        r = { backend, files: 0, passed: 0, failed: 0, skipped: 0, errors: 0, tensorsLeft: 0 };
        rows.set(backend, r);
      }
      return r;
    };
    for (const project of this.vitest?.projects ?? []) row(project.name);
    for (const m of testModules) {
      const r = row(m.project.name);
      r.files += 1;
      for (const test of m.children.allTests()) {
        const { state } = test.result();
        if (state === 'passed') r.passed += 1;
        else if (state === 'failed') r.failed += 1;
        else if (state === 'skipped') r.skipped += 1;
        const meta = test.meta() as GradkitTaskMeta;
        r.tensorsLeft += meta.gradkitTensorsLeft ?? 0;
        if (meta.gradkitHostile) {
          r.hostile ??= { typed: 0, misnamed: 0, changed: 0, raw: 0, silent: 0 };
          r.hostile[meta.gradkitHostile] += 1;
        }
      }
      r.errors += m.errors().length;
      for (const suite of m.children.allSuites()) r.errors += suite.errors().length;
      const meta = (m.meta() as GradkitTaskMeta).gradkit;
      if (meta?.info && !r.info) r.info = meta.info;
      if (meta?.unavailable && !r.unavailable) r.unavailable = meta.unavailable;
    }
    this.summary = summarize([...rows.values()], unhandledErrors.length);
    this.reason = reason;
  }

  /**
   * Prints the summary. Vitest calls every reporter's `onTestRunEnd` before any `onFinished`, and the
   * default reporter prints failures and its totals in `onFinished`: printing here keeps the table last.
   */
  onFinished(): void {
    const { summary, reason } = this;
    if (!summary) return;
    this.summary = undefined;
    const log = (line: string) => (this.vitest ? this.vitest.logger.log(line) : console.log(line));
    for (const line of summary.lines) log(line);
    if (!summary.ok && reason !== 'interrupted') process.exitCode = 1;
  }
}
