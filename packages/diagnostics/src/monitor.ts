import { HyperParameterError } from '@gradkit/core';
import { fmt } from './format-number.js';
import type { InspectOptions } from './inspect.js';
import { type ActivationKinds, finishObservation, launchObservation, type ObservationInput } from './observe.js';
import type { Finding, GradientReport, Verdict } from './report.js';
import { sortFindings, verdictOf } from './rules.js';
import { type DiagnosticsThresholds, resolveThresholds } from './thresholds.js';

/**
 * Options of `GradientMonitor`: any threshold of the rules, plus how much history to keep.
 *
 * @example
 * ```ts
 * new GradientMonitor({ historyLimit: 500, trendFactor: 1.5, onReport: (r) => console.log(r.verdict) });
 * ```
 */
export interface GradientMonitorOptions extends Partial<DiagnosticsThresholds> {
  /** Reports kept in `history` (oldest dropped first). Default 1000. */
  readonly historyLimit?: number;
  /** How to read tapped activations (default `'auto'`). */
  readonly activationKinds?: ActivationKinds;
  /** Called with every report, in observation order, once its statistics are read back. */
  readonly onReport?: (report: GradientReport) => void;
}

/**
 * What `GradientMonitor.observe` looks at: `inspectGradients`'s inputs, with `taps` as another name
 * for `activations`. `step` defaults to one more than the previous observation's (0 first).
 *
 * @example
 * ```ts
 * monitor.observe({ grads, params, taps, step });
 * ```
 */
export interface MonitorObservation extends Pick<InspectOptions, 'params' | 'updates' | 'activations' | 'step'> {
  /** The gradients. */
  readonly grads: ObservationInput['grads'];
  /** Same as `activations` (the `taps` of `withTaps`). */
  readonly taps?: ObservationInput['activations'];
}

/**
 * Series over a list of reports (a monitor's history), for charts and trend checks. Missing values
 * (a layer or tap absent from a report) are NaN.
 *
 * @example
 * ```ts
 * const t = monitor.trends();
 * console.log(t.steps, t.globalNorm, t.deadFraction['layers.3']);
 * ```
 */
export interface MonitorTrends {
  /** The step of each report. */
  readonly steps: readonly number[];
  /** The verdict of each report. */
  readonly verdicts: readonly Verdict[];
  /** ‖g‖ over the whole tree at each report. */
  readonly globalNorm: readonly number[];
  /** ‖g‖ of each layer (tree path) at each report. */
  readonly gradNorm: Readonly<Record<string, readonly number[]>>;
  /** ‖∂L/∂h‖ of each tap at each report (taps with gradients only). */
  readonly tapGradNorm: Readonly<Record<string, readonly number[]>>;
  /** Dead-unit fraction of each tap at each report. */
  readonly deadFraction: Readonly<Record<string, readonly number[]>>;
  /** Saturation fraction of each tap at each report. */
  readonly saturationFraction: Readonly<Record<string, readonly number[]>>;
}

function series(reports: readonly GradientReport[], pick: (r: GradientReport) => [string, number | undefined][]): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  reports.forEach((r, i) => {
    for (const [name, v] of pick(r)) {
      if (v === undefined) continue;
      let s = out[name];
      if (!s) {
        s = new Array(reports.length).fill(Number.NaN);
        out[name] = s;
      }
      s[i] = v;
    }
  });
  return out;
}

/**
 * The series of a list of reports (norms, dead and saturation fractions over steps). A report
 * without a `step` takes its index.
 *
 * @example
 * ```ts
 * const { steps, globalNorm } = reportTrends(JSON.parse(text).reports);
 * ```
 */
