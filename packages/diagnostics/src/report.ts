import type { DiagnosticsThresholds } from './thresholds.js';

/**
 * The overall diagnosis of one step's gradients (see `DiagnosticsThresholds` for the rules):
 * `nonfinite` (NaN or ±Infinity somewhere), `exploding`, `vanishing`, or `healthy`.
 *
 * @example
 * ```ts
 * if ((await inspectGradients(grads)).verdict !== 'healthy') console.warn('look at the findings');
 * ```
 */
export type Verdict = 'healthy' | 'vanishing' | 'exploding' | 'nonfinite';

/**
 * The kind of nonlinearity that produced a tapped activation, which decides how dead units and
 * saturation are counted. `auto` infers it (see `ActivationReport.kind`).
 *
 * @example
 * ```ts
 * await inspectGradients(grads, { activations: taps, activationKinds: { 'layers.0': 'tanh' } });
 * ```
 */
export type ActivationKind = 'relu' | 'sigmoid' | 'tanh' | 'linear';

/**
 * Statistics of one leaf of the gradient tree (one "layer" in the report: a kernel, a bias …), and
 * of its parameter and update when those were given. Computed on the device in float32.
 *
 * @example
 * ```ts
 * for (const l of report.layers) console.log(l.name, l.gradNorm, l.updateRatio);
 * ```
 */
export interface LayerReport {
  /** The leaf's tree path, e.g. `layers.3.kernel`. */
  readonly name: string;
  /** The leaf's shape. */
  readonly shape: readonly number[];
  /** Number of elements. */
  readonly size: number;
  /** Whether it counts as a weight layer for the depth rules (rank ≥ 2). */
  readonly isWeight: boolean;
  /** ‖g‖₂. */
  readonly gradNorm: number;
  /** Mean of the gradient's elements. */
  readonly gradMean: number;
  /** Standard deviation (population) of the gradient's elements, from the raw moments. */
  readonly gradStd: number;
  /** max |g| over the finite elements. */
  readonly gradMaxAbs: number;
  /** Fraction of the gradient's elements that are exactly 0. */
  readonly gradZeroFraction: number;
  /** Number of NaN or ±Infinity elements in the gradient (the other statistics are then NaN/Infinity too). */
  readonly nonFinite: number;
  /** ‖θ‖₂ when the parameters were given. */
  readonly paramNorm?: number;
  /** ‖g‖/‖θ‖ when the parameters were given (undefined when ‖θ‖ = 0). */
  readonly gradToParam?: number;
  /** ‖u‖₂ of this step's update when the updates were given. */
  readonly updateNorm?: number;
  /** ‖u‖/‖θ‖, the update-to-parameter ratio (≈1e-3 is typical of healthy training; undefined when ‖θ‖ = 0). */
  readonly updateRatio?: number;
}

/**
 * Statistics of one tapped activation (a layer's output, from core's `tap`/`withTaps`) and of the
 * gradient with respect to it. Features are the last axis: a unit is a column of the activation
 * reshaped to `[rows, units]`.
 *
 * @example
 * ```ts
 * for (const a of report.activations) console.log(a.name, a.kind, a.deadFraction, a.gradNorm);
 * ```
 */
export interface ActivationReport {
  /** The tap's name. */
  readonly name: string;
  /** The activation kind used for dead/saturated counts: given, or inferred from the name (`relu`, `sigmoid`, `tanh` in it) or else from the range of values (outputs in (0, 1) without exact zeros: sigmoid; in [−1, 1] with negatives: tanh; ≥ 0 with exact zeros: relu; otherwise linear). */
  readonly kind: ActivationKind;
  /** The activation's shape. */
  readonly shape: readonly number[];
  /** Number of units (the last axis). */
  readonly units: number;
  /** Fraction of units never > 0 over the batch (relu only; 0 for other kinds). */
  readonly deadFraction: number;
  /** Fraction of outputs within `saturationMargin` of the bounds (sigmoid, tanh; 0 for other kinds), up to float32 rounding at the margin. */
  readonly saturationFraction: number;
  /** Mean of the activation. */
  readonly mean: number;
  /** Standard deviation of the activation. */
  readonly std: number;
  /** Smallest value. */
  readonly min: number;
  /** Largest value. */
  readonly max: number;
  /** Number of NaN or ±Infinity values in the activation. */
  readonly nonFinite: number;
  /** ‖∂L/∂h‖₂, the gradient with respect to this layer's output, when the tap recorded one. */
  readonly gradNorm?: number;
  /** Number of NaN or ±Infinity values in ∂L/∂h. */
  readonly gradNonFinite?: number;
}

