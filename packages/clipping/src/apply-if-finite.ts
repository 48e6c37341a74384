import {
  flatten,
  type GradientTransformation,
  type GradTree,
  HyperParameterError,
  type ParamTree,
  type StateTree,
  type TransformResult,
  TreeMismatchError,
  type UpdateExtras,
  unflatten,
} from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import { checkOptions, gradLeaves } from './internal.js';

/** Options of `applyIfFinite`. @example `{ maxConsecutiveErrors: 5 }` */
export interface ApplyIfFiniteOptions {
  /**
   * How many non-finite steps in a row are skipped (an integer ≥ 0); the next one is applied anyway,
   * so that a run that only produces non-finite gradients does not stall silently.
   */
  readonly maxConsecutiveErrors: number;
}

/** `applyIfFinite`'s resolved options: the limit and the wrapped transformation. @example `applyIfFinite(sgd({ learningRate: 0.1 }), { maxConsecutiveErrors: 5 }).options.inner.name // 'sgd'` */
export interface ResolvedApplyIfFiniteOptions extends ApplyIfFiniteOptions {
  /** The wrapped transformation. */
  readonly inner: GradientTransformation;
}

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

const INT32_MAX = 2147483647;

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
 * optax `apply_if_finite(inner, max_consecutive_errors)` (optax/_src/transform.py). The decision is
 * made on the device (`tf.where` between the inner's new state and the old one), never on the host,
 * so nothing blocks. LIMITATION: host numbers in the inner state — its step `count`, which drives
 * schedules and Adam's bias correction — cannot be held back without a blocking readback, so they
 * advance on a skipped step too (optax holds them back; here a skipped step moves a schedule and the
 * bias correction one step on). Tensor state and the parameters are untouched.
 *
 * @param inner - the transformation to guard, usually the optimizer or a chain ending in one.
 * @throws HyperParameterError (field `maxConsecutiveErrors`) unless it is an integer ≥ 0, (field
 *   `inner`) when `inner` is not a gradient transformation.
 * @example
 * ```ts
 * const opt = new Optimizer(params, applyIfFinite(chain(clipByGlobalNorm(1), adam()), { maxConsecutiveErrors: 5 }));
 * ```
 */
export function applyIfFinite(
  inner: GradientTransformation,
  options: ApplyIfFiniteOptions,
): GradientTransformation<ApplyIfFiniteState, ResolvedApplyIfFiniteOptions> {
  if (inner === null || typeof inner !== 'object' || typeof inner.init !== 'function' || typeof inner.update !== 'function')
    throw new HyperParameterError(
      'inner',
      'applyIfFinite needs a gradient transformation to guard, e.g. applyIfFinite(sgd({ learningRate: 0.1 }), { maxConsecutiveErrors: 5 })',
    );
  checkOptions('applyIfFinite', options, 'applyIfFinite(inner, { maxConsecutiveErrors: 5 })');
  const limit = options.maxConsecutiveErrors;
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 0)
    throw new HyperParameterError(
      'maxConsecutiveErrors',
      `maxConsecutiveErrors must be an integer ≥ 0 (the non-finite steps in a row to skip), got ${String(limit)}`,
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
      const leaves = gradLeaves(grads, params);
      const finite = leaves.map((g) => tf.all(tf.isFinite(g))).reduce((a, b) => tf.logicalAnd(a, b), tf.scalar(true, 'bool'));
      const notfiniteCount = tf.where(finite, tf.scalar(0, 'int32'), safeIncrement(state.notfiniteCount));
      const apply = tf.logicalOr(finite, tf.greater(notfiniteCount, tf.scalar(limit, 'int32')));
      const r = inner.update(grads, state.inner, params, extras);
      const before = flatten(state.inner);
      const after = flatten(r.state);
      if (after.length !== before.length)
        throw new TreeMismatchError('inner', `'${inner.name}' returned a state of ${after.length} leaves, its init made ${before.length}`);
      const innerState = after.map(({ path, value }, i) => {
        const old = (before[i] as { value: unknown }).value;
        if (typeof value === 'number' || !(old instanceof tf.Tensor)) return value; // host numbers advance (see LIMITATION)
        if (!(value instanceof tf.Tensor)) throw new TreeMismatchError(`inner.${path}`, `'${inner.name}' returned a non-tensor state at '${path}'`);
        return tf.where(apply, value, old);
      });
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
          inner: unflatten(r.state, innerState) as StateTree,
        },
      };
    },
  };
}
