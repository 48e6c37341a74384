import {
  defineHyperParams,
  type GradientTransformation,
  type GradTree,
  type HyperParam,
  type HyperSpec,
  map,
  type ParamTree,
  type TransformResult,
  type Tree,
} from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import {
  checkCount,
  ema,
  flag,
  NON_NEGATIVE,
  type OptionKeys,
  optionsOf,
  POSITIVE,
  requireParams,
  slotLeaves,
  slotsOf,
  stepLeaves,
  UNIT_OPEN,
  zerosLike,
} from './internal.js';

/**
 * Options of `adafactor` (optax's `adafactor`; names in camelCase, `eps` → `epsilon`,
 * `weight_decay_rate` → `weightDecay`). Every number except the integers `minDimSizeToFactor` and
 * `decayOffset` may be a Schedule.
 *
 * @example `{ learningRate: 1e-2, minDimSizeToFactor: 32, momentum: 0.9 }`
 */
export interface AdafactorOptions {
  /** Step size η (> 0). Default (absent or null): none, as optax — the updates are then not scaled by a learning rate. */
  readonly learningRate?: HyperParam | null;
  /** Factor a tensor's second moment only when its second-largest dimension is at least this (integer ≥ 0; default 128). */
  readonly minDimSizeToFactor?: number;
  /** Exponent c of the second-moment decay schedule β₂(t) = 1 − t^(−c) (≥ 0; default 0.8). */
  readonly decayRate?: HyperParam;
  /** Step offset of that schedule, for fine-tuning from a later step (integer ≥ 0; default 0). */
  readonly decayOffset?: number;
  /** Multiply each tensor's update by max(RMS(θ), 1e-3) (default true). */
  readonly multiplyByParameterScale?: boolean;
  /** Clip each tensor's update to a root mean square of at most this (> 0; default 1; null: no clipping). */
  readonly clippingThreshold?: HyperParam | null;
  /** Decay β₁ of an exponential average of the updates (in [0, 1); default 0: none, optax's `None`). */
  readonly momentum?: HyperParam;
  /** Weight decay λ: λθ is added to the update after the learning rate and parameter scale (≥ 0; default 0, optax's `None`). */
  readonly weightDecay?: HyperParam;
  /** ε₁ added to the squared gradients (> 0; default 1e-30). */
  readonly epsilon?: HyperParam;
  /** Use factored second moments at all (default true); false keeps a full second moment for every tensor. */
  readonly factored?: boolean;
}

/** The options `Adafactor` accepts (strict: any other key is an UnknownOptionError). */
const ADAFACTOR_KEYS: OptionKeys<AdafactorOptions> = {
  learningRate: true,
  minDimSizeToFactor: true,
  decayRate: true,
  decayOffset: true,
  multiplyByParameterScale: true,
  clippingThreshold: true,
  momentum: true,
  weightDecay: true,
  epsilon: true,
  factored: true,
};

/** `adafactor`'s options with defaults filled in; `learningRate` and `clippingThreshold` are null when unused. @example `adafactor().options.decayRate // 0.8` */
export interface ResolvedAdafactorOptions {
  /** Step size η, or null: no learning-rate scaling. */
  readonly learningRate: HyperParam | null;
  /** Smallest second-largest dimension of a factored tensor. */
  readonly minDimSizeToFactor: number;
  /** Exponent of the second-moment decay schedule. */
  readonly decayRate: HyperParam;
  /** Step offset of that schedule. */
  readonly decayOffset: number;
  /** Whether updates are scaled by the parameters' RMS. */
  readonly multiplyByParameterScale: boolean;
  /** Update-RMS clipping threshold, or null: no clipping. */
  readonly clippingThreshold: HyperParam | null;
  /** Decay of the update average (0: none). */
  readonly momentum: HyperParam;
  /** Weight decay (0: none). */
  readonly weightDecay: HyperParam;
  /** ε₁ added to the squared gradients. */
  readonly epsilon: HyperParam;
  /** Whether second moments are factored. */
  readonly factored: boolean;
}

