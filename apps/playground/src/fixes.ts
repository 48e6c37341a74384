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

/**
 * The fix for a finding of `kind` under `config`: the first remedy of the finding's own "what to try"
 * list (@gradkit/diagnostics' remedies, each confirmed by a gradient-lab experiment) that the
 * controls can apply and that is not in place already. Vanishing gradients or small updates → ReLU +
 * He init, then BatchNorm, then residual blocks with LayerNorm; exploding, a growing norm, non-finite
 * values or large updates → clipByGlobalNorm(1), then init scale 1, then BatchNorm; dead units → He
 * init at scale 1 for the relu layers, then BatchNorm; saturation → ReLU + He init, then BatchNorm.
 * No learning-rate or optimizer change: the lab refutes them (Adam does not rescue a vanishing net;
 * a rate ÷10 does not stop the exploding one). Undefined when every remedy is in place already.
 */
export function fixFor(kind: FindingKind, config: PlaygroundConfig): Fix | undefined {
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
    case 'nonfinite':
    case 'largeUpdates':
      return bounded();
    case 'deadUnits':
      if (config.activation === 'relu' && (config.init !== 'he' || config.initScale !== 1))
        return { label: 'He init, scale 1', patch: { init: 'he', initScale: 1 } };
      return config.activation === 'relu' ? batchNorm : heRelu;
    case 'saturation':
      return heReady ? batchNorm : heRelu;
  }
}
