// The remedies as code for a diagnosis: which remedies answer which findings (only those the gradient
// lab confirms for the finding's kind: see the comments of remedies.ts and remedies-sequence.ts, whose
// choices this follows), each with its parameters measured on the model and its code in the model's
// API (tfjs-layers' for a LayersModel, gradkit's for a module). `remedyAction` builds any remedy of
// the catalogue by name, for `tryRemedies({ remedies })` and `gradient-lab doctor --apply`.
import { describeValue, UnknownOptionError, ValueError } from '@gradkit/core';
import { checkTarget } from './doctor-checks.js';
import { OPTIMIZER_NAMES } from './doctor-optimizer.js';
import type { DoctorTarget, ModelDiagnosis, RemedyAction } from './doctor-types.js';
import { outputLayers } from './layers-edits.js';
import { type LayerLike, modelFacts } from './layers-facts.js';
import { isGradkitTarget } from './probe-fit.js';
import { remediesFor } from './remedies.js';
import { layersPhrases } from './remedies-layers.js';
import { gradkitAction, layersAction, type MakeAction } from './remedy-model-actions.js';
import { gradkitCallOf, isOptimizerName, numberText, tfCallOf } from './remedy-optimizers.js';
import type { FindingKind } from './report.js';

/**
 * Every remedy the doctor can apply, by name (the names `tryRemedies({ remedies })` and
 * `gradient-lab doctor --remedies/--apply` take): clipping at a measured norm, a finite guard, a lower
 * or higher rate, a warm-up with cosine decay, a re-initialization (He, Glorot, orthogonal), relu + He
 * or tanh + Glorot in place of sigmoid, BatchNormalization after each hidden layer, a GRU or LSTM in
 * place of a SimpleRNN, and AdamW, Muon or schedule-free AdamW as the optimizer.
 *
 * @example
 * ```ts
 * await tryRemedies(model, { data, remedies: REMEDY_NAMES.filter((n) => n.startsWith('optimizer-')) });
 * ```
 */
export const REMEDY_NAMES = [
  'clip-global-norm',
  'guard',
  'lower-lr',
  'raise-lr',
  'warmup',
  'reinit-he',
  'reinit-glorot',
  'reinit-orthogonal',
  'relu-he',
  'tanh-glorot',
  'insert-batchnorm',
  'gated-recurrence',
  'gated-recurrence-lstm',
  'optimizer-adamw',
  'optimizer-muon',
  'optimizer-schedule-free',
] as const;

/** A remedy's name: one of `REMEDY_NAMES`. @example `const name: RemedyName = 'relu-he'` */
export type RemedyName = (typeof REMEDY_NAMES)[number];

/** The percentile of the baseline's global gradient norms the clipping remedy clips at. */
export const CLIP_PERCENTILE = 90;
/** The warm-up's share of the budget (then cosine decay to 0 over the rest). */
export const WARMUP_FRACTION = 0.1;

/** A diagnosis before its remedies are added. */
export type Diagnosis = Omit<ModelDiagnosis, 'remedies'>;

/** What the choice of remedies needs to know of the model. */
interface Context {
  readonly relu: boolean;
  readonly sigmoid: boolean;
  readonly tanh: boolean;
  readonly heForRelu: boolean;
  readonly glorotForTanh: boolean;
  readonly batchNorm: boolean;
  readonly normalization: boolean;
  /** Recurrent layers that are neither LSTM nor GRU (a layers model's SimpleRNN; a gradkit run's non-gated step taps). */
  readonly plainRecurrent: readonly string[];
  /** The model has recurrent layers (gated or not): the MLP remedies of remedies.ts do not apply. */
  readonly recurrent: boolean;
}

function contextOf(target: DoctorTarget, diagnosis: Diagnosis): Context {
  if (!isGradkitTarget(target)) {
    const facts = modelFacts(target.layers as unknown as LayerLike[], outputLayers(target), '');
    const kinds = facts.kinds ?? [];
    const classes = target.layers.map((l) => l.getClassName());
    return {
      relu: kinds.includes('relu'),
      sigmoid: kinds.includes('sigmoid'),
      tanh: kinds.includes('tanh'),
      heForRelu: facts.heForRelu === true,
      glorotForTanh: facts.glorotForTanh === true,
      batchNorm: facts.batchNorm === true,
      normalization: facts.normalization === true,
      plainRecurrent: target.layers.filter((l) => l.getClassName() === 'SimpleRNN').map((l) => l.name),
      recurrent: classes.some((c) => /^(SimpleRNN|GRU|LSTM|RNN|Bidirectional)$/.test(c)),
    };
  }
  const reports = diagnosis.reports;
  const kinds = new Set(reports.flatMap((r) => r.activations.slice(0, -1).map((a) => a.kind)));
  const temporal = [...new Set(reports.flatMap((r) => (r.temporal ?? []).map((p) => p.layer)))];
  return {
    relu: kinds.has('relu'),
    sigmoid: kinds.has('sigmoid'),
    tanh: kinds.has('tanh'),
    heForRelu: false,
    glorotForTanh: false,
    batchNorm: false,
    normalization: false,
    plainRecurrent: temporal.filter((l) => !/lstm|gru/i.test(l)),
    recurrent: temporal.length > 0,
  };
}

