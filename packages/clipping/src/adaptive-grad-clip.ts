import {
  checkOptions,
  flatten,
  type GradientTransformation,
  type GradTree,
  type HyperParam,
  map,
  type ParamTree,
  type TransformResult,
  type Tree,
  unflatten,
  ValueError,
} from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import { alignedGrads, checkPositive, clippedFlag, nanMax, orDefault, resolvePositive } from './internal.js';

/** Options of `adaptiveGradClip`. Every number may be a Schedule. @example `{ clipping: 0.01, eps: 1e-3 }` */
export interface AdaptiveGradClipOptions {
  /** λ: the largest allowed ratio ‖g‖/max(‖w‖, eps) of each unit (> 0; NFNets use 0.01 to 0.16). */
  readonly clipping: HyperParam;
  /** Floor of the parameter norm, so that zero-initialised units can move (> 0; default 1e-3). */
  readonly eps?: HyperParam;
}

/** `adaptiveGradClip`'s options with defaults filled in. @example `adaptiveGradClip({ clipping: 0.01 }).options.eps // 1e-3` */
export type ResolvedAdaptiveGradClipOptions = Required<AdaptiveGradClipOptions>;

/**
 * State of `adaptiveGradClip`: the step count and, per parameter (trees keyed like the parameters),
 * what the last step did, as float32 scalar tensors on the device (its `metrics`).
 *
 * @example `{ count: 3, clipped: { dense: { kernel: float32 0.25, bias: float32 0 } }, maxRatio: { dense: { kernel: float32 0.013, bias: float32 0.002 } } }`
 */
export type AdaptiveGradClipState = {
  /** Steps taken (a scheduled `clipping` or `eps` is evaluated at this step). */
  readonly count: number;
  /** Per parameter: the fraction of its units that the last step rescaled, in [0, 1] (0 before any step; a unit with a NaN norm counts as clipped). */
  readonly clipped: Tree<tf.Tensor>;
  /**
   * Per parameter: the largest ratio ‖g_u‖ / max(‖w_u‖, eps) over its units at the last step (0 before
   * any step; NaN when a norm is NaN). Units whose ratio reaches `clipping` (λ) are clipped, so this
   * says how far above or below λ the gradients are: what to look at when choosing λ.
   */
  readonly maxRatio: Tree<tf.Tensor>;
};

const CONFIG_EXAMPLE = 'adaptiveGradClip({ clipping: 0.01 })';

/** optax's `unitwise_clip` guard against dividing by a zero gradient norm. */
const DIV_EPS = 1e-6;

/**
 * The norm of every output unit of `x`, with a shape that broadcasts against `x` (optax's
 * `unitwise_norm`, on tfjs layouts): tensors that are scalars or vectors once their size-1 axes are
 * dropped get one norm for the whole tensor; any other tensor gets one norm per index of its LAST axis,
 * reduced over all the other axes (dense kernels `[in, out]`, conv1d `[w, in, out]`, conv2d
 * `[h, w, in, out]`, conv3d `[d, h, w, in, out]`: features are last).
 */
function unitwiseNorm(x: tf.Tensor): tf.Tensor {
  const squeezedRank = x.shape.filter((d) => d !== 1).length;
  const axes = squeezedRank <= 1 ? x.shape.map((_, i) => i) : x.shape.slice(0, -1).map((_, i) => i);
  return tf.sqrt(tf.sum(tf.square(x), axes, true));
}

