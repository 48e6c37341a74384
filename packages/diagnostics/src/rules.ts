// The diagnosis rules (see DiagnosticsThresholds for the documented version): a verdict and findings
// from per-layer and per-activation statistics. Pure host code over plain numbers.

import { attentionFindings, attentionStats } from './attention.js';
import { fmt, pct } from './format-number.js';
import { type ForwardGrowth, forwardFindings, forwardGrowth } from './forward.js';
import { type Remedies, type RunFacts, remediesFor } from './remedies.js';
import type { ActivationReport, Finding, FindingKind, GradientReport, LayerReport, Verdict } from './report.js';
import { isDepthTap } from './tap-names.js';
import { temporalFindings, temporalProfiles } from './temporal.js';
import type { DiagnosticsThresholds } from './thresholds.js';

/** The inputs of `diagnose`: everything of a report except the verdict and findings. */
export interface DiagnoseInput {
  readonly step?: number | undefined;
  readonly globalNorm: number;
  readonly layers: readonly LayerReport[];
  readonly activations: readonly ActivationReport[];
  readonly thresholds: DiagnosticsThresholds;
  readonly backend: string;
  /** The names of the transformations of the chain training runs (its remedies are not offered again); empty when unknown. */
  readonly inChain?: readonly string[];
  /** What is known of the model beyond the taps (a tfjs-layers model's layers, initializers, optimizer; the API to phrase remedies in). */
  readonly facts?: RunFacts | undefined;
  /** The learning rate at this step and its largest value so far (a monitor's): a schedule's own decay is not a small-updates finding. */
  readonly schedule?: { readonly learningRate: number; readonly peak: number } | undefined;
  /** The training loss at this step, recorded in the report. */
  readonly loss?: number | undefined;
}

/** A learning rate at most this fraction of its peak so far is a schedule's decay: small updates are then the schedule's, not a finding. */
export const SCHEDULE_DECAYED = 0.5;

/** ‖g_first‖/‖g_last‖ over the weight layers (all layers when fewer than two have rank ≥ 2). */
export function depthProfile(layers: readonly LayerReport[]): { first: LayerReport; last: LayerReport; ratio: number | undefined } | undefined {
  const weights = layers.filter((l) => l.isWeight);
  const pool = weights.length >= 2 ? weights : layers;
  if (pool.length < 2) return undefined;
  const first = pool[0] as LayerReport;
  const last = pool[pool.length - 1] as LayerReport;
  const ratio = last.gradNorm > 0 && Number.isFinite(first.gradNorm) && Number.isFinite(last.gradNorm) ? first.gradNorm / last.gradNorm : undefined;
  return { first, last, ratio };
}

const list = (names: readonly string[], max = 5) =>
  names.length <= max ? names.join(', ') : `${names.slice(0, max).join(', ')} and ${names.length - max} more`;

function nonFiniteFindings(layers: readonly LayerReport[], activations: readonly ActivationReport[], remedies: Remedies): Finding[] {
  const grads = layers.filter((l) => l.nonFinite > 0);
  const params = layers.filter((l) => l.paramNorm !== undefined && !Number.isFinite(l.paramNorm));
  const acts = activations.filter((a) => a.nonFinite > 0 || (a.gradNonFinite ?? 0) > 0);
  const toTry = remedies.nonfinite;
  const why = 'a NaN or Infinity in one step spreads to every parameter it touches and training cannot recover from it.';
  const out: Finding[] = [];
  if (grads.length > 0) {
    const first = grads[0] as LayerReport;
    out.push({
      kind: 'nonfinite',
      severity: 'error',
      what: `${first.nonFinite} of ${first.size} gradient values are NaN or ±Infinity in ${first.name} (the first such layer, input to output; affected: ${list(grads.map((l) => l.name))})`,
      where: first.name,
      why,
      toTry,
    });
  }
  if (params.length > 0) {
    const first = params[0] as LayerReport;
    out.push({
      kind: 'nonfinite',
      severity: 'error',
      what: `the parameters of ${first.name} are not finite (‖θ‖ = ${fmt(first.paramNorm)}; affected: ${list(params.map((l) => l.name))})`,
      where: first.name,
      why: `${why} The parameters were already damaged by an earlier step.`,
      toTry,
    });
  }
  if (acts.length > 0) {
    const first = acts[0] as ActivationReport;
    const inForward = first.nonFinite > 0;
    out.push({
      kind: 'nonfinite',
      severity: 'error',
      what: `${inForward ? `${first.nonFinite} activation values` : `${first.gradNonFinite} values of ∂L/∂h`} are NaN or ±Infinity at tap ${first.name} (the first such tap; affected: ${list(acts.map((a) => a.name))})`,
      where: first.name,
      why: inForward
        ? `${why} In the forward pass they come from parameters an earlier step damaged, from the input data, or from log(0), a division by zero or the square root of a negative in the model or the loss (add an epsilon there).`
        : why,
      toTry,
    });
  }
  return out;
}

