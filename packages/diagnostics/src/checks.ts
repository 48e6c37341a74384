// Argument checks shared by the public functions (not part of the package's surface): callbacks,
// whole numbers, and the report documents the renderers take.
import { checkOptions, describeValue, HyperParameterError, ValueError } from '@gradkit/core';
import type { ReportCollection } from './json.js';
import type { GradientReport } from './report.js';

/** Throws a HyperParameterError naming `field` unless `value` is absent or a function. */
export function checkCallback(field: string, value: unknown, signature: string): void {
  if (value !== undefined && typeof value !== 'function')
    throw new HyperParameterError(field, `${field} must be a function ${signature}, got ${describeValue(value)}`);
}

/** `value` (or `fallback` when it is undefined) checked as a whole number in [`min`, `max`]; throws a HyperParameterError naming `field`. */
export function wholeNumber(field: string, value: unknown, fallback: number, min: number, why: string, max = Number.MAX_SAFE_INTEGER): number {
  const v = value === undefined ? fallback : value;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max)
    throw new HyperParameterError(
      field,
      `${field} must be a whole number ${max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `from ${min} to ${max}`} (${why}), got ${describeValue(value)}`,
    );
  return v;
}

const isObject = (x: unknown): x is Record<string, unknown> => x !== null && typeof x === 'object' && !Array.isArray(x);
const listOf = (x: unknown, item: (y: Record<string, unknown>) => boolean) => Array.isArray(x) && x.every((y) => isObject(y) && item(y));
const named = (y: Record<string, unknown>) => typeof y.name === 'string' && Array.isArray(y.shape);

/** Whether `x` has the shape of a `GradientReport` (what `inspectGradients` returns and `toJSON` writes), as far as the renderers read it. */
export function isReport(x: unknown): x is GradientReport {
  if (!isObject(x)) return false;
  return (
    x.format === 'gradkit-gradient-report' &&
    typeof x.verdict === 'string' &&
    typeof x.globalNorm === 'number' &&
    listOf(x.layers, (l) => named(l) && typeof l.gradNorm === 'number') &&
    listOf(x.activations, (a) => named(a) && typeof a.kind === 'string') &&
    listOf(x.findings, (f) => ['kind', 'severity', 'what', 'where', 'why'].every((k) => typeof f[k] === 'string') && Array.isArray(f.toTry)) &&
    isObject(x.thresholds)
  );
}

const SHAPES = 'a GradientReport (what inspectGradients returns), an array of them (monitor.history), or { title?, configs: [{ name, reports }] }';

/** Throws a ValueError naming `field` unless `x` is a report. */
export function checkReport(field: string, x: unknown): asserts x is GradientReport {
  if (!isReport(x)) throw new ValueError(field, `${field} must be a GradientReport (what inspectGradients returns), got ${describeValue(x)}`);
}

/** Throws a ValueError naming `field` (or the first bad entry's path) unless `x` is a list of reports. */
export function checkReports(field: string, x: unknown): asserts x is readonly GradientReport[] {
  if (!Array.isArray(x)) throw new ValueError(field, `${field} must be an array of GradientReports (e.g. monitor.history), got ${describeValue(x)}`);
  x.forEach((r, i) => {
    if (!isReport(r)) throw new ValueError(`${field}.${i}`, `${field}[${i}] is not a GradientReport: got ${describeValue(r)}`);
  });
}

/**
 * Throws a ValueError naming the bad part unless `x` is a report, a list of reports or a
 * `ReportCollection` whose configs each have a string `name` and a list of reports.
 */
export function checkReportDocument(field: string, x: unknown): asserts x is GradientReport | readonly GradientReport[] | ReportCollection {
  if (isReport(x)) return;
  if (Array.isArray(x)) return checkReports(field, x);
  const c = x as Partial<ReportCollection> | null;
  if (c === null || typeof c !== 'object' || !Array.isArray(c.configs)) throw new ValueError(field, `${field} must be ${SHAPES}; got ${describeValue(x)}`);
  checkOptions('a report collection', c, ['title', 'configs'], { example: "{ title: 'runs', configs: [{ name: 'relu + He', reports }] }" });
  if (c.title !== undefined && typeof c.title !== 'string')
    throw new ValueError(`${field}.title`, `the collection's title must be a string, got ${describeValue(c.title)}`);
  c.configs.forEach((config, i) => {
    const at = `${field}.configs.${i}`;
    if (config === null || typeof config !== 'object' || typeof config.name !== 'string')
      throw new ValueError(at, `configs[${i}] must be { name: string, reports: GradientReport[], summary? }, got ${describeValue(config)}`);
    checkOptions(`configs[${i}]`, config, ['name', 'reports', 'summary'], {
      example: "{ name: 'relu + He', reports: monitor.history, summary: { 'test accuracy': 0.97 } }",
    });
    checkReports(`${at}.reports`, config.reports);
    if (config.summary !== undefined && (config.summary === null || typeof config.summary !== 'object' || Array.isArray(config.summary)))
      throw new ValueError(`${at}.summary`, `configs[${i}].summary must be an object of names to numbers or words, got ${describeValue(config.summary)}`);
  });
}
