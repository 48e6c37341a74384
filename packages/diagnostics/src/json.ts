import { checkOptions, describeValue, HyperParameterError, ValueError } from '@gradkit/core';
import { checkSequenceFields } from './check-sequence.js';
import { checkReportDocument, isReport } from './checks.js';
import type { GradientReport } from './report.js';

/**
 * Several runs' reports side by side (for example the configurations of an experiment), for `toHTML`
 * and `toJSON`.
 *
 * @example
 * ```ts
 * toHTML({ title: 'deep sigmoid vs relu', configs: [{ name: 'sigmoid', reports: a }, { name: 'relu + He', reports: b, summary: { 'test accuracy': 0.97 } }] });
 * ```
 */
export interface ReportCollection {
  /** Page or document title. */
  readonly title?: string;
  /** One entry per configuration, in display order. */
  readonly configs: readonly ReportConfig[];
}

/** One configuration of a `ReportCollection`. @example `{ name: 'relu + He', reports: monitor.history, summary: { loss: 0.12 } }` */
export interface ReportConfig {
  /** The configuration's name. */
  readonly name: string;
  /** Its reports over training, oldest first (the last one is shown in detail). */
  readonly reports: readonly GradientReport[];
  /** Extra numbers or words to show with it (loss, accuracy, time …). */
  readonly summary?: Readonly<Record<string, string | number | boolean | null>>;
}

/** What `toJSON` accepts and `fromJSON` returns. @example `fromJSON(toJSON(monitor.history)) // GradientReport[]` */
export type ReportDocument = GradientReport | readonly GradientReport[] | ReportCollection;

const TAG = '$nonFinite';

/**
 * Serializes a report, a list of reports (a monitor's history) or a `ReportCollection` to JSON text.
 * NaN and ±Infinity, which JSON cannot hold, are written as `{ "$nonFinite": "NaN" }` (or
 * `"Infinity"`, `"-Infinity"`) so that `fromJSON` restores them exactly.
 *
 * @param options - `indent`: spaces per level (a whole number from 0 to 10, as `JSON.stringify`); default none.
 * @throws ValueError naming the part of `doc` that is not a report document; UnknownOptionError for
 *   an option it does not take; HyperParameterError for an `indent` outside 0–10.
 * @example
 * ```ts
 * writeFileSync('report.json', toJSON(monitor.history, { indent: 2 }));
 * ```
 */
export function toJSON(doc: ReportDocument, options: { readonly indent?: number } = {}): string {
  checkReportDocument('doc', doc);
  checkSequenceFields('doc', doc);
  const o = checkOptions('toJSON', options, ['indent'], { example: 'toJSON(monitor.history, { indent: 2 })' });
  const indent = o.indent;
  if (indent !== undefined && (typeof indent !== 'number' || !Number.isInteger(indent) || indent < 0 || indent > 10))
    throw new HyperParameterError('indent', `indent must be a whole number of spaces from 0 to 10, got ${describeValue(indent)}`);
  const body = Array.isArray(doc) || isReport(doc) ? doc : { format: 'gradkit-report-collection', version: 1, ...doc };
  return JSON.stringify(body, (_key, value) => (typeof value === 'number' && !Number.isFinite(value) ? { [TAG]: String(value) } : value), indent);
}

/**
 * Parses what `toJSON` wrote back into reports (NaN and ±Infinity restored), with their temporal
 * profiles (`temporal`) and attention statistics (`attention`).
 *
 * @throws ValueError when the text is not JSON or not a gradkit report document, naming the first
 *   malformed temporal profile or attention entry (e.g. `text.temporal.0.gradNorm`).
 * @example
 * ```ts
 * const history = fromJSON(readFileSync('report.json', 'utf8')) as GradientReport[];
 * ```
 */
export function fromJSON(text: string): GradientReport | GradientReport[] | ReportCollection {
  if (typeof text !== 'string') throw new ValueError('text', `fromJSON reads the text toJSON wrote (a string), got ${describeValue(text)}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text, (_key, value) => {
      if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
        const keys = Object.keys(value);
        if (keys.length === 1 && keys[0] === TAG) return Number(value[TAG]);
      }
      return value;
    });
  } catch (e) {
    throw new ValueError('text', `not JSON: ${(e as Error).message}`);
  }
  if (isReport(parsed) || (Array.isArray(parsed) && parsed.every(isReport))) {
    checkSequenceFields('text', parsed);
    return parsed;
  }
  const c = parsed as { format?: string; configs?: unknown } | null;
  if (c !== null && typeof c === 'object' && c.format === 'gradkit-report-collection') {
    const { format: _f, version: _v, ...rest } = c as unknown as ReportCollection & { format: string; version: number };
    checkReportDocument('text', rest);
    checkSequenceFields('text', rest);
    return rest;
  }
  throw new ValueError('text', 'this is not a gradkit gradient report, a list of them, or a report collection (as toJSON writes)');
}
