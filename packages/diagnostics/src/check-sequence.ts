// Validation of a report's `temporal` and `attention` fields for the renderers and `fromJSON` (not part
// of the package's surface): each is absent or a list of well-formed entries, else a ValueError names
// the path of the first bad value (e.g. `text.temporal.0.gradNorm`).
import { describeValue, ValueError } from '@gradkit/core';
import type { AttentionStats, GradientReport, TemporalProfile } from './report.js';

type Doc = GradientReport | readonly GradientReport[] | { readonly configs: readonly { readonly reports: readonly GradientReport[] }[] };

const isObject = (x: unknown): x is Record<string, unknown> => x !== null && typeof x === 'object' && !Array.isArray(x);

function fail(path: string, expected: string, got: unknown): never {
  throw new ValueError(path, `${path} must be ${expected}, got ${describeValue(got)}`);
}

function optionalNumber(path: string, x: unknown): void {
  if (x !== undefined && typeof x !== 'number') fail(path, 'a number (or absent)', x);
}

function checkProfile(path: string, p: unknown): asserts p is TemporalProfile {
  if (!isObject(p)) fail(path, 'a temporal profile { layer, steps, gradNorm, firstLastRatio?, decayPerStep? }', p);
  if (typeof p.layer !== 'string') fail(`${path}.layer`, 'a string (the layer’s tap prefix)', p.layer);
  const { steps, gradNorm } = p;
  if (!Array.isArray(steps) || !steps.every((t, i) => Number.isSafeInteger(t) && t >= 0 && (i === 0 || t > (steps[i - 1] as number))))
    fail(`${path}.steps`, 'an ascending list of time steps (whole numbers ≥ 0)', steps);
  if (!Array.isArray(gradNorm) || gradNorm.length !== steps.length || !gradNorm.every((g) => typeof g === 'number'))
    fail(`${path}.gradNorm`, `a list of ${steps.length} numbers (one per step)`, gradNorm);
  optionalNumber(`${path}.firstLastRatio`, p.firstLastRatio);
  optionalNumber(`${path}.decayPerStep`, p.decayPerStep);
  if (p.of !== undefined && p.of !== 'hidden' && p.of !== 'input') fail(`${path}.of`, "'hidden' or 'input' (or absent)", p.of);
}

function checkAttention(path: string, a: unknown): asserts a is AttentionStats {
  if (!isObject(a)) fail(path, 'attention statistics { layer, entropy?, maxEntropy?, logitMaxAbs?, logitStd? }', a);
  if (typeof a.layer !== 'string') fail(`${path}.layer`, 'a string (the layer’s tap prefix)', a.layer);
  for (const key of ['entropy', 'maxEntropy', 'logitMaxAbs', 'logitStd']) optionalNumber(`${path}.${key}`, a[key]);
}

function checkOne(path: string, report: GradientReport): void {
  const { temporal, attention } = report as { temporal?: unknown; attention?: unknown };
  if (temporal !== undefined) {
    if (!Array.isArray(temporal)) fail(`${path}.temporal`, 'a list of temporal profiles (or absent)', temporal);
    for (const [i, p] of temporal.entries()) checkProfile(`${path}.temporal.${i}`, p);
  }
  if (attention !== undefined) {
    if (!Array.isArray(attention)) fail(`${path}.attention`, 'a list of attention statistics (or absent)', attention);
    for (const [i, a] of attention.entries()) checkAttention(`${path}.attention.${i}`, a);
  }
}

/** Throws a ValueError naming the first malformed `temporal` or `attention` entry of a report document (one already checked as such). */
export function checkSequenceFields(field: string, doc: Doc): void {
  if (Array.isArray(doc)) {
    for (const [i, r] of (doc as readonly GradientReport[]).entries()) checkOne(`${field}.${i}`, r);
  } else if (isObject(doc) && Array.isArray(doc.configs)) {
    for (const [i, c] of (doc.configs as { reports: GradientReport[] }[]).entries())
      for (const [j, r] of c.reports.entries()) checkOne(`${field}.configs.${i}.reports.${j}`, r);
  } else checkOne(field, doc as GradientReport);
}
