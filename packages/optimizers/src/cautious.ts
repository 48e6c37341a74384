import {
  assertTransformation,
  flatten,
  type GradientTransformation,
  type GradTree,
  HyperParameterError,
  hasEvalPoint,
  type ParamTree,
  type StateTree,
  type TransformResult,
  unflatten,
} from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import { slotLeaves } from './internal.js';

/** State of `cautious`: the wrapped optimizer's state, nothing else. @example `{ inner: { count: 3, mu: { w: m } } }` */
export type CautiousState = {
  /** The wrapped optimizer's state. */
  readonly inner: StateTree;
};

/** The smallest mean of the mask the rescaling divides by (C-AdamW's `clamp_(min=1e-3)`). */
const MIN_KEPT = 1e-3;

/** `cautious`'s resolved options: the wrapped optimizer. @example `cautious(lion()).options.inner.name // 'lion'` */
export interface ResolvedCautiousOptions {
  /** The wrapped optimizer. */
  readonly inner: GradientTransformation;
}

/** Whether `t` (or a part, wrapped transformation or group of it) makes steps: has a learning rate, or scales by a negative factor. */
function makesSteps(t: GradientTransformation): boolean {
  const o = t.options as Record<string, unknown>;
  if (o.learningRate !== undefined) return true;
  if (t.name === 'scale' && typeof o.factor === 'number' && o.factor < 0) return true;
  if (t.parts?.some(makesSteps)) return true;
  if (t.inner && makesSteps(t.inner)) return true;
  return Object.values(t.groups?.transforms ?? {}).some(makesSteps);
}

/**
 * Cautious optimizer (Liang et al. 2024, "Cautious Optimizers: Improving Training with One Line of
 * Code"): keeps only the components of the wrapped optimizer's update that point the same way as
 * the gradient (a descent direction), and rescales each tensor by the fraction it keeps.
 * gradkit's updates already carry −η (they are added to the parameters), so a component agrees with
 * the gradient when u·g < 0:
 *
 * m = [u ⊙ g < 0] (1 or 0 per element);  u ← u ⊙ m / max(mean(m), 10⁻³).
 *
 * Transcribes kyleliang919/C-Optim's C-AdamW (`c_adamw.py` at 2c0517c4db2e50b56d389ba4803eab1f4b3b8ae3:
 * `mask = (exp_avg * grad > 0); mask.div_(mask.mean().clamp_(min=1e-3)); p.add_(norm_grad * mask, alpha=-step_size)`,
 * where the direction is before −η, hence the flipped comparison here), as timm's `caution` and
 * heavyball do. A tensor whose components all agree keeps its step; the paper's Algorithm 1 and
 * C-Optim's `c_lion.py` scale by n/(Σm + 1) instead, which shrinks small tensors (a bias of 4 by 0.8
 * at every step). float32 op order (for fused kernels): `scale = 1 / max(sum(m)/n, 1e-3)`, then
 * `u · (m · scale)` per tensor. A NaN in `u` stays NaN (NaN · 0), so divergence is not hidden.
 *
 * The mask applies to the whole inner update: with an inner that adds decoupled weight decay
 * (`adamw`, `lion({ weightDecay })`), the decay is masked too, where C-Optim applies it unmasked.
 * Wrap the optimizer only, not a chain that clips after it; an inner that keeps an evaluation point
 * (`lookahead`, whose synchronisation steps must be applied as they are, `emaParams`, the schedule-free
 * optimizers, whose y and z must move together) is refused: put `cautious` inside it instead.
 *
 * @param inner - the optimizer (`lion()`, `adamw()` …, called): a transformation that makes steps
 *   (it has a `learningRate`, or ends in `scale` by a negative factor).
 * @throws HyperParameterError (field `inner`) when `inner` is not a gradient transformation (the
 *   factory `adamw` instead of `adamw()`, a number, null) or does not make steps (e.g.
 *   `clipByGlobalNorm(1)` or `scaleByAdam()` alone, whose updates point along the gradient, so that
 *   every component would be masked), or keeps an evaluation point (`lookahead`, `emaParams`,
 *   `scheduleFreeAdamW`, `scheduleFreeSgd`).
 * @example
 * ```ts
 * const opt = new Optimizer(params, cautious(adamw({ learningRate: 1e-3 })));
 * const guarded = chain(clipByGlobalNorm(1), cautious(lion({ learningRate: 3e-5 })));
 * ```
 */
export function cautious(inner: GradientTransformation): GradientTransformation<CautiousState, ResolvedCautiousOptions> {
  assertTransformation('inner', inner);
  if (!makesSteps(inner))
    throw new HyperParameterError(
      'inner',
      `cautious(inner) masks an optimizer's steps (updates carrying −learningRate), but '${inner.name}' has no learningRate: its updates point along the gradient and every component would be masked. Wrap the optimizer, e.g. chain(clipByGlobalNorm(1), cautious(adamw()))`,
    );
  if (hasEvalPoint(inner))
    throw new HyperParameterError(
      'inner',
      `cautious(inner) cannot wrap '${inner.name}', which keeps an evaluation point (schedule-free, lookahead, emaParams): masking its steps would break the relation between the point it trains and the one it evaluates. Put cautious inside it instead, e.g. lookahead(cautious(adamw()))`,
    );
  return {
    name: 'cautious',
    options: { inner },
    inner,
    hyperParams: () => ({}),
    init: (params: ParamTree): CautiousState => ({ inner: inner.init(params) }),
    update(grads: GradTree, state: CautiousState, params?: ParamTree, extras?): TransformResult<CautiousState> {
      const r = inner.update(grads, state.inner, params, extras);
      const updates = slotLeaves(grads, r.updates);
      const masked = flatten(grads).map(({ value: g }, i) => {
        const u = updates[i] as tf.Tensor;
        const mask = tf.cast(tf.less(tf.mul(u, g), 0), 'float32');
        // mask / max(mean(mask), 1e-3): C-AdamW's (and timm's) rescaling.
        const scale = tf.div(1, tf.maximum(tf.mean(mask), MIN_KEPT));
        return tf.mul(u, tf.mul(mask, scale));
      });
      return { updates: unflatten(grads, masked), state: { inner: r.state } };
    },
  };
}
