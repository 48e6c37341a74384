// The run's verdict over its reports (gradient-lab's rule) and, for each diagnostics finding, the
// change of controls that applies its first remedy ("apply this fix").
import type { FindingKind, Verdict } from '@gradkit/diagnostics';
import type { PlaygroundConfig } from './config.js';

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

const lower = (lr: number) => Number((lr / 10).toPrecision(3));

/**
 * The fix for a finding of `kind` under `config`, following the finding's own "what to try" list,
 * first remedy not already applied: vanishing → ReLU + He init, then LayerNorm, then residual blocks;
 * exploding or a growing norm → clipByGlobalNorm(1), then a variance-preserving init scale, then the
 * learning rate ÷10; non-finite values → clipping and the learning rate ÷10; dead units → leakyRelu;
 * saturation → ReLU + He init; large updates → learning rate ÷10; small updates → Adam.
 * Undefined when every remedy is in place already.
 */
export function fixFor(kind: FindingKind, config: PlaygroundConfig): Fix | undefined {
  const heRelu: Fix = { label: 'ReLU + He init', patch: { activation: 'relu', init: 'he', initScale: 1 } };
  switch (kind) {
    case 'vanishing':
      if (config.activation !== 'relu' || config.init !== 'he' || config.initScale !== 1) return heRelu;
      if (config.norm === 'none') return { label: 'add LayerNorm', patch: { norm: 'layer' } };
      if (!config.residual) return { label: 'residual blocks', patch: { residual: true } };
      return config.optimizer === 'adam' ? undefined : { label: 'Adam (lr 1e-3)', patch: { optimizer: 'adam', lr: 1e-3 } };
    case 'exploding':
    case 'growingNorm':
      if (!(config.clip > 0)) return { label: 'clipByGlobalNorm(1)', patch: { clip: 1 } };
      if (config.initScale !== 1) return { label: 'init scale 1', patch: { initScale: 1 } };
      return { label: `learning rate ${lower(config.lr)}`, patch: { lr: lower(config.lr) } };
    case 'nonfinite':
      return config.clip > 0
        ? { label: `learning rate ${lower(config.lr)}`, patch: { lr: lower(config.lr) } }
        : { label: `clipByGlobalNorm(1), learning rate ${lower(config.lr)}`, patch: { clip: 1, lr: lower(config.lr) } };
    case 'deadUnits':
      return config.activation === 'leakyRelu' ? undefined : { label: 'leakyRelu', patch: { activation: 'leakyRelu' } };
    case 'saturation':
      return config.activation === 'relu' && config.init === 'he' ? undefined : heRelu;
    case 'largeUpdates':
      return { label: `learning rate ${lower(config.lr)}`, patch: { lr: lower(config.lr) } };
    case 'smallUpdates':
      return config.optimizer === 'adam' ? undefined : { label: 'Adam (lr 1e-3)', patch: { optimizer: 'adam', lr: 1e-3 } };
  }
}
