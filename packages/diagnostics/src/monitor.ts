import { checkOptions, describeValue, HyperParameterError, StateError } from '@gradkit/core';
import { checkCallback, checkReports, wholeNumber } from './checks.js';
import { fmt } from './format-number.js';
import type { InspectOptions } from './inspect.js';
import { type ActivationKinds, checkActivationKinds, finishObservation, launchObservation, type ObservationInput } from './observe.js';
import { growingNormRemedies, type Remedies, type RunFacts, remediesFor } from './remedies.js';
import type { ActivationKind, Finding, FindingKind, GradientReport, Verdict } from './report.js';
import { type DiagnoseInput, diagnose, EXPLODING_KINDS, sortFindings, verdictOf } from './rules.js';
import { spikeFinding } from './spikes.js';
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
  /** Reports kept in `history` (oldest dropped first). Default 1000. The spike and trend rules read the history: below `spikeWindow` reports the spike rule never fires. */
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
  /**
   * The training loss at this step (recorded as `report.loss`): a number, or a promise of one, so
   * that reading a loss tensor back never blocks the step (`loss.data().then((d) => d[0])`). The
   * spike rule compares it with the previous `spikeWindow` reports' (z = (L − mean)/std > `spikeZ`:
   * a `lossSpike` warning), and the trend rule does not call a window whose loss fell exploding. A
   * NaN or ±Infinity loss is recorded as it is (no z-score). A promise that rejects, or has not
   * settled `commitTimeout` ms after the step's statistics were read back, leaves the report
   * without a loss. Keras logs the same number
   * as `logs.loss` in `onBatchEnd`.
   */
  readonly loss?: number | PromiseLike<number>;
  /**
   * The learning rate of this step (a schedule's value at it; `Optimizer.hyperParams()` shows it),
   * a finite number ≥ 0. The monitor keeps the largest so far: while the rate is at most half of
   * that peak (a schedule decaying, e.g. the end of `oneCycle`), updates below `minUpdateRatio` are
   * the schedule's doing and not a `smallUpdates` finding. PyTorch: `optimizer.param_groups[0]['lr']`.
   */
  readonly learningRate?: number;
}

const OBSERVATION_KEYS = ['grads', 'params', 'updates', 'activations', 'taps', 'step', 'transform', 'committed', 'loss', 'learningRate'];

