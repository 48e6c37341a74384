// From the kernel calls of several profiled steps to per-step rows and phase totals: calls and bytes
// per step are means, times are medians over the steps (a step where a kernel did not run counts 0).
import type { KernelCall, StepRecord } from './recorder.js';
import type { KernelRow, PhaseTotals, StepPhase } from './types.js';

/** The q-quantile (0 ≤ q ≤ 1) of `values`, interpolating linearly between order statistics (numpy's default). */
export function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const pos = (sorted.length - 1) * q;
  const lo = sorted[Math.floor(pos)] as number;
  const hi = sorted[Math.ceil(pos)] as number;
  return lo + (hi - lo) * (pos - Math.floor(pos));
}

const PHASES: readonly StepPhase[] = ['forward', 'backward', 'update'];

/** Per-step sums of a group of calls, one entry per profiled step. */
class PerStep {
  readonly ms: number[];
  calls = 0;
  bytes = 0;
  dispatches = 0;
  readonly shapes = new Map<string, number>();

  constructor(steps: number) {
    this.ms = new Array<number>(steps).fill(0);
  }

  add(step: number, c: KernelCall): void {
    this.ms[step] = (this.ms[step] as number) + c.ms;
    this.calls++;
    this.bytes += c.bytes;
    this.dispatches += c.dispatches;
    this.shapes.set(c.shapes, (this.shapes.get(c.shapes) ?? 0) + 1);
  }
}

/** The most frequent input shapes, and how many other shape sets the kernel was called with. */
function shapesOf(counts: Map<string, number>): string {
  let best = '';
  let most = 0;
  for (const [s, n] of counts)
    if (n > most) {
      best = s;
      most = n;
    }
  const others = counts.size - 1;
  return others > 0 ? `${best} (+${others} other${others === 1 ? '' : 's'})` : best;
}

/** What the steps add up to. */
export interface StepSummary {
  readonly kernels: KernelRow[];
  readonly customOps: KernelRow[];
  readonly phases: Record<StepPhase, PhaseTotals>;
  readonly kernelMs: number;
  readonly profiledStepMs: number;
}

/**
 * Rows per (kernel, phase), custom ops apart, slowest first; phase totals and the kernel time per
 * step over leaf kernels only (a custom op's time is its kernels'). `dispatches` adds the WebGPU
 * dispatch count to each row.
 */
export function summarize(records: readonly StepRecord[], dispatches: boolean): StepSummary {
  const n = records.length;
  const rows = new Map<string, { name: string; phase: StepPhase; customOp: boolean; s: PerStep }>();
  const phases = new Map(PHASES.map((p) => [p, new PerStep(n)]));
  const total = new Array<number>(n).fill(0);
  records.forEach((r, step) => {
    for (const c of r.calls) {
      const key = `${c.customOp ? 'op' : 'kernel'}\u0000${c.phase}\u0000${c.name}`;
      let row = rows.get(key);
      if (!row) {
        row = { name: c.name, phase: c.phase, customOp: c.customOp, s: new PerStep(n) };
        rows.set(key, row);
      }
      row.s.add(step, c);
      if (c.customOp) continue;
      phases.get(c.phase)?.add(step, c);
      total[step] = (total[step] as number) + c.ms;
    }
  });
  const toRow = ({ name, phase, s }: { name: string; phase: StepPhase; s: PerStep }): KernelRow => ({
    name,
    phase,
    calls: s.calls / n,
    ms: quantile(s.ms, 0.5),
    bytes: s.bytes / n,
    shapes: shapesOf(s.shapes),
    ...(dispatches ? { dispatches: s.dispatches / n } : {}),
  });
  const slowestFirst = (a: KernelRow, b: KernelRow) => b.ms - a.ms || b.calls - a.calls || a.name.localeCompare(b.name);
  const all = [...rows.values()];
  const totals = (p: StepPhase): PhaseTotals => {
    const s = phases.get(p) as PerStep;
    return { ms: quantile(s.ms, 0.5), calls: s.calls / n, bytes: s.bytes / n };
  };
  return {
    kernels: all
      .filter((r) => !r.customOp)
      .map(toRow)
      .sort(slowestFirst),
    customOps: all
      .filter((r) => r.customOp)
      .map(toRow)
      .sort(slowestFirst),
    phases: { forward: totals('forward'), backward: totals('backward'), update: totals('update') },
    kernelMs: quantile(total, 0.5),
    profiledStepMs: quantile(
      records.map((r) => r.wallMs),
      0.5,
    ),
  };
}
