// A copy of a tfjs-layers model has the original's layer names, but its weights get names made unique
// in tfjs-layers' registry (`dense_Dense1/kernel_1` for the original's `dense_Dense1/kernel`). The
// doctor's reports speak of the user's model: these put the names the user's model has back.
import type { GradientReport } from './report.js';

interface NamedWeight {
  readonly name: string;
  readonly originalName?: string;
}

/** unique name → original name, for the weights of `model` (a tfjs-layers model or a copy) whose names differ. */
export function originalWeightNames(model: { readonly trainableWeights: readonly NamedWeight[] }): Map<string, string> {
  return new Map(model.trainableWeights.flatMap((w) => (w.originalName !== undefined && w.originalName !== w.name ? [[w.name, w.originalName] as const] : [])));
}

/** `report` with every weight name of `names` (its layers' names and the findings' text) replaced by the original name. */
export function withOriginalNames(report: GradientReport, names: ReadonlyMap<string, string>): GradientReport {
  if (names.size === 0) return report;
  // Longest first, so `…/kernel_10` is not read as `…/kernel_1` followed by `0`.
  const pairs = [...names].sort((a, b) => b[0].length - a[0].length);
  const rename = (text: string) => pairs.reduce((t, [from, to]) => t.split(from).join(to), text);
  return {
    ...report,
    layers: report.layers.map((l) => ({ ...l, name: names.get(l.name) ?? l.name })),
    findings: report.findings.map((f) => ({ ...f, what: rename(f.what), where: rename(f.where), why: rename(f.why), toTry: f.toTry.map(rename) })),
  };
}