function explodingFindings(input: DiagnoseInput, depth: ReturnType<typeof depthProfile>, tapDepth: TapDepth | undefined, remedies: Remedies): Finding[] {
  const { layers, thresholds: th } = input;
  const out: Finding[] = [];
  const why = 'steps this large overshoot: the loss jumps or diverges, and values soon overflow to Infinity and NaN (Pascanu et al. 2013).';
  const toTry = remedies.exploding;
  const big = layers.filter((l) => l.gradNorm > th.explodingNorm);
  if (big.length > 0) {
    const worst = big.reduce((a, b) => (b.gradNorm > a.gradNorm ? b : a));
    out.push({
      kind: 'exploding',
      severity: 'error',
      what: `the gradient norm of ${worst.name} is ${fmt(worst.gradNorm)}, above explodingNorm = ${fmt(th.explodingNorm)} (${big.length} of ${layers.length} layers are above it)`,
      where: worst.name,
      why,
      toTry,
    });
  }
  if (depth?.ratio !== undefined && depth.ratio > th.explodingRatio) {
    out.push({
      kind: 'exploding',
      severity: 'error',
      what: `the gradient norm grows ${fmt(depth.ratio)}× from the last weight layer ${depth.last.name} (${fmt(depth.last.gradNorm)}) to the first ${depth.first.name} (${fmt(depth.first.gradNorm)}), above explodingRatio = ${fmt(th.explodingRatio)}`,
      where: `${depth.first.name} … ${depth.last.name}`,
      why,
      toTry,
    });
  }
  if (tapDepth !== undefined && tapDepth.ratio > th.explodingRatio) {
    out.push({
      kind: 'exploding',
      severity: 'error',
      what: `‖∂L/∂h‖ grows ${fmt(tapDepth.ratio)}× from the last tapped layer ${tapDepth.last.name} to the first ${tapDepth.first.name}, above explodingRatio = ${fmt(th.explodingRatio)}`,
      where: `${tapDepth.first.name} … ${tapDepth.last.name}`,
      why,
      toTry,
    });
  }
  return out;
}