export function reportTrends(reports: readonly GradientReport[]): MonitorTrends {
  return {
    steps: reports.map((r, i) => r.step ?? i),
    verdicts: reports.map((r) => r.verdict),
    globalNorm: reports.map((r) => r.globalNorm),
    gradNorm: series(reports, (r) => r.layers.map((l) => [l.name, l.gradNorm])),
    tapGradNorm: series(reports, (r) => r.activations.map((a) => [a.name, a.gradNorm])),
    deadFraction: series(reports, (r) => r.activations.map((a) => [a.name, a.deadFraction])),
    saturationFraction: series(reports, (r) => r.activations.map((a) => [a.name, a.saturationFraction])),
  };
}

/**
 * The trend rule: the global gradient norm grew by at least `trendFactor` from each report to the
 * next over the last `trendReports` report-to-report steps (all finite). Returns the finding, or
 * undefined.
 */
export function growthFinding(previous: readonly GradientReport[], current: GradientReport, th: DiagnosticsThresholds): Finding | undefined {
  const window = [...previous.slice(-th.trendReports), current];
  if (window.length < th.trendReports + 1) return undefined;
  const norms = window.map((r) => r.globalNorm);
  for (let i = 1; i < norms.length; i++) {
    const [a, b] = [norms[i - 1] as number, norms[i] as number];
    if (!(a > 0) || !Number.isFinite(a) || !Number.isFinite(b) || b < th.trendFactor * a) return undefined;
  }
  const first = window[0] as GradientReport;
  const before = new Map(first.layers.map((l) => [l.name, l.gradNorm]));
  let where = '(all layers)';
  let best = 0;
  for (const l of current.layers) {
    const b = before.get(l.name);
    if (b !== undefined && b > 0 && l.gradNorm / b > best) {
      best = l.gradNorm / b;
      where = l.name;
    }
  }
  const steps = window.map((r) => r.step).filter((s) => s !== undefined);
  return {
    kind: 'growingNorm',
    severity: 'error',
    what: `the global gradient norm grew at least ${fmt(th.trendFactor)}× at each of the last ${th.trendReports} reports (${norms.map(fmt).join(' → ')}${
      steps.length === window.length ? `, steps ${steps[0]}–${steps[steps.length - 1]}` : ''
    }); fastest-growing layer: ${where}`,
    where,
    why: 'a norm that multiplies from step to step is exploding even while it is still finite: a few steps later it overflows to Infinity and NaN.',
    toTry: [
      'clip the gradients: chain(clipByGlobalNorm(1), yourOptimizer) (@gradkit/clipping)',
      'lower the learning rate (e.g. ÷10), or warm it up with linearWarmup / warmupCosineDecay (@gradkit/schedules)',
      'add LayerNorm or BatchNorm between the layers (@gradkit/normalization)',
    ],
  };
}

/**
 * Watches gradients over training: each `observe` computes a step's statistics on the device (one
 * pass, one asynchronous readback, like `inspectGradients`), and once they are read back adds the
 * report to `history`, applies the trend rule (a global gradient norm growing ≥ `trendFactor`× per
 * report for `trendReports` reports is `exploding` even while finite), and calls `onReport`.
 * Reports are recorded in observation order. Dead-unit and saturation fractions over time come from
 * the taps (`trends()`).
 *
 * Observing never blocks training: `observe` returns at once (the statistics are queued on the
 * device; the caller may dispose its tensors right away) and its promise resolves later. The monitor
 * holds no tensors between observations.
 *
 * @example
 * ```ts
 * const monitor = new GradientMonitor({ onReport: (r) => r.verdict !== 'healthy' && console.warn(formatText(r)) });
 * for (let step = 0; step < 1000; step++) {
 *   const { result: { value, grads }, taps } = withTaps(valueAndGrad(loss))(params);
 *   if (step % 10 === 0) monitor.observe({ grads, params, taps, step });
 *   opt.step(grads);
 *   tf.dispose([value, grads, taps]);
 * }
 * await monitor.flush();
 * writeFileSync('report.html', toHTML(monitor.history));
 * ```
 */
