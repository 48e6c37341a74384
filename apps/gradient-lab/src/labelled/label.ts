// What a labelled run is, what it must be diagnosed as, and how a diagnosis is judged against it.
import type { FindingKind, GradientReport, Verdict } from '@gradkit/diagnostics';

/** A remedy that must not be offered by any finding of the run, and why it is wrong there. */
export interface ForbiddenRemedy {
  /** Matched against every `toTry` entry of every finding of every report. */
  readonly pattern: RegExp;
  /** Why offering it is wrong for this run (shown in the table when it is offered). */
  readonly why: string;
}

/** The correct diagnosis of a run. */
export interface Label {
  /** The run's verdict, as the lab's `summarize` aggregates the reports (the most frequent; non-finite after exploding is exploding). */
  readonly verdict: Verdict;
  /** Finding kinds that at least one report must hold (the cause, named). */
  readonly mustFind?: readonly FindingKind[];
  /** Finding kinds that no report may hold (a wrong explanation of this run). */
  readonly mustNotFind?: readonly FindingKind[];
  /** Remedies that no finding may offer (wrong for this run, in place already, or not the user's API). */
  readonly mustNotOffer?: readonly ForbiddenRemedy[];
  /** Remedies that some finding must offer (the cure of this run), as patterns over the `toTry` strings. */
  readonly mustOffer?: readonly RegExp[];
}

/** Whether a run's training outcome is what its label presumes (a broken run fails to train, a healthy one trains). */
export interface Outcome {
  /** What was measured, e.g. `test accuracy 0.82` or `final loss NaN`. */
  readonly measured: string;
  /** What the label presumes, e.g. `trains: accuracy ≥ 0.5`. */
  readonly expected: string;
  /** Whether the measurement agrees. */
  readonly ok: boolean;
}

/** What one run of a labelled case produced. */
export interface RunResult {
  /** The reports of the gradient monitor, oldest first. */
  readonly reports: readonly GradientReport[];
  /** Whether the loss became NaN or ±Infinity. */
  readonly diverged: boolean;
  /** The training outcome against the label's presumption. */
  readonly outcome: Outcome;
}

/** How a run's diagnosis compares with its label. */
export interface Judgement {
  /** The run's verdict (`summarize`). */
  readonly verdict: Verdict;
  /** Wrong alarms: a non-healthy verdict for a healthy run, a forbidden finding, a forbidden remedy. */
  readonly falseAlarms: readonly string[];
  /** Misses: a broken run called healthy or given another verdict, a required finding or remedy absent. */
  readonly misses: readonly string[];
}

const clip = (s: string, n = 90) => (s.length <= n ? s : `${s.slice(0, n - 1)}…`);

/**
 * Judges a run's reports against its label, with the run verdict `verdict` (from `summarize`).
 * A healthy run given another verdict is a false alarm; a broken run given another verdict is a miss.
 */
export function judge(label: Label, verdict: Verdict, reports: readonly GradientReport[]): Judgement {
  const falseAlarms: string[] = [];
  const misses: string[] = [];
  if (verdict !== label.verdict) (label.verdict === 'healthy' ? falseAlarms : misses).push(`verdict ${verdict}, expected ${label.verdict}`);
  const findings = reports.flatMap((r) => r.findings.map((f) => ({ step: r.step, f })));
  for (const kind of label.mustFind ?? []) if (!findings.some(({ f }) => f.kind === kind)) misses.push(`no ${kind} finding`);
  for (const pattern of label.mustOffer ?? [])
    if (!findings.some(({ f }) => f.toTry.some((t) => pattern.test(t)))) misses.push(`no finding offers ${pattern.source}`);
  for (const kind of label.mustNotFind ?? []) {
    const hit = findings.find(({ f }) => f.kind === kind);
    if (hit) falseAlarms.push(`${kind} at step ${hit.step}: ${clip(hit.f.what)}`);
  }
  for (const { pattern, why } of label.mustNotOffer ?? []) {
    const hit = findings.find(({ f }) => f.toTry.some((t) => pattern.test(t)));
    if (hit) falseAlarms.push(`${hit.f.kind} at step ${hit.step} offers "${clip(hit.f.toTry.find((t) => pattern.test(t)) as string, 70)}" (${why})`);
  }
  return { verdict, falseAlarms, misses };
}

/** One labelled case: a network and its training, its correct diagnosis, and how to run it. */
export interface LabelledCase {
  /** A short id, e.g. `mlp-sigmoid-deep`. */
  readonly id: string;
  /** Whose model: gradkit modules trained as the lab does, or a tfjs-layers model fitted with `gradientCallback`. */
  readonly family: 'gradkit' | 'tfjs-layers';
  /** What the network and its training are, in a line. */
  readonly what: string;
  /** The correct diagnosis. */
  readonly label: Label;
  /** Whether it runs on webgpu too (SwiftShader, the CI's WebGPU, runs ≈ 30× slower than wasm: only the cheapest cases run there). */
  readonly webgpu?: boolean;
  /** Trains one run with `seed`, reporting at each of `everys`; the result per `every`. */
  run(seed: number, everys: readonly number[]): Promise<ReadonlyMap<number, RunResult>>;
}

/** How a run's outcome is judged from its test accuracy and whether it diverged. */
export type OutcomeCheck = (testAccuracy: number, diverged: boolean) => Outcome;

const measured = (testAccuracy: number, diverged: boolean) => (diverged ? 'diverged' : `test accuracy ${testAccuracy.toFixed(2)}`);

/** The check of a run whose label presumes it trains: test accuracy at least `min`. */
export function trainsAbove(min: number): OutcomeCheck {
  return (acc, diverged) => ({ measured: measured(acc, diverged), expected: `trains: accuracy ≥ ${min}`, ok: !diverged && acc >= min });
}

/** The check of a run whose label presumes it fails: diverged, or test accuracy at most `max` (chance is 0.1). */
export function failsBelow(max: number): OutcomeCheck {
  return (acc, diverged) => ({ measured: measured(acc, diverged), expected: `fails: diverges or accuracy ≤ ${max}`, ok: diverged || acc <= max });
}