/**
 * State of `adafactor`, as optax's `FactoredState` (plus the momentum average): for a factored
 * tensor `vRow` and `vCol` hold the factored statistics and `v` a [1] placeholder; for the others
 * `v` has the tensor's shape and `vRow`, `vCol` are [1] placeholders.
 *
 * @example `{ count: 3, vRow: { w: r, b: z }, vCol: { w: c, b: z }, v: { w: z, b: v } }`
 */
export type AdafactorState = {
  /** Steps taken. */
  readonly count: number;
  /** Running mean of the squared gradients over the largest axis d₀ (the tensor's shape without d₀). */
  readonly vRow: Tree<tf.Tensor>;
  /** Running mean of the squared gradients over the second-largest axis d₁ (the shape without d₁). */
  readonly vCol: Tree<tf.Tensor>;
  /** Running squared gradients of the tensors that are not factored. */
  readonly v: Tree<tf.Tensor>;
  /** Exponential average of the updates (optax's `ema`), when momentum is not the constant 0. */
  readonly ema?: Tree<tf.Tensor>;
};

/**
 * The axes `adafactor` factors for a tensor of `shape`, as optax's `_factored_dims`: `[d1, d0]`, the
 * second-largest and the largest dimensions (numpy's `argsort`, ties in index order), or null when
 * the tensor is not factored (rank < 2, `factored` false, or a second-largest dimension below
 * `minDimSizeToFactor`).
 *
 * @example
 * ```ts
 * factoredDims([3, 3, 512, 256], true, 128); // [3, 2]: a conv kernel [h, w, in, out] is factored over out and in
 * ```
 */
export function factoredDims(shape: readonly number[], factored: boolean, minDimSizeToFactor: number): [number, number] | null {
  if (!factored || shape.length < 2) return null;
  const sorted = shape.map((_, i) => i).sort((a, b) => (shape[a] as number) - (shape[b] as number) || a - b);
  const d1 = sorted[sorted.length - 2] as number;
  const d0 = sorted[sorted.length - 1] as number;
  if ((shape[d1] as number) < minDimSizeToFactor) return null;
  return [d1, d0];
}

/**
 * Adafactor: Adam-like steps with factored second moments — a matrix keeps running means of its
 * squared gradients over rows and over columns (O(n + m) memory instead of O(nm)); updates are
 * RMS-clipped and scaled by the parameters' RMS. optax's `adafactor`, step for step:
 * `scale_by_factored_rms` → `clip_by_block_rms(clippingThreshold)` → `scale_by_learning_rate` (no
 * sign flip) → `scale_by_param_block_rms` → `ema(momentum, debias=false)` → `add_decayed_weights` →
 * `scale(−1)`, each stage present when its option is set.
 *
 * β₂ ← 1 − t^(−c) with t = count − decayOffset + 1;  G ← g² + ε₁;
 * factored (rank ≥ 2, second-largest dimension ≥ minDimSizeToFactor; d₀ the largest axis, d₁ the
 * second largest): R ← β₂R + (1−β₂)·mean_{d₀}(G), C ← β₂C + (1−β₂)·mean_{d₁}(G),
 * u ← g · (R / mean_{d₁}(R))^(−½) · C^(−½);  otherwise V ← β₂V + (1−β₂)G, u ← g·V^(−½);
 * u ← u / max(1, RMS(u)/d);  u ← ηu;  u ← u·max(RMS(θ), 1e-3);  m ← β₁m + (1−β₁)u, u ← m;
 * u ← u + λθ;  update = −u.  Norms and RMS are per tensor.
 *
 * Which axes are factored depends only on the sizes, never on their positions, so tfjs layouts
 * (dense `[in, out]`, conv `[h, w, in, out]`) get the same factorisation as PyTorch's or JAX's
 * layouts of the same weights: for a dense kernel the two axes, for a conv kernel usually `in` and
 * `out`. Differences from optax: `momentum: 0` and `weightDecay: 0` stand for optax's `None` (the
 * same numbers); steps before `decayOffset` use t = 1 (β₂ = 0) where optax's formula is not finite;
 * `decay_rate_fn`, `weight_decay_mask` and `dtype_momentum` are not offered (use `masked` for a mask).
 *
 * Reference: Shazeer & Stern 2018, "Adafactor: Adaptive Learning Rates with Sublinear Memory Cost";
 * optax `adafactor` (`optax/_src/alias.py`) and `scale_by_factored_rms` (`optax/_src/factorized.py`).
 * PyTorch's `torch.optim.Adafactor` (2.5+) is a different variant (relative step sizes, no clipping).
 *
 * @throws HyperParameterError for a learning rate, ε or clipping threshold that is not > 0, a
 *   negative decay rate or weight decay, a momentum outside [0, 1), a `minDimSizeToFactor` or
 *   `decayOffset` that is not an integer ≥ 0, or non-boolean flags; at `update`, when the
 *   parameters are not passed.
 *   UnknownOptionError for an unknown option, naming it and suggesting the closest (PyTorch's `lr`,
 *   `betas`, `eps`, `weight_decay` … map to gradkit's names).
 * @example
 * ```ts
 * const opt = new Optimizer(params, adafactor({ learningRate: 1e-2 }));
 * ```
 */