const FINDING_KINDS: readonly FindingKind[] = [
  'nonfinite',
  'exploding',
  'growingNorm',
  'explodingActivations',
  'explodingThroughTime',
  'attentionLogitGrowth',
  'vanishing',
  'vanishingThroughTime',
  'deadUnits',
  'saturation',
  'largeUpdates',
  'smallUpdates',
  'lossSpike',
  'edgeOfStability',
  'noProgress',
];

/** Throws a ValueError naming the part of `diagnosis` that is not what `diagnoseModel` returns. */
export function checkDiagnosis(diagnosis: unknown): asserts diagnosis is Diagnosis {
  const d = diagnosis as Partial<Diagnosis> | null;
  const fix = 'give what diagnoseModel returned (or its JSON)';
  if (d === null || typeof d !== 'object') throw new ValueError('diagnosis', `diagnosis must be a diagnoseModel result, got ${describeValue(d)}: ${fix}`);
  if (!Array.isArray(d.findings))
    throw new ValueError('diagnosis.findings', `diagnosis.findings must be a list of findings, got ${describeValue(d.findings)}: ${fix}`);
  d.findings.forEach((f: unknown, i) => {
    const kind = (f as { kind?: unknown } | null)?.kind;
    if (!FINDING_KINDS.includes(kind as FindingKind))
      throw new ValueError(
        `diagnosis.findings.${i}.kind`,
        `diagnosis.findings[${i}].kind must be one of ${FINDING_KINDS.join(', ')}, got ${describeValue(kind)}`,
      );
  });
  if (!Array.isArray(d.reports) || d.reports.some((r) => r === null || typeof r !== 'object'))
    throw new ValueError('diagnosis.reports', `diagnosis.reports must be a list of gradient reports, got ${describeValue(d.reports)}: ${fix}`);
  const s = d.settings;
  if (
    s === null ||
    typeof s !== 'object' ||
    typeof s.optimizer?.value !== 'string' ||
    !(s.optimizer.learningRate > 0) ||
    !Number.isFinite(s.optimizer.learningRate)
  )
    throw new ValueError('diagnosis.settings', `diagnosis.settings must hold the optimizer and its learning rate (> 0), got ${describeValue(s)}: ${fix}`);
  if (!Number.isInteger(s.budget) || s.budget < 1)
    throw new ValueError('diagnosis.settings.budget', `diagnosis.settings.budget must be an integer ≥ 1, got ${describeValue(s.budget)}`);
}

/** The remedies of one finding kind (see remedies.ts for the experiments behind each choice). */
function remediesOfKind(kind: FindingKind, c: Context, vanishingToo: boolean): RemedyName[] {
  const unless = (inPlace: boolean, name: RemedyName): RemedyName[] => (inPlace ? [] : [name]);
  const initScale: RemedyName[] = [
    ...(c.relu && !c.heForRelu ? ['reinit-he' as const] : []),
    ...((c.tanh && !c.glorotForTanh) || !c.relu ? ['reinit-glorot' as const] : []),
  ];
  const gated: RemedyName[] = c.plainRecurrent.length > 0 ? ['gated-recurrence', 'gated-recurrence-lstm'] : [];
  const batchNorm = unless(c.batchNorm, 'insert-batchnorm');
  const squashing: RemedyName[] =
    c.sigmoid || !c.relu
      ? ['relu-he', ...(c.sigmoid ? ['tanh-glorot' as const] : unless(!c.tanh || c.glorotForTanh, 'reinit-glorot'))]
      : unless(c.heForRelu, 'reinit-he');
  switch (kind) {
    case 'nonfinite':
      return ['guard', 'clip-global-norm', ...initScale];
    case 'exploding':
    case 'growingNorm':
    case 'explodingActivations':
      return ['clip-global-norm', ...initScale, ...unless(c.normalization, 'insert-batchnorm')];
    case 'explodingThroughTime':
      return ['clip-global-norm'];
    case 'vanishing':
      return c.recurrent ? gated : [...squashing, ...batchNorm];
    case 'vanishingThroughTime':
      return gated;
    case 'deadUnits':
      return c.recurrent ? gated : [...(c.relu ? unless(c.heForRelu, 'reinit-he') : ['relu-he' as const]), ...batchNorm];
    case 'saturation':
      return c.recurrent ? gated : ['relu-he', ...(c.sigmoid ? ['tanh-glorot' as const] : unless(!c.tanh || c.glorotForTanh, 'reinit-glorot')), ...batchNorm];
    case 'largeUpdates':
      return ['lower-lr'];
    case 'smallUpdates':
      return vanishingToo ? [] : ['raise-lr'];
    case 'lossSpike':
      return ['clip-global-norm', 'lower-lr'];
    case 'attentionLogitGrowth':
      return ['warmup', 'lower-lr'];
    case 'edgeOfStability':
      return ['lower-lr'];
    case 'noProgress': // only with decaying gradients (stalled.ts): the vanishing finding's remedies answer it
      return [];
  }
}

