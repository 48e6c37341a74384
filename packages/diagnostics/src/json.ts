import { ValueError } from '@gradkit/core';
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
 * @example
 * ```ts
 * writeFileSync('report.json', toJSON(monitor.history, { indent: 2 }));
 * ```
 */
export function toJSON(doc: ReportDocument, options: { readonly indent?: number } = {}): string {
  const body =
    Array.isArray(doc) || (doc as GradientReport).format === 'gradkit-gradient-report' ? doc : { format: 'gradkit-report-collection', version: 1, ...doc };
  return JSON.stringify(body, (_key, value) => (typeof value === 'number' && !Number.isFinite(value) ? { [TAG]: String(value) } : value), options?.indent);
}

const isReport = (x: unknown): x is GradientReport =>
  x !== null && typeof x === 'object' && (x as GradientReport).format === 'gradkit-gradient-report' && Array.isArray((x as GradientReport).layers);

/**
 * Parses what `toJSON` wrote back into reports (NaN and ±Infinity restored).
 *
 * @throws ValueError when the text is not JSON or not a gradkit report document.
 * @example
 * ```ts
 * const history = fromJSON(readFileSync('report.json', 'utf8')) as GradientReport[];
 * ```
 */
export function fromJSON(text: string): GradientReport | GradientReport[] | ReportCollection {
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
  if (isReport(parsed)) return parsed;
  if (Array.isArray(parsed) && parsed.every(isReport)) return parsed;
  const c = parsed as { format?: string; configs?: unknown } | null;
  if (c?.format === 'gradkit-report-collection' && Array.isArray(c.configs) && c.configs.every((x) => Array.isArray(x?.reports) && x.reports.every(isReport))) {
    const { format: _f, version: _v, ...rest } = c as unknown as ReportCollection & { format: string; version: number };
    return rest;
  }
  throw new ValueError('text', 'this is not a gradkit gradient report, a list of them, or a report collection (as toJSON writes)');
}
