import {
  checkOptions,
  defineHyperParams,
  type GradientTransformation,
  type GradTree,
  type HyperParam,
  HyperParameterError,
  optionOr,
  type ParamTree,
  type TransformResult,
  unflatten,
} from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import { alignedGrads, checkPositive, clippedFlag, l2Norm, POSITIVE, resolvePositive } from './internal.js';

/** Options of `zclip` (the reference's `ZClip(...)` arguments, in gradkit's spelling). Numbers may be Schedules. @example `{ alpha: 0.97, zThreshold: 2.5, warmupSteps: 25 }` */
export interface ZclipOptions {
  /** α: decay of the EMAs of the norm's mean and variance (in [0, 1); default 0.97). */
  readonly alpha?: HyperParam;
  /** z_thresh: the z-score above which a norm is a spike, and the width of the percentile threshold (> 0; default 2.5). */
  readonly zThreshold?: HyperParam;
  /** Steps whose norms initialise the mean and variance, without clipping (an integer ≥ 1, not a schedule; default 25). */
  readonly warmupSteps?: number;
  /** `'zscore'` (default): clip spikes by `clipOption`; `'percentile'`: clip every norm above mean + z_thresh·std to it. */
  readonly mode?: 'zscore' | 'percentile';
  /** In `'zscore'` mode, the norm a spike is clipped to: `'adaptiveScaling'` (default) mean + z_thresh²·std/z, or `'mean'`. */
  readonly clipOption?: 'adaptiveScaling' | 'mean';
  /** Multiplier of the adaptive-scaling threshold (> 0; default 1; the reference suggests 0.5–0.9 for aggressive clipping). */
  readonly clipFactor?: HyperParam;
  /** An absolute cap on the norm besides the adaptive one, applied in warm-up too (> 0; default none, where the reference's is 1). */
  readonly maxGradNorm?: HyperParam;
  /** ε added to the standard deviation in the z-score (> 0; default 1e-6). */
  readonly epsilon?: HyperParam;
  /** Leave the mean and variance unchanged on a spike (default false: they take the clipped norm). */
  readonly skipUpdateOnSpike?: boolean;
}

/** `zclip`'s options with defaults filled in (`maxGradNorm` only when given). @example `zclip().options.zThreshold // 2.5` */
export type ResolvedZclipOptions = Required<Omit<ZclipOptions, 'maxGradNorm'>> & Pick<ZclipOptions, 'maxGradNorm'>;

/**
 * State of `zclip`: the step count, the running statistics of the gradient norm and what the last
 * step measured, all float32 scalar tensors on the device (nothing is read back during a step).
 *
 * @example `{ count: 30, mean: float32 1.9, var: float32 0.04, norm: float32 2.1, clipped: float32 0 }`
 */
export type ZclipState = {
  /** Steps taken (the first `warmupSteps` only collect statistics). */
  readonly count: number;
  /** μ: during warm-up the mean of the norms so far, then their EMA (with decay α). */
  readonly mean: tf.Scalar;
  /** σ²: during warm-up the (population) variance of the norms so far, then its EMA. */
  readonly var: tf.Scalar;
  /** The global L2 norm of the incoming gradients at the last step (0 before any step). */
  readonly norm: tf.Scalar;
  /** 1 when the last step rescaled the gradients (or their norm was NaN), else 0. */
  readonly clipped: tf.Scalar;
  /** The finite norms the warm-up has averaged (a non-finite norm is not counted). */
  readonly seen: tf.Scalar;
};

const KEYS = ['alpha', 'zThreshold', 'warmupSteps', 'mode', 'clipOption', 'clipFactor', 'maxGradNorm', 'epsilon', 'skipUpdateOnSpike'];
const EXAMPLE = "zclip({ alpha: 0.97, zThreshold: 2.5, warmupSteps: 25, mode: 'zscore', clipOption: 'adaptiveScaling' })";
/** The reference's fixed ε in the clipping coefficient c/(n + 1e-6) (and torch's clip_grad_norm_). */
const COEF_EPS = 1e-6;

function oneOf<T extends string>(field: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !allowed.includes(value as T))
    throw new HyperParameterError(field, `${field} must be ${allowed.map((a) => `'${a}'`).join(' or ')}, got ${JSON.stringify(value) ?? String(value)}`);
  return value as T;
}