/** The p-th percentile of `xs` (linear interpolation between order statistics, numpy's default). */
export function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  const at = (p / 100) * (s.length - 1);
  const lo = Math.floor(at);
  const hi = Math.min(lo + 1, s.length - 1);
  return (s[lo] as number) + ((s[hi] as number) - (s[lo] as number)) * (at - lo);
}

/**
 * Builds the remedy `name` for `target` with its parameters measured on `diagnosis`, answering
 * `answers` (the finding kinds it answers there; empty for a remedy tried on request).
 *
 * @throws UnknownOptionError naming `remedies` for a name that is not a remedy (the valid ones listed);
 *   what `remedyActions` throws for a bad target or diagnosis.
 * @example
 * ```ts
 * const clip = remedyAction('clip-global-norm', model, diagnosis); // clip.params.maxNorm: the 90th percentile of the norms
 * ```
 */
export function remedyAction(
  name: string,
  target: DoctorTarget,
  diagnosis: Omit<ModelDiagnosis, 'remedies'>,
  answers: readonly FindingKind[] = [],
): RemedyAction {
  checkTarget(target);
  checkDiagnosis(diagnosis);
  if (!(REMEDY_NAMES as readonly string[]).includes(name))
    throw new UnknownOptionError('remedies', `'${name}' is not a remedy; the remedies are ${REMEDY_NAMES.join(', ')}`, REMEDY_NAMES);
  const layers = !isGradkitTarget(target);
  const make: MakeAction = (title, code, params, whyNot) => ({
    name,
    title,
    answers,
    applicable: whyNot === undefined,
    ...(whyNot === undefined ? {} : { whyNot }),
    code,
    params,
  });
  const { value: opt, learningRate: lr } = diagnosis.settings.optimizer;
  const loss = diagnosis.settings.loss.value;
  const knownOpt = isOptimizerName(opt);
  const noOpt = knownOpt ? undefined : `the doctor's optimizer '${opt}' has no gradkit equivalent here (one of ${OPTIMIZER_NAMES.join(', ')})`;
  const call = (rate: string) => gradkitCallOf(opt, rate);
  const compileWith = (inner: string) =>
    layers ? `model.compile({ optimizer: toTfOptimizer(${inner}), loss: '${loss}' }) (toTfOptimizer from @gradkit/optimizers)` : inner;
  const phrases = layers ? layersPhrases(call(numberText(lr))) : remediesFor([], [], []).phrases;
  const lrText = numberText(lr);
  switch (name as RemedyName) {
    case 'clip-global-norm': {
      const norms = diagnosis.reports.map((r) => r.globalNorm).filter((n) => Number.isFinite(n) && n > 0);
      const maxNorm = norms.length > 0 ? Number(percentile(norms, CLIP_PERCENTILE).toPrecision(4)) : 1;
      const measured =
        norms.length > 0
          ? `the ${CLIP_PERCENTILE}th percentile of the ${norms.length} global gradient norms of the probe fit`
          : 'no finite gradient norm was measured: the default 1';
      const code = layers
        ? phrases.clip.replace('clipByGlobalNorm(1)', `clipByGlobalNorm(${maxNorm})`)
        : `chain(clipByGlobalNorm(${maxNorm}), ${call(lrText)})`;
      return make(
        `clip the global gradient norm at ${maxNorm} (${measured})`,
        code,
        { maxNorm, percentile: CLIP_PERCENTILE, measuredOver: norms.length },
        noOpt,
      );
    }
    case 'guard':
      return make('skip the steps whose gradients are not finite (applyIfFinite)', layers ? phrases.guard : `applyIfFinite(${call(lrText)})`, {}, noOpt);
    case 'lower-lr':
    case 'raise-lr': {
      const to = name === 'lower-lr' ? lr / 10 : lr * 10;
      const code = layers
        ? knownOpt
          ? `model.compile({ optimizer: ${tfCallOf(opt, numberText(to))}, loss: '${loss}' })`
          : name === 'lower-lr'
            ? phrases.lowerLr
            : phrases.raiseLr
        : call(numberText(to));
      return make(
        `${name === 'lower-lr' ? 'lower' : 'raise'} the learning rate 10×: ${lrText} → ${numberText(to)}`,
        code,
        { learningRate: to, from: lr },
        noOpt,
      );
    }
    case 'warmup': {
      const budget = diagnosis.settings.budget;
      const warmupSteps = Math.max(1, Math.round(WARMUP_FRACTION * budget));
      const schedule = `warmupCosineDecay({ peak: ${lrText}, warmupSteps: ${warmupSteps}, decaySteps: ${budget} })`;
      const why = budget <= warmupSteps ? `a budget of ${budget} steps leaves no room for a warm-up and a decay` : noOpt;
      return make(
        `warm the learning rate up linearly to ${lrText} over the first ${warmupSteps} steps (${WARMUP_FRACTION * 100}% of the budget of ${budget}), then cosine decay to 0`,
        `${compileWith(call(schedule))}, warmupCosineDecay from @gradkit/schedules`,
        { peak: lr, warmupSteps, decaySteps: budget },
        why,
      );
    }
    case 'optimizer-adamw':
      return make(`switch to AdamW (decoupled weight decay 0.01) at ${lrText}`, compileWith(`adamw({ learningRate: ${lrText}, weightDecay: 0.01 })`), {
        learningRate: lr,
        weightDecay: 0.01,
      });
    case 'optimizer-muon':
      return make(
        `switch to Muon (matrices at 0.02, the other parameters AdamW at ${lrText})`,
        compileWith(`muon({ learningRate: 0.02, adamw: { learningRate: ${lrText} } })`),
        { learningRate: 0.02, adamwLearningRate: lr },
      );
    case 'optimizer-schedule-free':
      return make(
        `switch to schedule-free AdamW at ${lrText} (evaluate at its averaged point: opt.eval())`,
        compileWith(`scheduleFreeAdamW({ learningRate: ${lrText} })`),
        { learningRate: lr },
      );
    default:
      return isGradkitTarget(target) ? gradkitAction(name as RemedyName, target, make) : layersAction(name as RemedyName, target, diagnosis, answers, make);
  }
}