function vanishingFindings(
  input: DiagnoseInput,
  depth: ReturnType<typeof depthProfile>,
  tapDepth: TapDepth | undefined,
  growth: ForwardGrowth | undefined,
  remedies: Remedies,
): Finding[] {
  const { layers, thresholds: th } = input;
  const out: Finding[] = [];
  const why =
    'the layers near the input receive almost no gradient, so they barely learn: the network trains as if only its last layers existed (Glorot & Bengio 2010; Hochreiter 1991).';
  const toTry = remedies.vanishing;
  if (depth?.ratio !== undefined && depth.ratio < th.vanishingRatio) {
    out.push({
      kind: 'vanishing',
      severity: 'error',
      what: `the first weight layer ${depth.first.name} gets a gradient ${fmt(depth.ratio)}× the last one's (${depth.last.name}: ${fmt(depth.first.gradNorm)} vs ${fmt(depth.last.gradNorm)}), below vanishingRatio = ${fmt(th.vanishingRatio)}`,
      where: `${depth.first.name} … ${depth.last.name}`,
      why,
      toTry,
    });
  }
  if (tapDepth !== undefined && tapDepth.ratio < th.vanishingRatio) {
    out.push({
      kind: 'vanishing',
      severity: 'error',
      what: `‖∂L/∂h‖ at the first tapped layer ${tapDepth.first.name} is ${fmt(tapDepth.ratio)}× that at the last ${tapDepth.last.name}, below vanishingRatio = ${fmt(th.vanishingRatio)}`,
      where: `${tapDepth.first.name} … ${tapDepth.last.name}`,
      why,
      toTry,
    });
  }
  const weights = layers.filter((l) => l.isWeight);
  const pool = weights.length > 0 ? weights : layers;
  // A loss of (about) zero has (about) zero gradients: the batch is fit, nothing vanished.
  const converged = input.loss !== undefined && Number.isFinite(input.loss) && Math.abs(input.loss) < CONVERGED_LOSS;
  if (!converged && pool.every((l) => l.gradNorm < th.vanishingNorm)) {
    const largest = pool.reduce((a, b) => (b.gradNorm > a.gradNorm ? b : a));
    const what = `every weight layer's gradient norm is below vanishingNorm = ${fmt(th.vanishingNorm)} (largest: ${largest.name}, ${fmt(largest.gradNorm)})`;
    const where = list(
      pool.map((l) => l.name),
      3,
    );
    const explained = zeroGradientCause(input, growth, remedies, what, where);
    if (explained !== undefined) out.push(explained);
    else
      out.push({
        kind: 'vanishing',
        severity: 'error',
        what,
        where,
        why: `${why} When every gradient is this small, the loss does not depend on the weights (dead units, saturation, or a loss that does not use the output)${
          input.facts?.dialect === 'layers' && input.activations.length === 0
            ? ": give gradientCallback a probe (a batch of inputs, probe: xs) to see which: it reads every layer's output"
            : ''
        }.`,
        toTry,
      });
  }
  return out;
}

/** The hidden taps (not the network's outputs) and the output taps, by `facts.outputs`. */
function splitOutputs(input: DiagnoseInput): { hidden: ActivationReport[]; outputs: ActivationReport[] } {
  const names = input.facts?.outputs ?? [];
  return { hidden: input.activations.filter((a) => !names.includes(a.name)), outputs: input.activations.filter((a) => names.includes(a.name)) };
}

/**
 * Why every weight gradient is (almost) exactly zero, when the taps say it: the activations exploded,
 * or the network's output saturated (a loss that clips probabilities then has a zero gradient): both
 * `exploding` (weights driven to extremes; a lower learning rate first when the output saturated);
 * or the hidden units are dead or saturated: `vanishing`, with the remedies of dead units or
 * saturation. Undefined when the taps show none of these.
 */