/**
 * ZClip (Kumar et al. 2025, "ZClip: Adaptive Spike Mitigation for LLM Pre-Training", arXiv
 * 2504.02507): clips the global gradient norm n against running statistics of itself instead of a
 * fixed threshold. The first `warmupSteps` steps only measure (μ, σ² = mean and variance of their
 * norms); after that, each step:
 *
 * - `'zscore'`: z = (n − μ)/(σ + ε); a spike when z > z_t, clipped to t = (μ + z_t·σ/(z/z_t))·clipFactor
 *   (`'adaptiveScaling'`) or t = μ (`'mean'`);
 * - `'percentile'`: t = μ + z_t·σ, a spike when n > t;
 * - c = spike ? t : n (capped by `maxGradNorm`); g ← n > c ? g · c/(n + 1e-6) : g;
 * - x = spike ? t : n;  μ ← αμ + (1−α)x;  σ² ← ασ² + (1−α)(x − μ)²  (μ already updated; skipped on a
 *   spike with `skipUpdateOnSpike`).
 *
 * Transcribes bluorion-com/ZClip `zclip/zclip.py` (`ZClip.step`, at 584ce4f5a4aabab59e7df1dbaffc26a44df39dc1),
 * with the warm-up statistics computed online (Welford: same mean and population variance as its
 * buffer) so that nothing is read back on the host. Differences: no `maxGradNorm` unless given (the
 * reference's default is 1.0, a fixed cap on top of the adaptive one), and a non-finite norm leaves the
 * statistics unchanged (the reference's would stay NaN for the rest of training); the gradients then
 * pass as the arithmetic gives (guard with `applyIfFinite`). What it did is in its state (`metrics:
 * ['norm', 'clipped']`), like `clipByGlobalNorm`'s.
 *
 * @param options - see `ZclipOptions`; may be omitted.
 * @throws HyperParameterError naming the option: `alpha` outside [0, 1), `zThreshold`, `clipFactor`,
 *   `maxGradNorm` or `epsilon` not > 0, `warmupSteps` not an integer ≥ 1, `mode` or `clipOption` not
 *   one of theirs, `skipUpdateOnSpike` not a boolean, `options` not an object; UnknownOptionError for
 *   any other key (the reference's `z_thresh`, `warmup_steps`, `clip_option` … suggest gradkit's names).
 * @example
 * ```ts
 * const opt = new Optimizer(params, chain(zclip({ zThreshold: 2.5 }), adamw({ learningRate: 3e-4 })));
 * await opt.minimize(loss);
 * const { 'zclip.norm': norm, 'zclip.clipped': clipped } = await opt.metrics();
 * ```
 */