/**
 * The remedies as code for a diagnosis of `target`: one action per remedy that answers a finding,
 * with its parameters measured on this model, and those that cannot be applied with why. Only the
 * remedies the gradient lab confirms for each finding kind are offered (remedies.ts,
 * remedies-sequence.ts): e.g. no adaptive optimizer or larger rate for vanishing gradients, no lower
 * rate or warm-up for exploding ones. A healthy diagnosis without findings gets none.
 *
 * Keras/PyTorch have no equivalent: this is what the findings' `toTry` says, as applicable changes.
 *
 * @throws HyperParameterError / ValueError naming `target` for what is not a model or `{ module, loss }`;
 *   ValueError naming the part of `diagnosis` (`diagnosis.findings.0.kind`, `diagnosis.settings` …)
 *   that is not what `diagnoseModel` returns.
 *
 * @example
 * ```ts
 * const actions = remedyActions(model, diagnosis);
 * for (const a of actions) console.log(a.name, a.applicable ? a.code : `n/a: ${a.whyNot}`);
 * ```
 */
export function remedyActions(target: DoctorTarget, diagnosis: Omit<ModelDiagnosis, 'remedies'>): RemedyAction[] {
  checkTarget(target);
  checkDiagnosis(diagnosis);
  const c = contextOf(target, diagnosis);
  const kinds = [...new Set(diagnosis.findings.map((f) => f.kind))];
  const vanishing = kinds.includes('vanishing') || kinds.includes('vanishingThroughTime');
  const answers = new Map<RemedyName, FindingKind[]>();
  for (const kind of kinds) for (const name of remediesOfKind(kind, c, vanishing)) answers.set(name, [...(answers.get(name) ?? []), kind]);
  return [...answers].map(([name, kinds]) => remedyAction(name, target, diagnosis, kinds));
}