function zeroGradientCause(input: DiagnoseInput, growth: ForwardGrowth | undefined, remedies: Remedies, what: string, where: string): Finding | undefined {
  const th = input.thresholds;
  const { hidden, outputs } = splitOutputs(input);
  if (growth !== undefined && growth.grown.length > 0)
    return {
      kind: 'exploding',
      severity: 'error',
      what: `${what}, while the activations explode: their standard deviation grows ${fmt(growth.ratio)}× from ${growth.first.name} to ${growth.worst.name}`,
      where,
      why: "the gradient is zero because the forward signal exploded, not because it vanished: the outputs saturate, and a loss that clips probabilities to [ε, 1 − ε] (as tfjs-layers' crossentropies do) has an exactly zero gradient there. Fix the scale of the signal.",
      toTry: remedies.exploding,
    };
  const saturatedOutput = outputs.find((a) => a.saturationFraction > th.saturationFraction);
  if (saturatedOutput !== undefined)
    return {
      kind: 'exploding',
      severity: 'error',
      what: `${what}, while ${pct(saturatedOutput.saturationFraction)} of the network's outputs ${saturatedOutput.name} are within ${fmt(th.saturationMargin)} of 0 or 1`,
      where: `${where}; ${saturatedOutput.name}`,
      why: "the gradient is zero because the output saturated and the loss clips: a loss that clips probabilities to [ε, 1 − ε] (as tfjs-layers' crossentropies do) has an exactly zero gradient wherever they are clipped. Weights that push every output to 0 or 1 were driven to extremes, usually by a learning rate far too high (or weights initialized too large): the gradients did not vanish, the weights blew up.",
      toTry: remedies.blownUp,
    };
  // Dead or saturated hidden units: the worst tap, its fraction, the reason.
  const units = (
    affected: readonly ActivationReport[],
    fraction: (a: ActivationReport) => number,
    seen: (a: ActivationReport) => string,
    why: string,
    toTry: readonly string[],
  ) => {
    if (affected.length === 0) return undefined;
    const worst = affected.reduce((a, b) => (fraction(b) > fraction(a) ? b : a));
    return {
      kind: 'vanishing' as const,
      severity: 'error' as const,
      what: `${what}, because ${seen(worst)} (layers affected: ${list(affected.map((a) => a.name))})`,
      where: `${where}; ${worst.name}`,
      why: why.replace('$kind', worst.kind),
      toTry,
    };
  };
  return (
    units(
      hidden.filter((a) => a.deadFraction > th.deadUnitFraction),
      (a) => a.deadFraction,
      (a) => `${pct(a.deadFraction)} of the units of ${a.name} are dead (never > 0 over the batch)`,
      'the gradient is zero because the units are dead: no gradient passes a ReLU unit that is never active, so nothing reaches the weights before it and those units never recover.',
      remedies.deadUnits,
    ) ??
    units(
      hidden.filter((a) => a.saturationFraction > th.saturationFraction),
      (a) => a.saturationFraction,
      (a) => `${pct(a.saturationFraction)} of the outputs of ${a.name} (${a.kind}) are saturated`,
      'the gradient is zero because the units are saturated: a saturated $kind has a derivative near 0, so almost no gradient flows through it.',
      remedies.saturation,
    )
  );
}

/**
 * The warnings: dead units, saturation, update-to-parameter ratios. Updates that are too large or
 * too small are a symptom when the report has exploding (or non-finite) or vanishing gradients: then
 * they get that finding's remedies (a lower learning rate does not stop exploding gradients, nor do
 * larger steps make a vanishing net learn: gradient-lab's `exploding-lr`, `schedule` and `adam`).
 */