/** What the diagnostics know of the model besides the observation (from `gradientCallback`); internal. */
export interface ObservationExtras {
  /** The model's facts: its API, what it has in place, its output taps. */
  readonly facts?: RunFacts;
  /** Kinds of this observation's taps (a probe's, from the layers' activation configs); the monitor's own `activationKinds` take precedence. */
  readonly activationKinds?: Readonly<Record<string, ActivationKind | 'auto'>>;
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
 * The trend rule, per optimizer step: over the latest reports reaching back at least `trendReports`
 * steps (every report counts: at `every: 1` that is `trendReports` + 1 reports, at `every: 5` two
 * reports 5 steps apart), the global gradient norm grew by at least `trendFactor` per step between
 * each report and the next (a factor of `trendFactor`^Δstep), all finite, from a norm at least
 * `vanishingNorm`; and the loss, when the reports at both ends know it, did not fall. So the same run gets the same finding whatever
 * `every` is. Returns the finding, or undefined.
 */
export function growthFinding(
  previous: readonly GradientReport[],
  current: GradientReport,
  th: DiagnosticsThresholds,
  inChain: readonly string[] = [],
  facts: RunFacts = {},
): Finding | undefined {
  const window = trendWindow(previous, current, th.trendReports);
  if (window === undefined) return undefined;
  const norms = window.map((r) => r.globalNorm);
  // Growth from below vanishingNorm is a recovery from (about) zero, such as a fit batch's, not an explosion.
  if (!((norms[0] as number) >= th.vanishingNorm)) return undefined;
  for (let i = 1; i < window.length; i++) {
    const [a, b] = [norms[i - 1] as number, norms[i] as number];
    const steps = stepOf(window[i] as GradientReport, i) - stepOf(window[i - 1] as GradientReport, i - 1);
    if (!(a > 0) || !Number.isFinite(a) || !Number.isFinite(b) || b < th.trendFactor ** steps * a) return undefined;
  }
  const first = window[0] as GradientReport;
  if (first.loss !== undefined && current.loss !== undefined && current.loss < first.loss) return undefined; // training still improves
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
  const span = stepOf(current, window.length - 1) - stepOf(first, 0);
  return {
    kind: 'growingNorm',
    severity: 'error',
    what: `the global gradient norm grew at least ${fmt(th.trendFactor)}× per step over the last ${span} steps (${norms.map(fmt).join(' → ')}${
      window.every((r) => r.step !== undefined) ? `, steps ${first.step}–${current.step}` : ''
    }); fastest-growing layer: ${where}`,
    where,
    why: 'a norm that multiplies from step to step is exploding even while it is still finite: a few steps later it overflows to Infinity and NaN.',
    toTry: growingNormRemedies(current, inChain, facts),
  };
}

/** A report's step, or its index in the window when it has none. */
const stepOf = (r: GradientReport, i: number) => r.step ?? i;

/** The latest reports (ending with `current`) reaching back at least `span` steps, or undefined when the history does not reach that far. */
function trendWindow(previous: readonly GradientReport[], current: GradientReport, span: number): GradientReport[] | undefined {
  if (current.step === undefined) {
    const window = [...previous.slice(-span), current];
    return window.length === span + 1 ? window : undefined;
  }
  const window = [current];
  for (let i = previous.length - 1; i >= 0; i--) {
    const r = previous[i] as GradientReport;
    if (r.step === undefined || r.step >= (window[0]?.step as number)) return undefined; // out of order: no trend
    window.unshift(r);
    if (current.step - r.step >= span) return window;
  }
  return undefined;
}

/**
 * Watches gradients over training: each `observe` computes a step's statistics on the device (one
 * pass, one asynchronous readback, like `inspectGradients`), and once they are read back adds the
 * report to `history`, applies the rules over time, and calls `onReport`: the trend rule (a global
 * gradient norm growing ≥ `trendFactor`× per optimizer step over `trendReports` steps is `exploding`
 * even while finite), the spike rule (a loss or gradient norm far above the previous `spikeWindow`
 * reports': a `lossSpike` warning), and the schedule rule (no small-updates finding while the
 * observed `learningRate` is at most half its peak so far).
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
    return this.observeWith(input, {});
  }

  /**
   * `observe` with what the caller knows of the model (`gradientCallback`'s facts about a tfjs-layers model).
   *
   * @internal
   */
  observeWith(input: MonitorObservation, extras: ObservationExtras): Promise<GradientReport | undefined> {
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
    checkLoss(o.loss);
    checkLearningRate(o.learningRate);
    const step = o.step === undefined ? this.nextStep : o.step;
    const activations = o.activations ?? o.taps;
    const own = this.activationKinds;
    const kinds = extras.activationKinds === undefined || typeof own === 'string' ? own : { ...extras.activationKinds, ...own };
    const launched = launchObservation(
      {
        grads: o.grads,
        ...(o.params === undefined ? {} : { params: o.params }),
        ...(o.updates === undefined ? {} : { updates: o.updates }),
        ...(activations === undefined ? {} : { activations }),
        ...(kinds === undefined ? {} : { activationKinds: kinds }),
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
    // A promised loss is waited for from the moment the statistics are read back (both wait for the same device work).
    const promised = o.loss === undefined || typeof o.loss === 'number' ? undefined : settledLoss(o.loss);
    const ms = this.commitTimeout;
    const loss = () => (promised === undefined ? (o.loss as number | undefined) : within(promised, ms));
    const learningRate = o.learningRate;
    const done = this.tail
      .then(() => read)
      .then(async (report) => {
        const ok = await took;
        return ok ? this.record(report, { inChain: launched.meta.inChain, facts: extras.facts, loss: await loss(), learningRate }) : undefined;
      });
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

  /** Forgets the history (trend and spike detection start over) and the learning rate's peak. */
  clear(): void {
    this.reports.length = 0;
    this.peakLearningRate = 0;
    this.rate = {};
  }

  /** The largest learning rate observed since the last `clear()`. */
  private peakLearningRate = 0;

  /**
   * The rate as the cause of an explosion: `suspect` is the step of the latest report whose updates
   * were too large while its gradients were not exploding; `blamed` is set when the next report
   * explodes, and both last while the run stays large-updated or exploding (a report with neither
   * clears them: an adaptive optimizer's large first step followed by healthy steps is no cause).
   */
  private rate: { suspect?: number; blamed?: number } = {};

  /** The findings of `report`, with the rate blamed for its explosion when the reports before it show the rate too high. */
  private rateCause(report: GradientReport, remedies: () => Remedies): readonly Finding[] {
    const exploding = report.findings.some(consequence);
    const large = report.findings.some((f) => f.kind === 'largeUpdates');
    if (exploding && this.rate.suspect !== undefined) this.rate.blamed ??= this.rate.suspect;
    else if (!exploding && large) this.rate = { suspect: report.step ?? this.reports.length };
    else if (!exploding) this.rate = {};
    return this.rate.blamed === undefined || !exploding ? report.findings : blameTheRate(report.findings, this.rate.blamed, remedies().blownUp);
  }

  private record(report: GradientReport, context: RecordContext): GradientReport {
    const { inChain, facts, loss, learningRate } = context;
    if (learningRate !== undefined) this.peakLearningRate = Math.max(this.peakLearningRate, learningRate);
    const schedule = learningRate === undefined ? undefined : { learningRate, peak: this.peakLearningRate };
    const rediagnosed = loss === undefined && schedule === undefined && facts === undefined ? report : rediagnose(report, { inChain, facts, schedule, loss });
    const extra = [growthFinding(this.reports, rediagnosed, this.thresholds, inChain, facts)];
    const remedies = () => remediesFor(rediagnosed.layers, rediagnosed.activations, inChain, facts);
    extra.push(spikeFinding(this.reports, rediagnosed, this.thresholds, remedies()));
    const added = extra.filter((f): f is Finding => f !== undefined);
    const blamed = this.rateCause(rediagnosed, remedies);
    const final: GradientReport =
      added.length === 0 && blamed === rediagnosed.findings
        ? rediagnosed
        : (() => {
            const findings = sortFindings([...blamed, ...added]);
            return { ...rediagnosed, findings, verdict: verdictOf(findings) };
          })();
    this.reports.push(final);
    if (this.reports.length > this.historyLimit) this.reports.splice(0, this.reports.length - this.historyLimit);
    this.onReport?.(final);
    return final;
  }
}

/**
 * The findings a rate too high causes: non-finite values, exploding gradients and activations (not
 * the through-time and attention findings, whose remedies are their own). Large updates without
 * them mean a rate too high; with them, the cause is the gradients (gradient-lab's `exploding`, where
 * a lower rate does not help: `exploding-lr`).
 */
const consequence = (f: Finding) => f.kind === 'nonfinite' || (EXPLODING_KINDS.includes(f.kind) && !SEQUENCE_KINDS.includes(f.kind));

/**
 * Once the rate was seen too high (at step `since`), what follows (exploding or non-finite values,
 * exploded activations) is its consequence: those findings get the lower rate first and lose the
 * clipping remedy, which does not rescue a rate this high (gradient-lab's `large-lr-clip` learns
 * nothing, 9.9%, and `large-lr-warmup` turns NaN, where the same net at the usual rate trains:
 * `large-lr` against `relu-he`). `blownUp`: the remedies of weights a rate drove to extremes.
 */
function blameTheRate(findings: readonly Finding[], since: number, blownUp: readonly string[]): readonly Finding[] {
  const why = ` The updates were already too large at step ${since}, before the gradients exploded: the learning rate is the cause.`;
  // A small-updates finding beside them takes their remedies (see the rules), so it follows them.
  return findings.map((f) => (consequence(f) || f.kind === 'smallUpdates' ? { ...f, why: `${f.why}${why}`, toTry: [...blownUp] } : f));
}

/** The findings of the temporal and attention rules, whose inputs (e.g. attention entropies) the report keeps only as its results. */
const SEQUENCE_KINDS: readonly FindingKind[] = ['explodingThroughTime', 'vanishingThroughTime', 'attentionLogitGrowth'];

/**
 * The rules again, with what only the monitor knows (the loss, the schedule, the model's facts); the
 * temporal and attention results and findings are the report's own (their inputs are not all in it).
 */
function rediagnose(report: GradientReport, extra: Pick<DiagnoseInput, 'inChain' | 'facts' | 'schedule' | 'loss'>): GradientReport {
  const fresh = diagnose({ ...report, ...extra });
  const findings = sortFindings([
    ...fresh.findings.filter((f) => !SEQUENCE_KINDS.includes(f.kind)),
    ...report.findings.filter((f) => SEQUENCE_KINDS.includes(f.kind)),
  ]);
  const { temporal, attention } = report;
  return {
    ...fresh,
    findings,
    verdict: verdictOf(findings),
    ...(temporal === undefined ? {} : { temporal }),
    ...(attention === undefined ? {} : { attention }),
  };
}

/** What `record` knows besides the report. */
interface RecordContext {
  readonly inChain: readonly string[];
  readonly facts: RunFacts | undefined;
  readonly loss: number | undefined;
  readonly learningRate: number | undefined;
}

/** Throws a HyperParameterError naming `loss` unless it is absent, a number or a promise. */
function checkLoss(loss: unknown): void {
  if (loss === undefined || typeof loss === 'number' || typeof (loss as { then?: unknown } | null)?.then === 'function') return;
  const tensor = loss !== null && typeof loss === 'object' && 'dataId' in loss;
  throw new HyperParameterError(
    'loss',
    `loss must be a number or a promise of one, got ${describeValue(loss)}${tensor ? ': read the tensor without blocking, loss: lossTensor.data().then((d) => d[0])' : ''}`,
  );
}

/** Throws a HyperParameterError naming `learningRate` unless it is absent or a finite number ≥ 0. */
function checkLearningRate(rate: unknown): void {
  if (rate === undefined) return;
  if (typeof rate !== 'number' || !Number.isFinite(rate) || rate < 0)
    throw new HyperParameterError('learningRate', `learningRate must be a finite number ≥ 0 (this step's rate), got ${describeValue(rate)}`);
}

/** The loss a promise resolves to, or undefined when it rejects or resolves to something else than a number (never rejects). */
function settledLoss(loss: PromiseLike<number>): Promise<number | undefined> {
  return Promise.resolve(loss).then(
    (v) => (typeof v === 'number' ? v : undefined),
    () => undefined,
  );
}

/** What `value` resolves to, or undefined when that takes longer than `ms`. */
function within<T>(value: Promise<T | undefined>, ms: number): Promise<T | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), ms);
    value.then((v) => {
      clearTimeout(timer);
      resolve(v);
    });
  });
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
