import { checkOptions, describeValue, HyperParameterError, StateError } from '@gradkit/core';
import { checkCallback, checkReports, wholeNumber } from './checks.js';
import { fmt } from './format-number.js';
import type { InspectOptions } from './inspect.js';
import { type ActivationKinds, checkActivationKinds, finishObservation, launchObservation, type ObservationInput } from './observe.js';
import { growingNormRemedies } from './remedies.js';
import type { Finding, GradientReport, Verdict } from './report.js';
import { sortFindings, verdictOf } from './rules.js';
import { type DiagnosticsThresholds, resolveThresholds, THRESHOLD_KEYS } from './thresholds.js';

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
  /**
   * How to read tapped activations (default `'auto'`): one kind for every tap, or kinds by tap name.
   * The set of taps may vary from one observation to the next; a name that is not a tap of the
   * observation, nor of an earlier one, while that observation has taps this object gives no kind,
   * is taken for a misspelling of one of them (UnknownOptionError).
   */
  readonly activationKinds?: ActivationKinds;
  /** Called with every report, in observation order, once its statistics are read back. */
  readonly onReport?: (report: GradientReport) => void;
  /**
   * Milliseconds an observation's `committed` promise may take to settle, from `observe` on. Default
   * 10000. One that has not settled by then is treated as a failed step: its report is not recorded,
   * and its `observe` promise rejects with a StateError naming `committed` (so `flush()` never waits
   * longer than this for it).
   */
  readonly commitTimeout?: number;
}

/** The keys `GradientMonitor`'s options take: every threshold, `historyLimit`, `activationKinds`, `onReport`, `commitTimeout`. */
export const MONITOR_KEYS: readonly string[] = ['historyLimit', 'activationKinds', 'onReport', 'commitTimeout', ...THRESHOLD_KEYS];

/** The longest `commitTimeout` (setTimeout's limit: 2³¹ − 1 ms, about 24.8 days). */
const MAX_TIMEOUT = 2 ** 31 - 1;

/**
 * What `GradientMonitor.observe` looks at: `inspectGradients`'s inputs, with `taps` as another name
 * for `activations`. `step` defaults to one more than the previous observation's (0 first), whatever
 * became of that one; with `committed`, `step` must be given.
 *
 * @example
 * ```ts
 * monitor.observe({ grads, params, taps, step });
 * ```
 */
export interface MonitorObservation extends Pick<InspectOptions, 'params' | 'updates' | 'activations' | 'step' | 'transform'> {
  /** The gradients. */
  readonly grads: ObservationInput['grads'];
  /** Same as `activations` (the `taps` of `withTaps`). */
  readonly taps?: ObservationInput['activations'];
  /**
   * Whether the training step these gradients belong to took effect: resolves true once it did,
   * false when it failed (the `committed` promise an `Optimizer` passes to `update` in
   * `UpdateExtras`). A report whose step failed (false, a rejection, or no answer within the
   * monitor's `commitTimeout`) is neither recorded in `history` nor passed to `onReport`. Absent:
   * the step counts as taken. Requires `step`: a failed step is retried under the same number,
   * which only the caller knows (an `Optimizer`'s step count does not advance on a failure).
   */
  readonly committed?: Promise<boolean>;
}

const OBSERVATION_KEYS = ['grads', 'params', 'updates', 'activations', 'taps', 'step', 'transform', 'committed'];

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
 * @throws ValueError naming `reports` (or the entry) when it is not an array of reports.
 * @example
 * ```ts
 * const { steps, globalNorm } = reportTrends(fromJSON(text) as GradientReport[]);
 * ```
 */
