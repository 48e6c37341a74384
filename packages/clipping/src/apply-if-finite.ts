import {
  assertTransformation,
  checkOptions,
  flatten,
  type GradientTransformation,
  type GradTree,
  HyperParameterError,
  type ParamTree,
  type StateTree,
  type TransformResult,
  type UpdateExtras,
  unflatten,
} from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import { innerStateWhere } from './inner-state.js';
import { alignedGrads, orDefault } from './internal.js';

/** Options of `applyIfFinite`. @example `{ maxConsecutiveErrors: 5 }` */
export interface ApplyIfFiniteOptions {
  /**
   * How many non-finite steps in a row are skipped (an integer in [0, 2³¹ − 1]; default 5); the next
   * one is applied anyway, so that a run that only produces non-finite gradients does not stall
   * silently.
   */
  readonly maxConsecutiveErrors?: number;
}

/** `applyIfFinite`'s resolved options: the limit and the wrapped transformation. @example `applyIfFinite(sgd({ learningRate: 0.1 })).options // { maxConsecutiveErrors: 5, inner: sgd }` */
export interface ResolvedApplyIfFiniteOptions {
  /** How many non-finite steps in a row are skipped (the default 5 filled in). */
  readonly maxConsecutiveErrors: number;
  /** The wrapped transformation. */
  readonly inner: GradientTransformation;
}

/** `maxConsecutiveErrors` when none is given (see `applyIfFinite` for why 5). */
const DEFAULT_MAX_CONSECUTIVE_ERRORS = 5;
/** The counters are int32 tensors (saturating at 2³¹ − 1). */
const INT32_MAX = 2147483647;
const EXAMPLE = 'applyIfFinite(adam(), { maxConsecutiveErrors: 5 })';

/**
 * State of `applyIfFinite` (optax's `ApplyIfFiniteState`). The counters are tensors, so that a step
 * never waits for a readback; read them with `await t.data()` when you log.
 *
 * @example `{ count: 7, notfiniteCount: int32 0, totalNotfinite: int32 2, lastFinite: bool true, inner: { count: 7 } }`
 */
export type ApplyIfFiniteState = {
  /** Steps taken, skipped ones included (host number). */
  readonly count: number;
  /** Non-finite steps in a row up to the last one (int32 scalar tensor; 0 after a finite step). */
  readonly notfiniteCount: tf.Tensor;
  /** Non-finite steps since the start (int32 scalar tensor). */
  readonly totalNotfinite: tf.Tensor;
  /** Whether the last step's gradients were all finite (bool scalar tensor). */
  readonly lastFinite: tf.Tensor;
  /** The wrapped transformation's state. */
  readonly inner: StateTree;
};

/** c + 1, saturating at the int32 maximum (optax's `numerics.safe_increment`). */
const safeIncrement = (c: tf.Tensor) => tf.where(tf.less(c, tf.scalar(INT32_MAX, 'int32')), tf.add(c, tf.scalar(1, 'int32')), c);

