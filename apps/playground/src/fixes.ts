// The run's verdict over its reports (gradient-lab's rule) and, for each diagnostics finding, the
// change of controls that applies its first remedy ("apply this fix").
import type { FindingKind, Verdict } from '@gradkit/diagnostics';
import { HEADS, type PlaygroundConfig } from './config.js';

/** Most severe first: ties between verdicts go to the more severe one. */
const SEVERITY: readonly Verdict[] = ['nonfinite', 'exploding', 'vanishing', 'healthy'];

/**
 * The verdict of a run, as gradient-lab's `summarize`: the verdict its reports give most often (ties to
 * the more severe); a run whose loss or gradients became non-finite is `exploding` when reports said
 * so before, else `nonfinite`.
 */
export function runVerdict(verdicts: readonly Verdict[], diverged: boolean): Verdict {
  const firstNonFinite = verdicts.indexOf('nonfinite');
  if (diverged || firstNonFinite >= 0) {
    const before = verdicts.slice(0, firstNonFinite < 0 ? verdicts.length : firstNonFinite);
    return before.includes('exploding') ? 'exploding' : 'nonfinite';
  }
  const counts = new Map<Verdict, number>();
  for (const v of verdicts) counts.set(v, (counts.get(v) ?? 0) + 1);
  const best = Math.max(0, ...counts.values());
  return SEVERITY.find((v) => best > 0 && counts.get(v) === best) ?? 'healthy';
}

/** A remedy as a change of the controls. */
export interface Fix {
  /** Button text, e.g. `ReLU + He init`. */
  readonly label: string;
  /** The controls it changes. */
  readonly patch: Partial<PlaygroundConfig>;
}

/**
 * The fix for a finding of `kind` under `config`: the first remedy of the finding's own "what to try"
 * list (@gradkit/diagnostics' remedies, each confirmed by a gradient-lab experiment) that the
 * controls of the configuration's task can apply and that is not in place already; undefined when
 * every remedy is in place already or none applies. The MLP: vanishing gradients or small updates →
 * ReLU + He init, then BatchNorm, then residual blocks with LayerNorm; exploding, a growing norm,
 * exploding activations, a loss spike, non-finite values or large updates → clipByGlobalNorm(1), then
 * init scale 1, then BatchNorm; dead units → He init at scale 1 for the relu layers, then BatchNorm;
 * saturation → ReLU + He init, then BatchNorm. No learning-rate or optimizer change: the lab refutes
 * them (Adam does not rescue a vanishing net; a rate ÷10 does not stop the exploding one). The other
 * tasks: `addingFix`, `cnnFix`, `transformerFix`.
 */
export function fixFor(kind: FindingKind, config: PlaygroundConfig): Fix | undefined {
  switch (config.task) {
    case 'adding':
      return addingFix(kind, config);
    case 'cnn':
      return cnnFix(kind, config);
    case 'transformer':
      return transformerFix(kind, config);
    default:
      return mlpFix(kind, config);
  }
}

/** The kinds that say the gradients grow or the run diverges (the remedies that bound them apply). */
const GROWING: readonly FindingKind[] = ['exploding', 'growingNorm', 'explodingActivations', 'explodingThroughTime', 'nonfinite', 'lossSpike'];
/** The kinds that say the gradients fade (the remedies that carry them apply). */
const FADING: readonly FindingKind[] = ['vanishing', 'vanishingThroughTime', 'smallUpdates', 'saturation', 'deadUnits'];
const CLIP: Fix = { label: 'clipByGlobalNorm(1)', patch: { clip: 1 } };

/** Large updates on the sequence and conv tasks: their finding's own remedy, a learning rate ÷10 (clipping does not shrink Adam's steps). */
function lowerRate(c: PlaygroundConfig): Fix {
  const lr = Number((c.lr / 10).toPrecision(6));
  return { label: `learning rate ${lr}`, patch: { lr } };
}

/**
 * The adding task (gradient-lab's `adding` runs `tanh-rnn`, `irnn`, `lstm`, `gru`, `tanh-rnn-clip`):
 * gradients fading through time (or a saturated tanh, dead IRNN units) → an LSTM cell, whose cell
 * path carries them (`lstm@100` solves what `tanh-rnn@100` cannot); growing ones → clipByGlobalNorm(1)
 * (Pascanu et al. 2013), then an LSTM for a tanh RNN or IRNN that still explodes with it.
 */
function addingFix(kind: FindingKind, c: PlaygroundConfig): Fix | undefined {
  if (kind === 'largeUpdates') return lowerRate(c);
  const gated = c.cell === 'lstm' || c.cell === 'gru';
  const toLstm: Fix | undefined = gated ? undefined : { label: 'LSTM cell', patch: { cell: 'lstm' } };
  if (FADING.includes(kind)) return toLstm;
  if (GROWING.includes(kind)) return c.clip > 0 ? toLstm : CLIP;
  return undefined;
}