export function zclip(options?: ZclipOptions): GradientTransformation<ZclipState, ResolvedZclipOptions> {
  const given = checkOptions('zclip', options, KEYS, { example: EXAMPLE }) as ZclipOptions;
  const warmupSteps = optionOr('warmupSteps', given.warmupSteps, 25);
  if (typeof warmupSteps !== 'number' || !Number.isInteger(warmupSteps) || warmupSteps < 1)
    throw new HyperParameterError(
      'warmupSteps',
      `warmupSteps must be an integer ≥ 1 (steps that collect norms before clipping; a number, not a schedule), got ${typeof warmupSteps === 'function' ? 'a function' : String(warmupSteps)}`,
    );
  const mode = oneOf('mode', optionOr('mode', given.mode, 'zscore'), ['zscore', 'percentile'] as const);
  const clipOption = oneOf('clipOption', optionOr('clipOption', given.clipOption, 'adaptiveScaling'), ['adaptiveScaling', 'mean'] as const);
  const skipUpdateOnSpike = optionOr('skipUpdateOnSpike', given.skipUpdateOnSpike, false);
  if (typeof skipUpdateOnSpike !== 'boolean')
    throw new HyperParameterError('skipUpdateOnSpike', `skipUpdateOnSpike must be true or false, got ${JSON.stringify(skipUpdateOnSpike)}`);
  const maxGiven = optionOr<HyperParam | undefined>('maxGradNorm', given.maxGradNorm, undefined);
  const maxGradNorm = maxGiven === undefined ? undefined : checkPositive('maxGradNorm', maxGiven, 'zclip({ maxGradNorm: 1 })');
  const hyper = defineHyperParams({
    alpha: [optionOr('alpha', given.alpha, 0.97), { min: 0, max: 1, maxExclusive: true }],
    zThreshold: [optionOr('zThreshold', given.zThreshold, 2.5), POSITIVE],
    clipFactor: [optionOr('clipFactor', given.clipFactor, 1), POSITIVE],
    epsilon: [optionOr('epsilon', given.epsilon, 1e-6), POSITIVE],
  });
  const capAt = (step: number) => (maxGradNorm === undefined ? undefined : resolvePositive('maxGradNorm', maxGradNorm, step));
  const o: ResolvedZclipOptions = { ...hyper.options, warmupSteps, mode, clipOption, skipUpdateOnSpike, ...(maxGradNorm === undefined ? {} : { maxGradNorm }) };
  return {
    name: 'zclip',
    options: o,
    hyperParams: (step: number) => {
      const cap = capAt(step);
      return { ...hyper.at(step), warmupSteps, ...(cap === undefined ? {} : { maxGradNorm: cap }) };
    },
    metrics: ['norm', 'clipped'],
    stateChecks: { var: 'nonNegative', seen: 'nonNegative', norm: 'measured', clipped: 'measured' },
    init: (): ZclipState => ({ count: 0, mean: tf.scalar(0), var: tf.scalar(0), norm: tf.scalar(0), clipped: tf.scalar(0), seen: tf.scalar(0) }),
    update(grads: GradTree, state: ZclipState, params?: ParamTree): TransformResult<ZclipState> {
      const h = hyper.at(state.count);
      const cap = capAt(state.count);
      const { like, leaves } = alignedGrads(grads, params);
      const n = l2Norm(leaves);
      const finite = tf.isFinite(n);
      const count = state.count + 1;
      const scaled = (coef: tf.Tensor) =>
        unflatten(
          like,
          leaves.map((g) => tf.mul(g, coef)),
        );
      if (state.count < warmupSteps) {
        // Welford over the finite norms so far (the reference's buffer, without the non-finite ones).
        const seen = tf.add(state.seen, tf.cast(finite, 'float32')) as tf.Scalar;
        const k = tf.maximum(seen, 1);
        const delta = tf.sub(n, state.mean);
        const mean = tf.add(state.mean, tf.div(delta, k));
        const variance = tf.div(tf.add(tf.mul(state.var, tf.sub(k, 1)), tf.mul(delta, tf.sub(n, mean))), k);
        const stats = { mean: tf.where(finite, mean, state.mean) as tf.Scalar, var: tf.where(finite, variance, state.var) as tf.Scalar, seen };
        if (cap === undefined) return { updates: unflatten(like, leaves), state: { count, ...stats, norm: n, clipped: tf.scalar(0) } };
        // torch.nn.utils.clip_grad_norm_(max_grad_norm): g · min(c/(n + 1e-6), 1).
        const coef = tf.minimum(tf.div(cap, tf.add(n, COEF_EPS)), 1);
        return { updates: scaled(coef), state: { count, ...stats, norm: n, clipped: clippedFlag(tf.greaterEqual(coef, 1), n) as tf.Scalar } };
      }
      const std = tf.sqrt(state.var);
      let spike: tf.Tensor;
      let threshold: tf.Tensor;
      if (mode === 'percentile') {
        threshold = tf.add(state.mean, tf.mul(std, h.zThreshold));
        spike = tf.greater(n, threshold);
      } else {
        const z = tf.div(tf.sub(n, state.mean), tf.add(std, h.epsilon));
        spike = tf.greater(z, h.zThreshold);
        const eta = tf.div(z, h.zThreshold);
        threshold = clipOption === 'mean' ? state.mean : tf.mul(tf.add(state.mean, tf.div(tf.mul(std, h.zThreshold), eta)), h.clipFactor);
      }
      const adaptive = tf.where(spike, threshold, n);
      const effective = cap === undefined ? adaptive : tf.minimum(adaptive, cap);
      const clip = tf.greater(n, effective);
      const coef = tf.where(clip, tf.div(effective, tf.add(n, COEF_EPS)), tf.onesLike(n));
      // The statistics take the clipped norm (the reference's clip_val, before the cap), or the norm.
      const alpha = h.alpha;
      const mean = tf.add(tf.mul(state.mean, alpha), tf.mul(adaptive, 1 - alpha));
      const variance = tf.add(tf.mul(state.var, alpha), tf.mul(tf.square(tf.sub(adaptive, mean)), 1 - alpha));
      const take = skipUpdateOnSpike ? tf.logicalAnd(finite, tf.logicalNot(spike)) : finite;
      return {
        updates: scaled(coef),
        state: {
          count,
          mean: tf.where(take, mean, state.mean) as tf.Scalar,
          var: tf.where(take, variance, state.var) as tf.Scalar,
          norm: n,
          clipped: clippedFlag(tf.logicalNot(clip), n) as tf.Scalar,
          seen: state.seen,
        },
      };
    },
  };
}