/**
 * Adaptive gradient clipping (AGC), unit-wise: each unit's gradient is rescaled when its norm exceeds
 * λ times the norm of the unit's weights. For each unit (output feature) u of each parameter:
 * m = λ · max(‖w_u‖, eps); g_u ← g_u when ‖g_u‖ < m, else g_u · m / max(‖g_u‖, 1e-6).
 *
 * optax `adaptive_grad_clip(clipping, eps=1e-3)` (optax/_src/clipping.py, `unitwise_norm` and
 * `unitwise_clip`); Brock et al. 2021, "High-Performance Large-Scale Image Recognition Without
 * Normalization" (NFNets). PyTorch has no built-in equivalent (timm's `adaptive_clip_grad`).
 *
 * Units on tfjs layouts (features last): a tensor that is a scalar or a vector once its size-1 axes
 * are dropped (biases, gains, `[1, n]`) is one unit, as in optax; any other tensor has one unit per
 * index of its last axis, its norm taken over all the other axes. That is optax's own choice for
 * dense kernels `[in, out]` (optax reduces axis 0) and conv kernels `[h, w, in, out]` (HWIO, optax
 * reduces axes 0, 1, 2), which are tfjs's layouts too. Two differences: optax reads rank-3 tensors as
 * multi-head dense kernels `[in, heads, out]` and reduces axis 0 only, where gradkit reads them as
 * tfjs conv1d kernels `[w, in, out]` and reduces axes 0 and 1; and optax rejects rank 5 and more,
 * where gradkit reduces all axes but the last (conv3d `[d, h, w, in, out]`).
 *
 * What it did is in its state (`metrics: ['clipped', 'maxRatio']`), per parameter: `clipped`, the
 * fraction of its units that were rescaled, and `maxRatio`, the largest ‖g_u‖ / max(‖w_u‖, eps) of
 * its units (compare it with λ), float32 scalars keyed like the parameters.
 *
 * @throws UnknownOptionError for an option other than `clipping` and `eps` (PyTorch/timm's
 *   `clip_factor` included); HyperParameterError (field `options`) when the options object is
 *   missing, (field `clipping` or `eps`) when one is not > 0 or not finite; at the
 *   step, ValueError when the parameters are not passed (AGC needs them) and TreeMismatchError naming
 *   the path where gradients and parameters differ.
 * @example
 * ```ts
 * const opt = new Optimizer(params, chain(adaptiveGradClip({ clipping: 0.01 }), sgd({ learningRate: 0.1, momentum: 0.9 })));
 * ```
 */
export function adaptiveGradClip(options: AdaptiveGradClipOptions): GradientTransformation<AdaptiveGradClipState, ResolvedAdaptiveGradClipOptions> {
  checkOptions('adaptiveGradClip', options, ['clipping', 'eps'], { example: CONFIG_EXAMPLE, required: true });
  const o: ResolvedAdaptiveGradClipOptions = {
    clipping: checkPositive('clipping', options.clipping, CONFIG_EXAMPLE),
    eps: checkPositive('eps', orDefault(options.eps, 1e-3), 'adaptiveGradClip({ clipping: 0.01, eps: 1e-3 })'),
  };
  const hyperParams = (step: number) => ({
    clipping: resolvePositive('clipping', o.clipping, step),
    eps: resolvePositive('eps', o.eps, step),
  });
  return {
    name: 'adaptiveGradClip',
    options: o,
    hyperParams,
    metrics: ['clipped', 'maxRatio'],
    stateChecks: { clipped: 'measured', maxRatio: 'measured' },
    init: (params: ParamTree): AdaptiveGradClipState => ({
      count: 0,
      clipped: map(params, () => tf.scalar(0)),
      maxRatio: map(params, () => tf.scalar(0)),
    }),
    update(grads: GradTree, state: AdaptiveGradClipState, params?: ParamTree): TransformResult<AdaptiveGradClipState> {
      if (params === undefined) throw new ValueError('params', 'adaptiveGradClip scales gradients by the parameters’ norms: call update(grads, state, params)');
      const { clipping, eps } = hyperParams(state.count);
      const { like, leaves } = alignedGrads(grads, params); // in the parameters' order, paired by key
      const paramLeaves = flatten(params).map((e) => e.value);
      const results = leaves.map((g, i) => {
        const gNorm = unitwiseNorm(g);
        const wNorm = tf.maximum(unitwiseNorm(paramLeaves[i] as tf.Tensor), eps);
        const maxNorm = tf.mul(wNorm, clipping);
        const within = tf.less(gNorm, maxNorm);
        const rescaled = tf.mul(g, tf.div(maxNorm, tf.maximum(gNorm, DIV_EPS)));
        return {
          update: tf.where(within, g, rescaled),
          clipped: tf.mean(clippedFlag(within, gNorm)),
          maxRatio: nanMax(tf.div(gNorm, wNorm)),
        };
      });
      return {
        updates: unflatten(
          like,
          results.map((r) => r.update),
        ),
        state: {
          count: state.count + 1,
          clipped: unflatten(
            like,
            results.map((r) => r.clipped),
          ),
          maxRatio: unflatten(
            like,
            results.map((r) => r.maxRatio),
          ),
        },
      };
    },
  };
}
