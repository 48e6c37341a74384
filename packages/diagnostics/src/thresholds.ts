import { checkHyper, HyperParameterError, type HyperRange } from '@gradkit/core';

/**
 * The rules' thresholds: when a report says `vanishing`, `exploding` or `nonfinite`, and when it
 * adds a finding about dead units, saturation or update sizes. Every one is an option of
 * `inspectGradients`, `GradientMonitor`, `monitorGradients` and `gradientCallback`, with the
 * defaults of `DEFAULT_THRESHOLDS`.
 *
 * The rules, in order of precedence (the first that fires is the verdict):
 * 1. `nonfinite`: any gradient, tap gradient or parameter holds NaN or ±Infinity.
 * 2. `exploding`: a layer's gradient norm exceeds `explodingNorm`; or the first weight layer's
 *    gradient norm is more than `explodingRatio` × the last's; or the same across the taps
 *    (‖∂L/∂h‖ of the first tapped layer over the last); or the forward signal explodes
 *    (`explodingActivations`: the standard deviation of a depth tap's output exceeds
 *    `activationGrowth` × the first depth tap's; normalization outputs, recurrent step taps,
 *    attention taps and the network's outputs are left out); or (a `GradientMonitor` only) the
 *    global gradient norm grew by at least `trendFactor` per optimizer step between consecutive
 *    reports (a factor of `trendFactor`^Δstep) over the latest reports spanning at least
 *    `trendReports` steps, while the loss, when known, did not fall (per step, so the verdict is the
 *    same whatever `every` is).
 * 3. `vanishing`: the first weight layer's gradient norm is less than `vanishingRatio` × the last's;
 *    or the same across the taps; or every weight layer's gradient norm is below `vanishingNorm`.
 *    That last rule first asks the taps why the gradients are (almost) exactly zero: activations
 *    that explode (rule 2) or a saturated network output (a softmax/sigmoid output, known for
 *    `gradientCallback`'s probe, with more than `saturationFraction` of its values within
 *    `saturationMargin` of 0 or 1: a loss that clips probabilities, as tfjs-layers' crossentropies
 *    do, then has an exactly zero gradient) make it `exploding` (the weights were driven to extremes,
 *    usually by a learning rate far too high: the first remedy is a lower rate); dead or saturated
 *    hidden units keep it `vanishing`, with the remedies of dead units or saturation and the reason.
 * 4. `healthy` otherwise.
 *
 * Warnings (they never change the verdict): dead units (`deadUnitFraction`), saturation
 * (`saturationFraction`; not for the network's outputs), update-to-parameter ratios
 * (`maxUpdateRatio`, `minUpdateRatio`: with an error finding they get its remedies, never "a higher
 * learning rate"; no small-updates finding while the observed learning rate is at most half its
 * peak so far, a schedule's own decay), and (a monitor only) `lossSpike`: the z-score of the loss,
 * or of log‖g‖, against the mean and deviation of the previous `spikeWindow` reports exceeds
 * `spikeZ` (upward only; nothing before `spikeWindow` reports).
 *
 * Weight layers are the leaves of rank ≥ 2 (dense kernels, conv filters) in the tree's flatten order
 * (input to output); biases and normalization scales are reported but not used for the depth ratio.
 * Norms assume a loss averaged over the batch (as tfjs's and PyTorch's losses are by default).
 *
 * @example
 * ```ts
 * const report = await inspectGradients(grads, { params, vanishingRatio: 1e-4, explodingNorm: 100 });
 * ```
 */