function warningFindings(input: DiagnoseInput, remedies: Remedies, errors: readonly Finding[]): Finding[] {
  const { layers, thresholds: th } = input;
  // The network's outputs are probabilities: their saturation is a confident prediction, and the loss sees to its gradient.
  const activations = splitOutputs(input).hidden;
  const out: Finding[] = [];
  const dead = activations.filter((a) => a.deadFraction > th.deadUnitFraction);
  if (dead.length > 0) {
    const worst = dead.reduce((a, b) => (b.deadFraction > a.deadFraction ? b : a));
    out.push({
      kind: 'deadUnits',
      severity: 'warning',
      what: `${pct(worst.deadFraction)} of the units of ${worst.name} are dead (never > 0 over the batch), above deadUnitFraction = ${pct(th.deadUnitFraction)}; layers affected: ${list(dead.map((a) => a.name))}`,
      where: worst.name,
      why: 'a ReLU unit that is never active passes no gradient, so it never recovers: the layer has lost that capacity.',
      toTry: remedies.deadUnits,
    });
  }
  const saturated = activations.filter((a) => a.saturationFraction > th.saturationFraction);
  if (saturated.length > 0) {
    const worst = saturated.reduce((a, b) => (b.saturationFraction > a.saturationFraction ? b : a));
    out.push({
      kind: 'saturation',
      severity: 'warning',
      what: `${pct(worst.saturationFraction)} of the outputs of ${worst.name} (${worst.kind}) are within ${fmt(th.saturationMargin)} of its bounds, above saturationFraction = ${pct(th.saturationFraction)}; layers affected: ${list(saturated.map((a) => a.name))}`,
      where: worst.name,
      why: `a saturated ${worst.kind} has a derivative near 0, so almost no gradient flows through it.`,
      toTry: remedies.saturation,
    });
  }
  const ratios = layers.filter((l) => l.isWeight && l.updateRatio !== undefined && Number.isFinite(l.updateRatio));
  const large = ratios.filter((l) => (l.updateRatio as number) > th.maxUpdateRatio);
  const cause = (['nonfinite', 'exploding'] as const).find((kind) => errors.some((f) => f.kind === kind));
  if (large.length > 0) {
    const worst = large.reduce((a, b) => ((b.updateRatio as number) > (a.updateRatio as number) ? b : a));
    out.push({
      kind: 'largeUpdates',
      severity: 'warning',
      what: `the update of ${worst.name} is ${fmt(worst.updateRatio)} of its weights (‖u‖/‖θ‖), above maxUpdateRatio = ${fmt(th.maxUpdateRatio)}; layers affected: ${list(large.map((l) => l.name))}`,
      where: worst.name,
      why: `a step that changes the weights by more than a few percent rewrites what the layer learned; training becomes unstable (a ratio near 1e-3 is typical).${
        cause === undefined ? '' : ` Here they come with ${cause} gradients, which a lower learning rate does not cure: see that finding.`
      }`,
      toTry: cause === undefined ? remedies.largeUpdates : remedies[cause],
    });
  }
  const small = ratios.filter((l) => (l.updateRatio as number) < th.minUpdateRatio);
  const schedule = input.schedule;
  const decayed = schedule !== undefined && schedule.learningRate <= SCHEDULE_DECAYED * schedule.peak;
  const [error] = sortFindings(errors);
  if (small.length > 0 && !decayed) {
    const worst = small.reduce((a, b) => ((b.updateRatio as number) < (a.updateRatio as number) ? b : a));
    const because =
      error === undefined ? undefined : VANISHING_KINDS.includes(error.kind) ? 'vanishing' : error.kind === 'nonfinite' ? 'non-finite' : 'exploding';
    out.push({
      kind: 'smallUpdates',
      severity: 'warning',
      what: `the update of ${worst.name} is only ${fmt(worst.updateRatio)} of its weights (‖u‖/‖θ‖), below minUpdateRatio = ${fmt(th.minUpdateRatio)}; layers affected: ${list(small.map((l) => l.name))}`,
      where: worst.name,
      why: `float32 resolves about 6e-8 of a value: updates this small are rounded away and the layer does not learn.${
        because === undefined
          ? ''
          : ` Here they come with ${because} gradients: larger steps (a higher or scheduled learning rate, an adaptive optimizer) do not cure that; see that finding.`
      }`,
      toTry: error === undefined ? remedies.smallUpdates : error.toTry,
    });
  }
  return out;
}

interface TapDepth {
  readonly first: ActivationReport;
  readonly last: ActivationReport;
  readonly ratio: number;
}

/** ‖∂L/∂h_first‖/‖∂L/∂h_last‖ over the taps that recorded a gradient (undefined with fewer than two, or a zero/non-finite last). */
export function tapDepthProfile(activations: readonly ActivationReport[]): TapDepth | undefined {
  const withGrad = activations.filter((a) => a.gradNorm !== undefined && isDepthTap(a.name));
  if (withGrad.length < 2) return undefined;
  const first = withGrad[0] as ActivationReport;
  const last = withGrad[withGrad.length - 1] as ActivationReport;
  const [a, b] = [first.gradNorm as number, last.gradNorm as number];
  if (!(b > 0) || !Number.isFinite(a) || !Number.isFinite(b)) return undefined;
  return { first, last, ratio: a / b };
}