export function adafactor(options?: AdafactorOptions): GradientTransformation<AdafactorState, ResolvedAdafactorOptions> {
  const given = optionsOf('adafactor', options, ADAFACTOR_KEYS, 'adafactor({ learningRate: 1e-2 })');
  // null is optax's None: no learning-rate scaling, no clipping (those stages are left out, and so are their hyperParams).
  const learningRate = given.learningRate ?? null;
  const clippingThreshold = given.clippingThreshold === null ? null : (given.clippingThreshold ?? 1);
  const numeric: Partial<Record<'learningRate' | 'decayRate' | 'clippingThreshold' | 'momentum' | 'weightDecay' | 'epsilon', HyperSpec>> = {
    ...(learningRate === null ? {} : { learningRate: [learningRate, POSITIVE] }),
    decayRate: [given.decayRate ?? 0.8, NON_NEGATIVE],
    ...(clippingThreshold === null ? {} : { clippingThreshold: [clippingThreshold, POSITIVE] }),
    momentum: [given.momentum ?? 0, UNIT_OPEN],
    weightDecay: [given.weightDecay ?? 0, NON_NEGATIVE],
    epsilon: [given.epsilon ?? 1e-30, POSITIVE],
  };
  const hyper = defineHyperParams(numeric as Required<typeof numeric>);
  const integers = {
    minDimSizeToFactor: checkCount('minDimSizeToFactor', given.minDimSizeToFactor, 128),
    decayOffset: checkCount('decayOffset', given.decayOffset, 0),
  };
  const o: ResolvedAdafactorOptions = {
    ...hyper.options,
    learningRate,
    clippingThreshold,
    ...integers,
    multiplyByParameterScale: flag('multiplyByParameterScale', given.multiplyByParameterScale, true),
    factored: flag('factored', given.factored, true),
  };
  const usesEma = o.momentum !== 0;
  const hyperParams = (step: number): Record<string, number> => ({ ...hyper.at(step), ...integers });
  const dimsOf = (t: tf.Tensor) => factoredDims(t.shape, o.factored, o.minDimSizeToFactor);
  const without = (shape: readonly number[], axis: number) => shape.filter((_, i) => i !== axis);
  const placeholder = () => tf.zeros([1]);
  return {
    name: 'adafactor',
    stateChecks: { vRow: 'nonNegative', vCol: 'nonNegative', v: 'nonNegative' },
    options: o,
    hyperParams,
    init(params: ParamTree): AdafactorState {
      const slot = (make: (p: tf.Tensor, dims: [number, number] | null) => tf.Tensor) => map(params, (p) => make(p, dimsOf(p)));
      return {
        count: 0,
        vRow: slot((p, d) => (d ? tf.zeros(without(p.shape, d[1]), p.dtype) : placeholder())),
        vCol: slot((p, d) => (d ? tf.zeros(without(p.shape, d[0]), p.dtype) : placeholder())),
        v: slot((p, d) => (d ? placeholder() : tf.zerosLike(p))),
        ...(usesEma ? { ema: zerosLike(params) } : {}),
      };
    },
    update(grads: GradTree, state: AdafactorState, params?: ParamTree): TransformResult<AdafactorState> {
      const h = hyperParams(state.count);
      const ps = slotLeaves(grads, requireParams('adafactor', params, 'needs the parameters (optax scale_by_factored_rms and the parameter scale)'));
      // _decay_rate_pow(step − step_offset, decay_rate): 1 − (i + 1)^(−c), with i clamped at 0 (see above).
      const decay = 1 - (Math.max(state.count - o.decayOffset, 0) + 1) ** -(h.decayRate as number);
      const rms = (x: tf.Tensor) => tf.sqrt(tf.mean(tf.square(x)));
      const r = stepLeaves(grads, slotsOf(state, usesEma ? (['vRow', 'vCol', 'v', 'ema'] as const) : (['vRow', 'vCol', 'v'] as const)), (g, s, i) => {
        const p = ps[i] as tf.Tensor;
        const dims = dimsOf(p);
        const gradSqr = tf.add(tf.square(g), h.epsilon as number);
        let u: tf.Tensor;
        let stats: { vRow: tf.Tensor; vCol: tf.Tensor; v: tf.Tensor };
        if (dims) {
          const [d1, d0] = dims;
          const row = ema(s.vRow, tf.mean(gradSqr, d0), decay);
          const col = ema(s.vCol, tf.mean(gradSqr, d1), decay);
          const reducedD1 = d1 > d0 ? d1 - 1 : d1;
          const rowColMean = tf.mean(row, reducedD1, true);
          const rowFactor = tf.rsqrt(tf.div(row, rowColMean));
          const colFactor = tf.rsqrt(col);
          u = tf.mul(tf.mul(g, tf.expandDims(rowFactor, d0)), tf.expandDims(colFactor, d1));
          stats = { vRow: row, vCol: col, v: placeholder() };
        } else {
          const full = ema(s.v, gradSqr, decay);
          u = tf.mul(g, tf.rsqrt(full));
          stats = { vRow: placeholder(), vCol: placeholder(), v: full };
        }
        // clip_by_block_rms: u / max(1, rms(u) / threshold)
        if (h.clippingThreshold !== undefined) u = tf.div(u, tf.maximum(1, tf.div(rms(u), h.clippingThreshold)));
        // scale_by_learning_rate(lr, flip_sign=False)
        if (h.learningRate !== undefined) u = tf.mul(u, h.learningRate);
        // scale_by_param_block_rms(1e-3): u · max(rms(θ), 1e-3)
        if (o.multiplyByParameterScale) u = tf.mul(u, tf.maximum(rms(p), 1e-3));
        // ema(momentum, debias=False): ema = (1 − β₁)u + β₁ ema; u = ema
        if (usesEma) u = ema(s.ema, u, h.momentum as number);
        const emaSlot = u;
        // add_decayed_weights(weight_decay_rate); scale(−1)
        if (h.weightDecay !== 0) u = tf.add(u, tf.mul(p, h.weightDecay as number));
        return { update: tf.neg(u), slots: { ...stats, ema: emaSlot } };
      });
      return { updates: r.updates, state: { count: state.count + 1, ...r.slots } as AdafactorState };
    },
  };
}
