// How the tables write numbers, and the markdown table itself (shared by report.ts and report-peer.ts).
import type { Summary } from './timing.js';

/** A number of milliseconds with 3 significant digits (at least 2 decimals below 1). */
export function ms(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (v >= 100) return v.toFixed(0);
  if (v >= 10) return v.toFixed(1);
  if (v >= 1) return v.toFixed(2);
  return v.toFixed(3);
}

/** `median (p10–p90)` in ms. */
export function spread(s: Pick<Summary, 'median' | 'p10' | 'p90'>): string {
  return `${ms(s.median)} (${ms(s.p10)}–${ms(s.p90)})`;
}

/** A signed percentage with one decimal. */
export function pct(v: number, digits = 1): string {
  return `${v >= 0 ? '+' : ''}${(v * 100).toFixed(digits)}%`;
}

/** A fraction of a step, e.g. `4.6% of a step`. */
export function share(v: number): string {
  return `${(v * 100).toFixed(1)}% of a step`;
}

/** A ratio such as `12.3×`. */
export function times(v: number): string {
  return `${v >= 10 ? v.toFixed(0) : v.toFixed(v >= 1 ? 1 : 2)}×`;
}

/** A ratio with two decimals below 10 (`1.53×`, `94×`), or `–` when there is none. */
export function ratioText(v: number | null): string {
  return v === null ? '–' : `${v >= 10 ? v.toFixed(0) : v.toFixed(2)}×`;
}

/** 1k, 100k, 1.0M … */
export function count(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(n % 1e6 === 0 ? 0 : 2)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(n % 1e3 === 0 ? 0 : 1)}k`;
  return String(n);
}

/** A markdown table. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}
