import { checkOptions, type GradientTransformation, type GradTree, type ParamTree } from '@gradkit/core';
import { type ActivationKinds, type ActivationsInput, finishObservation, launchObservation } from './observe.js';
import type { GradientReport } from './report.js';
import { type DiagnosticsThresholds, resolveThresholds, THRESHOLD_KEYS } from './thresholds.js';

/**
 * Options of `inspectGradients`: what to look at besides the gradients, and any threshold of the
 * rules (`DiagnosticsThresholds`, defaults in `DEFAULT_THRESHOLDS`).
 *
 * @example
 * ```ts
 * await inspectGradients(grads, { params, activations: taps, activationKinds: 'relu', vanishingRatio: 1e-4 });
 * ```
 */
export interface InspectOptions extends Partial<DiagnosticsThresholds> {
  /** The parameters, same structure as the gradients: adds ‖θ‖ and ‖g‖/‖θ‖ per layer; its flatten order is the report's layer order. */
  readonly params?: ParamTree;
  /** This step's updates (what the optimizer adds to the parameters): adds ‖u‖/‖θ‖ per layer. */
  readonly updates?: GradTree;
  /** Tapped activations, e.g. the `taps` of `withTaps(valueAndGrad(loss))(params)`: dead units, saturation, ∂L/∂h. */
  readonly activations?: ActivationsInput;
  /** How to read the activations: `'relu'`, `'sigmoid'`, `'tanh'`, `'linear'`, `'auto'` (default), or one per tap name. */
  readonly activationKinds?: ActivationKinds;
  /** The training step, recorded in the report. */
  readonly step?: number;
  /**
   * The transformation the optimizer runs (e.g. `opt.transform`): remedies it already applies are
   * not offered again (no "clip the gradients" when it has `clipByGlobalNorm`, no finite guard when
   * it has `applyIfFinite` or `zeroNans`).
   */
  readonly transform?: GradientTransformation;
}

/** The keys `inspectGradients` takes: its inputs and every threshold. */
export const INSPECT_KEYS: readonly string[] = ['params', 'updates', 'activations', 'activationKinds', 'step', 'transform', ...THRESHOLD_KEYS];

/**
 * Diagnoses one step's gradients: per-layer statistics (‖g‖, mean, std, max |g|, zero fraction,
 * non-finite count; ‖θ‖ and ‖u‖/‖θ‖ when given), activation statistics from taps (dead units,
 * saturation, ‖∂L/∂h‖), a verdict (`healthy`, `vanishing`, `exploding`, `nonfinite`) and findings
 * that say what, where, why and what to try. The rules are documented on `DiagnosticsThresholds`.
 *
 * Every statistic is computed on the device in one pass: tensors of the same shape are stacked and
 * reduced together (Σx², Σx, max, min and the non-zero count, from arithmetic ops and reductions
 * only) into one small tensor, read back with a single `await data()`. NaN and ±Infinity show up in
 * the sums; only then does a second readback count them exactly. The tensors are read when the call
 * is made: the caller may dispose them as soon as `inspectGradients` returns its promise (their
 * buffers are shared, not copied, until the statistics are read back). Nothing of the caller's is
 * kept or disposed.
 *
 * Related: PyTorch users plot `p.grad.norm()` per layer (the "gradient flow" plot); Glorot & Bengio
 * (2010) and He et al. (2015) analyse why deep nets' gradients vanish or explode.
 *
 * @throws TreeMismatchError when `params` or `updates` do not match the gradients (naming the path);
 *   UnknownOptionError for an option it does not take (a mistyped threshold: "did you mean");
 *   HyperParameterError naming a threshold out of range; ValueError for an empty tree or a leaf that
 *   is not a live numeric tensor.
 * @example
 * ```ts
 * const { result: { value, grads }, taps } = withTaps(valueAndGrad(loss))(params);
 * const report = await inspectGradients(grads, { params, activations: taps });
 * console.log(formatText(report)); // verdict, table, findings
 * tf.dispose([value, grads, taps]);
 * ```
 */
export async function inspectGradients(grads: GradTree, options: InspectOptions = {}): Promise<GradientReport> {
  const o = checkOptions('inspectGradients', options, INSPECT_KEYS, { example: 'inspectGradients(grads, { params, activations: taps })' });
  const thresholds = resolveThresholds(o);
  const launched = launchObservation({ ...o, grads }, thresholds);
  return finishObservation(launched);
}