/**
 * Skips the steps whose gradients hold a NaN or an infinity: such a step's updates are zero and the
 * wrapped transformation's tensor state (moments, momentum …) is left exactly as it was, and the
 * step is counted. After more than `maxConsecutiveErrors` non-finite steps in a row, the inner update
 * is applied anyway (optax semantics).
 *
 * finite = all(isFinite(g)); k ← finite ? 0 : k + 1; apply = finite ∨ k > maxConsecutiveErrors;
 * updates = apply ? inner.updates : 0; innerState = apply ? inner's new state : the old one.
 *
 * optax `apply_if_finite(inner, max_consecutive_errors)` (optax/_src/transform.py), which has no
 * default for the limit. Here `applyIfFinite(inner)` skips at most 5 non-finite steps in a row
 * (`maxConsecutiveErrors: 5`), deliberately finite: a few bad batches in a row (a spike, a corrupt
 * sample) are skipped, while a run that has really diverged is not hidden behind a flat loss curve
 * for the rest of training: the 6th non-finite step in a row is applied, the NaN reaches the
 * parameters and the loss, where it is seen. (PyTorch's `GradScaler` skips without limit, because it
 * lowers its loss scale until the steps are finite again; nothing here makes them finite.) Pass
 * `maxConsecutiveErrors: 2147483647` (2³¹ − 1, the largest, where the counter saturates) never to
 * apply a non-finite step, and read `totalNotfinite` to see what was skipped.
 *
 * The decision is made on the device (`tf.where` between the inner's new state and the old one),
 * never on the host, so nothing blocks. The inner state is paired by path (the inner's new state
 * with its old one, whatever the order of the keys). A skipped step keeps the inner's metrics too
 * (clipByGlobalNorm's `norm` and `clipped` show the last applied step; `lastFinite` says whether
 * this one was skipped). LIMITATION: host numbers in the inner state — its step `count`, which
 * drives schedules and Adam's bias correction — cannot be held back without a blocking readback, so
 * they advance on a skipped step too (optax holds them back; here a skipped step moves a schedule and
 * the bias correction one step on). Tensor state and the parameters are untouched.
 *
 * @param inner - the transformation to guard, usually the optimizer or a chain ending in one.
 * @param options - `{ maxConsecutiveErrors }` (default 5); may be omitted.
 * @throws HyperParameterError (field `inner`) when `inner` is not a gradient transformation (such as
 *   `adam` without its call), (field `maxConsecutiveErrors`) unless it is an integer in
 *   [0, 2³¹ − 1], (field `options`) when the options are not an object; UnknownOptionError for any
 *   other option (`max_consecutive_errors` suggests `maxConsecutiveErrors`).
 * @example
 * ```ts
 * const opt = new Optimizer(params, applyIfFinite(chain(clipByGlobalNorm(1), adam())));
 * const patient = applyIfFinite(adam(), { maxConsecutiveErrors: 20 });
 * ```
 */
export function applyIfFinite(
  inner: GradientTransformation,
  options?: ApplyIfFiniteOptions,
): GradientTransformation<ApplyIfFiniteState, ResolvedApplyIfFiniteOptions> {
  assertTransformation('inner', inner);
  const given = checkOptions('applyIfFinite', options, ['maxConsecutiveErrors'], { example: EXAMPLE });
  const limit = orDefault(given.maxConsecutiveErrors, DEFAULT_MAX_CONSECUTIVE_ERRORS);
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 0 || limit > INT32_MAX)
    throw new HyperParameterError(
      'maxConsecutiveErrors',
      `maxConsecutiveErrors must be an integer in [0, ${INT32_MAX}] (the non-finite steps in a row to skip), got ${JSON.stringify(limit) ?? String(limit)}`,
    );
  const o: ResolvedApplyIfFiniteOptions = { maxConsecutiveErrors: limit, inner };
  return {
    name: 'applyIfFinite',
    options: o,
    inner,
    hyperParams: () => ({ maxConsecutiveErrors: limit }),
    init: (params: ParamTree): ApplyIfFiniteState => ({
      count: 0,
      notfiniteCount: tf.scalar(0, 'int32'),
      totalNotfinite: tf.scalar(0, 'int32'),
      lastFinite: tf.scalar(true, 'bool'),
      inner: inner.init(params),
    }),
    update(grads: GradTree, state: ApplyIfFiniteState, params?: ParamTree, extras?: UpdateExtras): TransformResult<ApplyIfFiniteState> {
      const { leaves } = alignedGrads(grads, params);
      const finite = leaves.map((g) => tf.all(tf.isFinite(g))).reduce((a, b) => tf.logicalAnd(a, b), tf.scalar(true, 'bool'));
      const notfiniteCount = tf.where(finite, tf.scalar(0, 'int32'), safeIncrement(state.notfiniteCount));
      const apply = tf.logicalOr(finite, tf.greater(notfiniteCount, tf.scalar(limit, 'int32')));
      const r = inner.update(grads, state.inner, params, extras);
      return {
        updates: unflatten(
          r.updates,
          flatten(r.updates).map(({ value: u }) => tf.where(apply, u, tf.zerosLike(u))),
        ),
        state: {
          count: state.count + 1,
          notfiniteCount,
          totalNotfinite: tf.where(finite, state.totalNotfinite, safeIncrement(state.totalNotfinite)),
          lastFinite: finite,
          inner: innerStateWhere(apply, inner, state.inner, r.state), // host numbers advance (see LIMITATION)
        },
      };
    },
  };
}