/**
 * The kind of a finding. These decide the verdict: `nonfinite`; `exploding`, `growingNorm` (a trend),
 * `explodingActivations` (the forward signal), `explodingThroughTime` (a recurrent layer's ‖∂L/∂hₜ‖
 * growing towards the first steps) and `attentionLogitGrowth` make it `exploding`; `vanishing` and
 * `vanishingThroughTime` make it `vanishing`. The others are warnings that do not change it.
 *
 * @example
 * ```ts
 * report.findings.filter((f) => f.kind === 'deadUnits');
 * ```
 */
export type FindingKind =
  | 'nonfinite'
  | 'exploding'
  | 'growingNorm'
  | 'explodingActivations'
  | 'explodingThroughTime'
  | 'attentionLogitGrowth'
  | 'vanishing'
  | 'vanishingThroughTime'
  | 'deadUnits'
  | 'saturation'
  | 'largeUpdates'
  | 'smallUpdates'
  | 'lossSpike'
  | 'edgeOfStability'
  | 'noProgress';

/**
 * One thing the diagnostics noticed: what was seen (with the numbers), where (tree paths or tap
 * names), why it matters, and what to try (each naming the gradkit part that does it).
 *
 * @example
 * ```ts
 * for (const f of report.findings) console.log(`${f.what} at ${f.where}: ${f.why} Try: ${f.toTry.join('; ')}`);
 * ```
 */
export interface Finding {
  /** What kind of problem. */
  readonly kind: FindingKind;
  /** `error` for the verdict's own finding (and non-finite values), `warning` for the others. */
  readonly severity: 'error' | 'warning';
  /** What was seen, with numbers. */
  readonly what: string;
  /** Where: the tree path(s) of the layers or the tap names involved. */
  readonly where: string;
  /** Why it matters for training. */
  readonly why: string;
  /**
   * Remedies to try, most specific first, each naming the part that does it in the user's API: a
   * gradkit part for gradkit runs (e.g. `clipByGlobalNorm(1)`), tfjs-layers options for a
   * tfjs-layers model (e.g. `kernelInitializer: 'heNormal'`, `tf.layers.batchNormalization()`):
   * only remedies the gradient lab's experiments confirm, and none the report can see in place
   * (normalization or residual layers among the taps; clipping or a finite guard in the `transform`
   * given to `inspectGradients` or `observe`).
   */
  readonly toTry: readonly string[];
}

/**
 * What `inspectGradients` (and every monitor) returns for one step: the verdict, per-layer and
 * per-activation statistics in input-to-output order, and the findings. Plain data: `toJSON`,
 * `formatText` and `toHTML` render it.
 *
 * @example
 * ```ts
 * const report = await inspectGradients(grads, { params, activations: taps });
 * console.log(report.verdict, report.firstLastRatio);
 * ```
 */