/**
 * The cnn task (gradient-lab's `plain`, `batchnorm`, `residual`): a plain deep conv net whose
 * gradients fade (or whose units die or saturate) → BatchNorm (Ioffe & Szegedy 2015), then residual
 * blocks (He et al. 2016); growing gradients → clipByGlobalNorm(1), then BatchNorm.
 */
function cnnFix(kind: FindingKind, c: PlaygroundConfig): Fix | undefined {
  if (kind === 'largeUpdates') return lowerRate(c);
  const batchNorm: Fix | undefined = c.norm === 'batch' ? undefined : { label: 'add BatchNorm', patch: { norm: 'batch' } };
  const residual: Fix | undefined = c.residual ? undefined : { label: 'residual blocks', patch: { residual: true } };
  if (FADING.includes(kind)) return batchNorm ?? residual;
  if (GROWING.includes(kind)) return c.clip > 0 ? batchNorm : CLIP;
  return undefined;
}

/**
 * The transformer task (gradient-lab's `post-ln`, `post-ln-warmup`, `pre-ln`): attention-logit
 * growth or a loss spike (or fading gradients) in a Post-LN stack → Pre-LN (Xiong et al. 2020:
 * `pre-ln` learns without warmup); in a Pre-LN stack without warmup → a warmup over the first fifth
 * of the run (`post-ln-warmup`); then clipByGlobalNorm(1). Exploding gradients or activations,
 * non-finite values → clipByGlobalNorm(1) first (their findings' first remedy), then the same. Large
 * updates (here and in the other tasks) → the learning rate ÷10, their finding's only remedy.
 */
function transformerFix(kind: FindingKind, c: PlaygroundConfig): Fix | undefined {
  if (kind === 'largeUpdates') return lowerRate(c);
  const fading = kind === 'vanishing' || kind === 'vanishingThroughTime';
  if (!fading && !GROWING.includes(kind) && kind !== 'attentionLogitGrowth') return undefined;
  const clip = c.clip > 0 || fading ? undefined : CLIP;
  if (clip && kind !== 'attentionLogitGrowth' && kind !== 'lossSpike') return clip;
  if (c.blockNorm === 'post') return { label: 'Pre-LN blocks', patch: { blockNorm: 'pre' } };
  if (c.warmup === 0 && !fading) {
    const warmup = Math.max(1, Math.round(c.steps / 5));
    return { label: `warmup over ${warmup} step${warmup === 1 ? '' : 's'}`, patch: { warmup } };
  }
  return clip;
}

/** The MLP (gradient-lab's experiment matrix). */
function mlpFix(kind: FindingKind, config: PlaygroundConfig): Fix | undefined {
  const heRelu: Fix = { label: 'ReLU + He init', patch: { activation: 'relu', init: 'he', initScale: 1 } };
  const heReady = config.activation === 'relu' && config.init === 'he' && config.initScale === 1;
  const batchNorm: Fix | undefined = config.norm === 'batch' ? undefined : { label: 'add BatchNorm', patch: { norm: 'batch' } };
  const residual: Fix | undefined = config.residual ? undefined : { label: 'residual blocks + LayerNorm', patch: { residual: true, norm: 'layer' } };
  const bounded = (): Fix | undefined => {
    if (!(config.clip > 0)) return { label: 'clipByGlobalNorm(1)', patch: { clip: 1 } };
    if (config.initScale !== 1) return { label: 'init scale 1', patch: { initScale: 1 } };
    return config.norm === 'none' ? batchNorm : undefined;
  };
  switch (kind) {
    case 'vanishing':
    case 'smallUpdates':
      if (!heReady) return heRelu;
      return config.residual ? undefined : (batchNorm ?? residual);
    case 'exploding':
    case 'growingNorm':
    case 'explodingActivations':
    case 'lossSpike':
    case 'nonfinite':
    case 'largeUpdates':
      return bounded();
    case 'deadUnits':
      if (config.activation === 'relu' && (config.init !== 'he' || config.initScale !== 1))
        return { label: 'He init, scale 1', patch: { init: 'he', initScale: 1 } };
      return config.activation === 'relu' ? batchNorm : heRelu;
    case 'saturation':
      return heReady ? batchNorm : heRelu;
    default:
      return undefined;
  }
}

/** Smaller configurations to offer when one is too big for memory: a quarter of the width, and of the sequence length for the sequence tasks. */
export function shrinkFixes(c: PlaygroundConfig): Fix[] {
  const width = c.task === 'transformer' ? Math.max(HEADS, Math.floor(c.width / 4 / HEADS) * HEADS) : Math.max(1, Math.floor(c.width / 4));
  const fixes: Fix[] = [{ label: `width ${width}`, patch: { width } }];
  if (c.task === 'adding' || c.task === 'transformer') {
    const seqLength = Math.max(2, Math.floor(c.seqLength / 4));
    fixes.push({ label: `sequence length ${seqLength}`, patch: { seqLength } });
  }
  return fixes;
}
