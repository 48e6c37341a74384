// ADOPT's fused rule at one step, from the adopt transformation's resolved options and hyper-parameters.
import type { ResolvedAdoptOptions } from '../adopt.js';
import type { AdoptRule } from './plan.js';

/** What the rule reads of adopt's resolved options. */
export type AdoptOptionsSeen = Pick<ResolvedAdoptOptions, 'nesterov' | 'useClipping'>;

/**
 * The ADOPT rule at step `count` (optax.contrib `scale_by_adopt`): β₁ = 1 and β₂ = 0 at count 0
 * (`b1_ = where(count > 0, b1, 1)`, `b2_ = where(count > 0, b2, 0)`), clip value `count^¼`.
 *
 * @example
 * ```ts
 * adoptRule({ nesterov: false, useClipping: true }, { learningRate: 1e-3, beta1: 0.9, beta2: 0.9999, epsilon: 1e-6 }, 3);
 * ```
 */
export function adoptRule(options: AdoptOptionsSeen, h: Readonly<Record<string, number>>, count: number): AdoptRule {
  const n = (k: string) => h[k] ?? 0;
  const first = count === 0;
  return {
    kind: 'adopt',
    lr: n('learningRate'),
    beta1: first ? 1 : n('beta1'),
    beta2: first ? 0 : n('beta2'),
    epsilon: n('epsilon'),
    ...(options.useClipping ? { clip: count ** 0.25 } : {}),
    nesterov: options.nesterov,
    weightDecay: n('weightDecay'),
  };
}
