import {
  assertTransformation,
  checkOptions,
  flatten,
  type GradientTransformation,
  type GradTree,
  type HyperParam,
  type ParamTree,
  type StateTree,
  type TransformResult,
  type UpdateExtras,
  unflatten,
} from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import { innerStateWhere } from './inner-state.js';
import { alignedGrads, checkPositive, resolvePositive, sumAll } from './internal.js';

/** Options of `skipLargeUpdates`. @example `{ maxSquaredNorm: 100 }` */
export interface SkipLargeUpdatesOptions {
  /** The squared global norm of the gradients from which a step is skipped (> 0; may be a Schedule). */
  readonly maxSquaredNorm: HyperParam;
}

/** `skipLargeUpdates`'s resolved options: the bound and the wrapped transformation. @example `skipLargeUpdates(adam(), { maxSquaredNorm: 100 }).options // { maxSquaredNorm: 100, inner: adam }` */
export interface ResolvedSkipLargeUpdatesOptions {
  /** The squared global norm from which a step is skipped. */
  readonly maxSquaredNorm: HyperParam;
  /** The wrapped transformation. */
  readonly inner: GradientTransformation;
}

/**
 * State of `skipLargeUpdates`: what the last step measured and how many steps were skipped, as
 * tensors on the device (read them with `await t.data()` or `Optimizer.metrics()`).
 *
 * @example `{ count: 7, normSquared: float32 3.1, skipped: float32 0, totalSkipped: int32 1, inner: { count: 7 } }`
 */
export type SkipLargeUpdatesState = {
  /** Steps taken, skipped ones included (host number). */
  readonly count: number;
  /** Σ g² over every gradient at the last step (0 before any step). */
  readonly normSquared: tf.Scalar;
  /** 1 when the last step was skipped, else 0. */
  readonly skipped: tf.Scalar;
  /** Steps skipped since the start (int32 scalar, saturating at 2³¹ − 1). */
  readonly totalSkipped: tf.Tensor;
  /** The wrapped transformation's state. */
  readonly inner: StateTree;
};

const INT32_MAX = 2147483647;
const EXAMPLE = 'skipLargeUpdates(adam(), { maxSquaredNorm: 100 })';

/**
 * Skips the steps whose gradients are too large: when Σ g² (the squared global norm) is not below
 * `maxSquaredNorm`, or is not finite, the step's updates are zero and the wrapped transformation's
 * tensor state is left exactly as it was; the skip is counted.
 *
 * s = Σ_leaves Σ g²;  skip = ¬(s < maxSquaredNorm) (NaN and ∞ skip);  updates = skip ? 0 : inner's;
 * innerState = skip ? the old one : inner's new one.
 *
 * optax `MultiSteps(inner, 1, should_skip_update_fn=functools.partial(skip_large_updates,
 * max_squared_norm=…))` (google-deepmind/optax `optax/transforms/_accumulation.py` `skip_large_updates`, commit 2edbcbe:
 * `should_skip = logical_not(norm_sq < max_squared_norm)`). The decision is made on the device, so
 * nothing blocks. LIMITATION (as `applyIfFinite`): host numbers of the inner state — its step
 * `count`, which drives schedules and Adam's bias correction, and schedule-free's `lrMax` and
 * `weightSum`, which weigh its average — advance on a skipped step too.
 * Metrics: `normSquared`, `skipped` (this step), `totalSkipped`.
 *
 * @param inner - the transformation to guard, usually the optimizer.
 * @param options - `{ maxSquaredNorm }` (required).
 * @throws HyperParameterError (field `inner`) when `inner` is not a gradient transformation, (field
 *   `maxSquaredNorm`) unless it is a number > 0 or a Schedule, (field `options`) when the options are
 *   missing or not an object; UnknownOptionError for any other key (optax's `max_squared_norm`
 *   suggests `maxSquaredNorm`).
 * @example
 * ```ts
 * const opt = new Optimizer(params, skipLargeUpdates(adamw({ learningRate: 1e-3 }), { maxSquaredNorm: 1e4 }));
 * await opt.minimize(loss);
 * const { 'skipLargeUpdates.totalSkipped': skipped } = await opt.metrics();
 * ```
 */
export function skipLargeUpdates(
  inner: GradientTransformation,
  options: SkipLargeUpdatesOptions,
): GradientTransformation<SkipLargeUpdatesState, ResolvedSkipLargeUpdatesOptions> {
  assertTransformation('inner', inner);
  const given = checkOptions('skipLargeUpdates', options, ['maxSquaredNorm'], { example: EXAMPLE, required: true });
  const bound = checkPositive('maxSquaredNorm', given.maxSquaredNorm as HyperParam, EXAMPLE);
  const at = (step: number) => resolvePositive('maxSquaredNorm', bound, step);
  return {
    name: 'skipLargeUpdates',
    options: { maxSquaredNorm: bound, inner },
    inner,
    hyperParams: (step: number) => ({ maxSquaredNorm: at(step) }),
    metrics: ['normSquared', 'skipped', 'totalSkipped'],
    stateChecks: { normSquared: 'measured', skipped: 'measured' },
    init: (params: ParamTree): SkipLargeUpdatesState => ({
      count: 0,
      normSquared: tf.scalar(0),
      skipped: tf.scalar(0),
      totalSkipped: tf.scalar(0, 'int32'),
      inner: inner.init(params),
    }),
    update(grads: GradTree, state: SkipLargeUpdatesState, params?: ParamTree, extras?: UpdateExtras): TransformResult<SkipLargeUpdatesState> {
      const limit = at(state.count);
      const { leaves } = alignedGrads(grads, params);
      const normSquared = (leaves.length === 0 ? tf.scalar(0) : sumAll(leaves.map((g) => tf.sum(tf.square(g))))) as tf.Scalar;
      // NaN said explicitly: GPUs may fold a comparison with NaN.
      const skip = tf.logicalOr(tf.logicalNot(tf.less(normSquared, limit)), tf.isNaN(normSquared));
      const apply = tf.logicalNot(skip);
      const r = inner.update(grads, state.inner, params, extras);
      const saturated = tf.greaterEqual(state.totalSkipped, tf.scalar(INT32_MAX, 'int32'));
      return {
        updates: unflatten(
          r.updates,
          flatten(r.updates).map(({ value: u }) => tf.where(apply, u, tf.zerosLike(u))),
        ),
        state: {
          count: state.count + 1,
          normSquared,
          skipped: tf.cast(skip, 'float32') as tf.Scalar,
          totalSkipped: tf.where(tf.logicalAnd(skip, tf.logicalNot(saturated)), tf.add(state.totalSkipped, tf.scalar(1, 'int32')), state.totalSkipped),
          inner: innerStateWhere(apply, inner, state.inner, r.state),
        },
      };
    },
  };
}