export interface GradientReport {
  /** Always `'gradkit-gradient-report'`. */
  readonly format: 'gradkit-gradient-report';
  /** Format version (1). */
  readonly version: 1;
  /** The training step this report describes, when known. */
  readonly step?: number;
  /** The diagnosis. */
  readonly verdict: Verdict;
  /** ‖g‖₂ over the whole gradient tree. */
  readonly globalNorm: number;
  /** ‖g_first‖/‖g_last‖ over the weight layers (input side over output side); undefined with fewer than two weight layers or ‖g_last‖ = 0. */
  readonly firstLastRatio?: number;
  /** Per-leaf statistics, in the parameter tree's flatten order (input to output). */
  readonly layers: readonly LayerReport[];
  /** Per-tap statistics, in the order the taps ran (input to output). */
  readonly activations: readonly ActivationReport[];
  /** What was noticed, the verdict's own finding first. */
  readonly findings: readonly Finding[];
  /** The thresholds the rules used. */
  readonly thresholds: DiagnosticsThresholds;
  /** The tfjs backend the statistics were computed on. */
  readonly backend: string;
  /** The training loss at this step, when the observation gave it. */
  readonly loss?: number;
  /** Per recurrent layer, the gradient flow through time (from its step taps `<layer>.t<k>`); absent without step taps. */
  readonly temporal?: readonly TemporalProfile[];
  /** Per attention layer, the entropy and logit scale of its attention (from its taps `<layer>.probs`, `<layer>.logits`); absent without them. */
  readonly attention?: readonly AttentionStats[];
}

/**
 * The gradient flow through time of one recurrent layer: ‖∂L/∂hₜ‖ at each tapped step t, from the
 * step taps `<layer>.t<k>` that `simpleRnn`, `lstm` and `gru` record (the total gradient reaching
 * hₜ, through the output at t and through every later step).
 *
 * @example
 * ```ts
 * for (const p of report.temporal ?? []) console.log(p.layer, p.firstLastRatio, p.decayPerStep);
 * ```
 */
export interface TemporalProfile {
  /** The layer's tap prefix, e.g. `0.lstm`. */
  readonly layer: string;
  /** The time steps t, ascending. */
  readonly steps: readonly number[];
  /** ‖∂L/∂hₜ‖₂ (or ‖∂L/∂xₜ‖₂, see `of`) at each of `steps`. */
  readonly gradNorm: readonly number[];
  /**
   * What the norms are of: `'hidden'` (default) the layer's hidden state hₜ (the step taps of
   * @gradkit/nn's recurrent layers), `'input'` the model's input xₜ at step t (`diagnoseModel` on a
   * tfjs-layers recurrent model, whose hidden states cannot be tapped: ∂L/∂xₜ = (∂hₜ/∂xₜ)ᵀ ∂L/∂hₜ
   * with the same input kernel at every step, so it decays back in time as ∂L/∂hₜ does).
   */
  readonly of?: 'hidden' | 'input';
  /** ‖∂L/∂h_first‖/‖∂L/∂h_last‖ (undefined when the last is 0 or a norm is not finite). */
  readonly firstLastRatio?: number;
  /** The geometric mean factor per step going back in time, ratio^(1/(t_last − t_first)): below 1 decays, above 1 grows. */
  readonly decayPerStep?: number;
}

/**
 * The attention of one attention layer at one step: how spread its weights are and how large the
 * pre-softmax logits grew (attention-logit growth precedes the loss divergence of large
 * transformers: Dehghani et al. 2023; Wortsman et al. 2023).
 *
 * @example
 * ```ts
 * for (const a of report.attention ?? []) console.log(a.layer, a.entropy / a.maxEntropy, a.logitMaxAbs);
 * ```
 */
export interface AttentionStats {
  /** The layer's tap prefix, e.g. `1.attention.multiHeadAttention` (the attention of the transformerBlock at index 1). */
  readonly layer: string;
  /** Mean over batch, heads and query positions of −Σ p log p, in nats (from the `.probs` tap). */
  readonly entropy?: number;
  /** log(number of keys), the entropy of uniform attention. */
  readonly maxEntropy?: number;
  /** max |logit| of the scaled pre-softmax scores (from the `.logits` tap). */
  readonly logitMaxAbs?: number;
  /** Standard deviation of the scaled pre-softmax scores. */
  readonly logitStd?: number;
}