/** The finding kinds that make the verdict `exploding`. */
export const EXPLODING_KINDS: readonly FindingKind[] = ['exploding', 'growingNorm', 'explodingActivations', 'explodingThroughTime', 'attentionLogitGrowth'];
/** The finding kinds that make the verdict `vanishing`. */
export const VANISHING_KINDS: readonly FindingKind[] = ['vanishing', 'vanishingThroughTime'];

/** The verdict implied by a list of findings (first by precedence: nonfinite, exploding/growingNorm, vanishing). */
export function verdictOf(findings: readonly Finding[]): Verdict {
  if (findings.some((f) => f.kind === 'nonfinite')) return 'nonfinite';
  if (findings.some((f) => EXPLODING_KINDS.includes(f.kind))) return 'exploding';
  if (findings.some((f) => VANISHING_KINDS.includes(f.kind))) return 'vanishing';
  return 'healthy';
}

/** Orders findings: errors by verdict precedence first, then warnings. */
export function sortFindings(findings: readonly Finding[]): Finding[] {
  const rank = (f: Finding) => (f.kind === 'nonfinite' ? 0 : EXPLODING_KINDS.includes(f.kind) ? 1 : VANISHING_KINDS.includes(f.kind) ? 2 : 3);
  return [...findings].sort((a, b) => rank(a) - rank(b));
}

/**
 * Below this training loss a report whose every gradient is below `vanishingNorm` is a fit batch, not
 * vanishing gradients (measured: a transformer trained by Muon reached a float32 loss of exactly 0 at
 * step 180, with gradients of 2.6e-9).
 */
const CONVERGED_LOSS = 1e-6;

/** Applies every rule: the report with its verdict and findings. */
export function diagnose(input: DiagnoseInput): GradientReport {
  const depth = depthProfile(input.layers);
  const tapDepth = tapDepthProfile(input.activations);
  const remedies = remediesFor(input.layers, input.activations, input.inChain ?? [], input.facts);
  // A tfjs-layers model with BatchNormalization is probed in inference mode, where the layers use their
  // moving statistics (near mean 0, variance 1 early in training), not the batch's: the probe then shows
  // growth that training normalizes away, so the forward rule does not judge it.
  const growth = input.facts?.batchNorm === true ? undefined : forwardGrowth(splitOutputs(input).hidden, input.thresholds);
  const temporal = temporalProfiles(input);
  const attention = attentionStats(input);
  const nonfinite = nonFiniteFindings(input.layers, input.activations, remedies);
  // With non-finite values the norms are NaN/Infinity and the depth rules say nothing useful.
  const errors = [
    ...nonfinite,
    ...(nonfinite.length > 0
      ? []
      : [
          ...explodingFindings(input, depth, tapDepth, remedies),
          ...forwardFindings(growth, input.thresholds, remedies),
          ...vanishingFindings(input, depth, tapDepth, growth, remedies),
          ...temporalFindings(input, temporal, remedies),
          ...attentionFindings(input, attention, remedies),
        ]),
  ];
  const findings = sortFindings([...errors, ...warningFindings(input, remedies, errors)]);
  return {
    format: 'gradkit-gradient-report',
    version: 1,
    ...(input.step === undefined ? {} : { step: input.step }),
    verdict: verdictOf(findings),
    globalNorm: input.globalNorm,
    ...(depth?.ratio === undefined ? {} : { firstLastRatio: depth.ratio }),
    layers: input.layers,
    activations: input.activations,
    findings,
    thresholds: input.thresholds,
    backend: input.backend,
    ...(input.loss === undefined ? {} : { loss: input.loss }),
    ...(temporal === undefined ? {} : { temporal }),
    ...(attention === undefined ? {} : { attention }),
  };
}