export function reportTrends(reports: readonly GradientReport[]): MonitorTrends {
  checkReports('reports', reports);
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
export function growthFinding(
  previous: readonly GradientReport[],
  current: GradientReport,
  th: DiagnosticsThresholds,
  inChain: readonly string[] = [],
): Finding | undefined {
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
    toTry: growingNormRemedies(current, inChain),
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
  /** Milliseconds an observation's `committed` promise may take to settle (see `GradientMonitorOptions.commitTimeout`). */
  readonly commitTimeout: number;
  private readonly activationKinds: ActivationKinds | undefined;
  private readonly onReport: ((report: GradientReport) => void) | undefined;
  private readonly reports: GradientReport[] = [];
  /** Every tap name observed so far (an `activationKinds` name among them is never a typo). */
  private readonly seenTaps = new Set<string>();
  private tail: Promise<unknown> = Promise.resolve();
  private nextStep = 0;
  private pendingCount = 0;

  /**
   * @param options - thresholds (see `DiagnosticsThresholds`), `historyLimit`, `activationKinds`, `onReport`, `commitTimeout`.
   * @throws UnknownOptionError for an option it does not take (a mistyped threshold: "did you mean");
   *   HyperParameterError naming a threshold out of range, a bad `historyLimit`, `commitTimeout` or
   *   `activationKinds`, or an `onReport` that is not a function.
   */
  constructor(options: GradientMonitorOptions = {}) {
    const o = checkOptions('GradientMonitor', options, MONITOR_KEYS, { example: 'new GradientMonitor({ historyLimit: 500, explodingNorm: 100 })' });
    this.thresholds = resolveThresholds(o);
    this.historyLimit = wholeNumber('historyLimit', o.historyLimit, 1000, 1, 'the reports kept in history');
    this.commitTimeout = wholeNumber('commitTimeout', o.commitTimeout, 10_000, 1, "milliseconds a step's committed promise may take to settle", MAX_TIMEOUT);
    checkCallback('onReport', o.onReport, '(report) => void');
    checkActivationKinds(o.activationKinds);
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
   * @throws TreeMismatchError / ValueError (synchronously) for inputs that do not fit, as
   *   `inspectGradients`; UnknownOptionError for a key it does not take, or an `activationKinds` name
   *   that looks like a misspelt tap name (see `GradientMonitorOptions.activationKinds`).
   */
  observe(input: MonitorObservation & { readonly committed?: undefined }): Promise<GradientReport>;
  /**
   * With `committed` (and `step`): the promise resolves with the recorded report once the step is
   * committed, or with `undefined` when `committed` resolved false (or rejected): the step failed,
   * and its report is neither recorded nor passed to `onReport`. When `committed` has not settled
   * within `commitTimeout` ms, the report is dropped as well and the promise rejects with a
   * StateError naming `committed`.
   *
   * @throws HyperParameterError naming `step` when it is missing, `committed` when it is not a promise.
   */
  observe(input: MonitorObservation): Promise<GradientReport | undefined>;
  observe(input: MonitorObservation): Promise<GradientReport | undefined> {
    const o = checkOptions('GradientMonitor.observe', input, OBSERVATION_KEYS, { example: 'monitor.observe({ grads, params, taps, step })', required: true });
    if (o.activations !== undefined && o.taps !== undefined)
      throw new HyperParameterError('taps', 'give the taps once: as taps or as activations (they are the same input), not both');
    const committed = o.committed;
    if (committed !== undefined && typeof (committed as { then?: unknown } | null)?.then !== 'function')
      throw new HyperParameterError('committed', `committed must be a Promise<boolean> (UpdateExtras.committed), got ${describeValue(committed)}`);
    if (committed !== undefined && o.step === undefined)
      throw new HyperParameterError(
        'step',
        'observe({ committed }) needs the step as well: a failed step is retried under the same number, e.g. monitor.observe({ grads, step: state.count, committed })',
      );
    const step = o.step === undefined ? this.nextStep : o.step;
    const activations = o.activations ?? o.taps;
    const launched = launchObservation(
      {
        grads: o.grads,
        ...(o.params === undefined ? {} : { params: o.params }),
        ...(o.updates === undefined ? {} : { updates: o.updates }),
        ...(activations === undefined ? {} : { activations }),
        ...(this.activationKinds === undefined ? {} : { activationKinds: this.activationKinds }),
        ...(o.transform === undefined ? {} : { transform: o.transform }),
        step,
      },
      this.thresholds,
      this.seenTaps,
    );
    for (const t of launched.meta.taps) this.seenTaps.add(t.name);
    this.nextStep = step + 1;
    this.pendingCount++;
    const read = finishObservation(launched);
    read.catch(() => undefined); // handled below, in order; this only keeps Node from calling it unhandled early
    const took = committed === undefined ? true : settledWithin(committed, this.commitTimeout, step);
    if (took !== true) took.catch(() => undefined); // likewise
    const done = this.tail.then(() => read).then(async (report) => ((await took) ? this.record(report, launched.meta.inChain) : undefined));
    const settle = () => {
      this.pendingCount--;
    };
    done.then(settle, settle);
    this.tail = done.catch(() => undefined);
    return done;
  }

  /**
   * Waits until every observation made so far is recorded, dropped (its step failed) or failed. An
   * observation whose `committed` promise never settles holds it for at most `commitTimeout` ms.
   */
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

  private record(report: GradientReport, inChain: readonly string[]): GradientReport {
    const growth = growthFinding(this.reports, report, this.thresholds, inChain);
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

/**
 * Whether a step was committed: true when `committed` resolves true; false when it resolves
 * anything else or rejects; a StateError naming `committed` when it has not settled within `ms`.
 */
function settledWithin(committed: Promise<boolean>, ms: number, step: number): Promise<boolean> {
  return new Promise<boolean>((resolve, reject) => {
    const timer = setTimeout(
      () =>
        reject(
          new StateError(
            'committed',
            `the committed promise of step ${step} did not settle within ${ms} ms (commitTimeout): its report is dropped. Resolve it with true once the step took effect, false when it failed`,
          ),
        ),
      ms,
    );
    const answer = (ok: boolean) => {
      clearTimeout(timer);
      resolve(ok);
    };
    committed.then(
      (ok) => answer(ok === true),
      () => answer(false),
    );
  });
}