export interface DiagnosticsThresholds {
  /** Vanishing when ‖g_first‖ < vanishingRatio · ‖g_last‖ (weight layers, or taps). Default 1e-3. */
  readonly vanishingRatio: number;
  /** Exploding when ‖g_first‖ > explodingRatio · ‖g_last‖ (weight layers, or taps). Default 1e3. */
  readonly explodingRatio: number;
  /** Exploding when any layer's gradient norm exceeds this. Default 1e3. */
  readonly explodingNorm: number;
  /** Vanishing when every weight layer's gradient norm is below this (nothing reaches the weights). Default 1e-7. */
  readonly vanishingNorm: number;
  /** A finding when more than this fraction of a ReLU layer's units are dead (never > 0 over the batch). Default 0.5. */
  readonly deadUnitFraction: number;
  /** A finding when more than this fraction of a sigmoid/tanh layer's outputs are saturated. Default 0.5. */
  readonly saturationFraction: number;
  /** Saturated means within this margin of the bounds: sigmoid a < m or a > 1 − m, tanh |a| > 1 − m. Default 0.01. */
  readonly saturationMargin: number;
  /** A finding when ‖update‖/‖param‖ of a weight layer exceeds this (steps too large). Default 0.1. */
  readonly maxUpdateRatio: number;
  /** A finding when ‖update‖/‖param‖ of a weight layer is below this (steps too small to learn). Default 1e-7. */
  readonly minUpdateRatio: number;
  /** Monitor trend: growth factor of the global gradient norm per optimizer step (between reports Δ steps apart: trendFactor^Δ). Default 2. */
  readonly trendFactor: number;
  /** Monitor trend: the number of optimizer steps the growth must be sustained over (the latest reports spanning at least that many) to make `exploding`. Default 3. */
  readonly trendReports: number;
  /**
   * Vanishing through time when a recurrent layer's ‖∂L/∂h_first‖ < timeVanishingRatio · ‖∂L/∂h_last‖
   * (from its step taps `<layer>.t<k>`: the gradient reaching the first step is under 1e-3 of the
   * last step's; at ×0.9 per step that is 66 steps). Default 1e-3. With a loss on the last output only;
   * a loss on every step's output gives each step a gradient of its own, and the ratio stays near 1.
   */
  readonly timeVanishingRatio: number;
  /** Exploding through time when a recurrent layer's ‖∂L/∂h_first‖ > timeExplodingRatio · ‖∂L/∂h_last‖ (e.g. ×1.2 per step over 38 steps). Default 1e3. */
  readonly timeExplodingRatio: number;
  /** Attention-logit growth when an attention layer's max |scaled pre-softmax logit| (its `.logits` tap) exceeds this: a key 50 above the others takes all but e⁻⁵⁰ of the weight, and the softmax's gradient vanishes (Dehghani et al. 2023). Default 50. */
  readonly attentionLogitMax: number;
  /**
   * Exploding activations when the standard deviation of a tapped layer's output exceeds this
   * multiple of the first tapped layer's: std(h_k) > activationGrowth · std(h_first) over the depth
   * taps (He et al. 2015: with Var(w) = 2/fanIn a ReLU net keeps the scale; 4× that variance doubles
   * the std at every layer, 2⁹ = 512 after 10 layers). Default 100.
   */
  readonly activationGrowth: number;
  /**
   * Monitor: a loss or global-gradient-norm spike when its z-score against the running mean and
   * deviation of the previous reports exceeds this: z = (L − mean)/std for the loss (std at least
   * 1% of |mean|), z = (log‖g‖ − mean)/std for the norm (std at least 0.1). Default 6.
   */
  readonly spikeZ: number;
  /** Monitor: the number of previous reports the running mean and deviation of the spike rule use (and need before it fires). Default 20. */
  readonly spikeWindow: number;
}

/**
 * The default thresholds of the diagnostics rules (see `DiagnosticsThresholds`).
 *
 * @example
 * ```ts
 * const strict = { ...DEFAULT_THRESHOLDS, vanishingRatio: 1e-2 };
 * ```
 */
export const DEFAULT_THRESHOLDS: Readonly<DiagnosticsThresholds> = Object.freeze({
  vanishingRatio: 1e-3,
  explodingRatio: 1e3,
  explodingNorm: 1e3,
  vanishingNorm: 1e-7,
  deadUnitFraction: 0.5,
  saturationFraction: 0.5,
  saturationMargin: 0.01,
  maxUpdateRatio: 0.1,
  minUpdateRatio: 1e-7,
  trendFactor: 2,
  trendReports: 3,
  timeVanishingRatio: 1e-3,
  timeExplodingRatio: 1e3,
  attentionLogitMax: 50,
  activationGrowth: 100,
  spikeZ: 6,
  spikeWindow: 20,
});

const POSITIVE: HyperRange = { min: 0, minExclusive: true };
const RANGES: Record<keyof DiagnosticsThresholds, HyperRange> = {
  vanishingRatio: { min: 0, max: 1, minExclusive: true, maxExclusive: true },
  explodingRatio: { min: 1, minExclusive: true },
  explodingNorm: POSITIVE,
  vanishingNorm: { min: 0 },
  deadUnitFraction: { min: 0, max: 1 },
  saturationFraction: { min: 0, max: 1 },
  saturationMargin: { min: 0, max: 0.5, minExclusive: true, maxExclusive: true },
  maxUpdateRatio: POSITIVE,
  minUpdateRatio: { min: 0 },
  trendFactor: { min: 1, minExclusive: true },
  trendReports: { min: 1 },
  timeVanishingRatio: { min: 0, max: 1, minExclusive: true, maxExclusive: true },
  timeExplodingRatio: { min: 1, minExclusive: true },
  attentionLogitMax: POSITIVE,
  activationGrowth: { min: 1, minExclusive: true },
  spikeZ: POSITIVE,
  spikeWindow: { min: 2 },
};

/** The threshold names: every options object that takes thresholds accepts these keys. */
export const THRESHOLD_KEYS = Object.keys(DEFAULT_THRESHOLDS) as (keyof DiagnosticsThresholds)[];

/**
 * Fills in defaults and validates every threshold present in `options` (an absent or `undefined`
 * threshold takes its default; the caller checks the options object's keys, see `checkOptions`).
 *
 * @throws HyperParameterError naming the threshold that is not a finite number in its range.
 */
export function resolveThresholds(options: Partial<DiagnosticsThresholds> = {}): DiagnosticsThresholds {
  const out: Record<string, number> = {};
  for (const key of THRESHOLD_KEYS) {
    const value: unknown = options[key] === undefined ? DEFAULT_THRESHOLDS[key] : options[key];
    if (typeof value !== 'number')
      throw new HyperParameterError(key, `${key} must be a number (default ${DEFAULT_THRESHOLDS[key]}), got ${value === null ? 'null' : typeof value}`);
    checkHyper(key, value, RANGES[key]);
    out[key] = value;
  }
  for (const key of ['trendReports', 'spikeWindow'] as const)
    if (!Number.isInteger(out[key])) throw new HyperParameterError(key, `${key} must be a whole number, got ${out[key]}`);
  return out as unknown as DiagnosticsThresholds;
}