export class GradientMonitor {
  /** The thresholds the rules use (defaults filled in). */
  readonly thresholds: DiagnosticsThresholds;
  /** Reports kept in `history`. */
  readonly historyLimit: number;
  private readonly activationKinds: ActivationKinds | undefined;
  private readonly onReport: ((report: GradientReport) => void) | undefined;
  private readonly reports: GradientReport[] = [];
  private tail: Promise<unknown> = Promise.resolve();
  private nextStep = 0;
  private pendingCount = 0;

  /**
   * @param options - thresholds (see `DiagnosticsThresholds`), `historyLimit`, `activationKinds`, `onReport`.
   * @throws HyperParameterError naming a threshold out of range or a bad `historyLimit`.
   */
  constructor(options: GradientMonitorOptions = {}) {
    const o = options ?? {};
    this.thresholds = resolveThresholds(o);
    this.historyLimit = o.historyLimit ?? 1000;
    if (!Number.isInteger(this.historyLimit) || this.historyLimit < 1)
      throw new HyperParameterError('historyLimit', `historyLimit must be a whole number ≥ 1, got ${String(o.historyLimit)}`);
    if (o.onReport !== undefined && typeof o.onReport !== 'function') throw new HyperParameterError('onReport', 'onReport must be a function (report) => void');
    this.activationKinds = o.activationKinds;
    this.onReport = o.onReport;
  }

  /** The reports so far, oldest first (at most `historyLimit`). */
  get history(): readonly GradientReport[] {
    return this.reports;
  }

  /** The most recent report, if any. */
  get latest(): GradientReport | undefined {
    return this.reports[this.reports.length - 1];
  }

  /** Observations whose statistics are still being read back. */
  get pending(): number {
    return this.pendingCount;
  }

  /**
   * Queues one step's statistics on the device and returns at once; the promise resolves with the
   * report once it is read back and recorded (trend findings included). The caller may dispose the
   * tensors as soon as this returns.
   *
   * @throws TreeMismatchError / ValueError (synchronously) for inputs that do not fit, as `inspectGradients`.
   */
  observe(input: MonitorObservation): Promise<GradientReport> {
    const step = input.step ?? this.nextStep;
    const launched = launchObservation(
      {
        grads: input.grads,
        ...(input.params === undefined ? {} : { params: input.params }),
        ...(input.updates === undefined ? {} : { updates: input.updates }),
        ...((input.activations ?? input.taps) === undefined ? {} : { activations: input.activations ?? input.taps }),
        ...(this.activationKinds === undefined ? {} : { activationKinds: this.activationKinds }),
        step,
      },
      this.thresholds,
    );
    this.nextStep = step + 1;
    this.pendingCount++;
    const read = finishObservation(launched);
    read.catch(() => undefined); // handled below, in order; this only keeps Node from calling it unhandled early
    const done = this.tail.then(() => read).then((report) => this.record(report));
    const settle = () => {
      this.pendingCount--;
    };
    done.then(settle, settle);
    this.tail = done.catch(() => undefined);
    return done;
  }

  /** Waits until every observation made so far is recorded (or failed). */
  async flush(): Promise<void> {
    let tail: Promise<unknown>;
    do {
      tail = this.tail;
      await tail;
    } while (tail !== this.tail);
  }

  /** The series of the history: steps, norms, dead and saturation fractions (see `reportTrends`). */
  trends(): MonitorTrends {
    return reportTrends(this.reports);
  }

  /** Forgets the history (trend detection starts over). */
  clear(): void {
    this.reports.length = 0;
  }

  private record(report: GradientReport): GradientReport {
    const growth = growthFinding(this.reports, report, this.thresholds);
    const final: GradientReport = growth
      ? (() => {
          const findings = sortFindings([...report.findings, growth]);
          return { ...report, findings, verdict: verdictOf(findings) };
        })()
      : report;
    this.reports.push(final);
    if (this.reports.length > this.historyLimit) this.reports.splice(0, this.reports.length - this.historyLimit);
    this.onReport?.(final);
    return final;
  }
}
