// The edge-of-stability finding: plain gradient descent with rate η is unstable along a direction of
// curvature λ once η·λ/2 > 1 (Cohen et al. 2021, "Gradient Descent on Neural Networks Typically
// Occurs at the Edge of Stability", ICLR: the sharpness rises to 2/η and hovers there).
import { checkHyper, describeValue, HyperParameterError, ValueError } from '@gradkit/core';
import { fmt } from './format-number.js';
import type { Finding } from './report.js';

/** A rate below 2/λ to suggest: 1/λ (ratio ½), rounded down to two significant digits. */
function saferRate(lambdaMax: number): number {
  const r = 1 / lambdaMax;
  const scale = 10 ** (Math.floor(Math.log10(r)) - 1);
  return Number((Math.floor(r / scale + 1e-9) * scale).toPrecision(2));
}

/**
 * The edge-of-stability finding for plain SGD: a warning of kind `'edgeOfStability'` when
 * η·λmax/2 > 1, else undefined.
 *
 * Gradient descent θ ← θ − η∇L on a quadratic with curvature λ along a direction multiplies the
 * error along it by (1 − ηλ) each step, which grows once η > 2/λ. Cohen et al. (2021) show that
 * full-batch gradient descent on neural networks raises the top Hessian eigenvalue λmax until
 * η·λmax/2 ≈ 1 and then trains non-monotonically there; a ratio well above 1 at the start means
 * the loss oscillates or spikes before the weights move to flatter ground (or diverges). The finding
 * suggests a rate below 2/λmax (1/λmax, two significant digits, rounded down).
 *
 * Only for `'sgd'` (plain gradient descent, tfjs's `tf.train.sgd`, gradkit's `sgd` without
 * momentum): for adaptive optimizers (`adam`, `rmsprop`, `adagrad` …) the step is preconditioned by
 * P⁻¹ and the quantity that matters is the sharpness of the preconditioned Hessian P⁻¹H (Cohen et
 * al. 2022, "Adaptive Gradient Methods at the Edge of Stability"), which λmax of H does not give;
 * for SGD with momentum β the threshold is (2 + 2β)/η, which the name alone does not give. Those get
 * undefined. The eigenvalue comes from `hessianTopEigenvalue`.
 *
 * @param lambdaMax - the top Hessian eigenvalue of the loss (a finite number; a negative one gives undefined).
 * @param learningRate - the rate η (finite, > 0).
 * @param optimizerName - the optimizer's name (`'sgd'`, `'adam'` …; compared without case).
 * @throws ValueError naming `lambdaMax` when it is not a finite number; HyperParameterError naming
 *   `learningRate` (not a finite number > 0) or `optimizerName` (not a non-empty string).
 * @example
 * ```ts
 * const { lambdaMax } = await hessianTopEigenvalue(loss, vars); // 10
 * edgeOfStabilityFinding(lambdaMax, 0.3, 'sgd')?.toTry; // ['a learning rate below 2/λmax = 0.2, e.g. 0.1: …']
 * edgeOfStabilityFinding(lambdaMax, 0.1, 'sgd'); // undefined (η·λmax/2 = 0.5)
 * ```
 */
export function edgeOfStabilityFinding(lambdaMax: number, learningRate: number, optimizerName: string): Finding | undefined {
  if (typeof lambdaMax !== 'number' || !Number.isFinite(lambdaMax))
    throw new ValueError(
      'lambdaMax',
      `lambdaMax must be a finite number (the top Hessian eigenvalue from hessianTopEigenvalue), got ${describeValue(lambdaMax)}`,
    );
  if (typeof learningRate !== 'number') throw new HyperParameterError('learningRate', `learningRate must be a number, got ${describeValue(learningRate)}`);
  checkHyper('learningRate', learningRate, { min: 0, minExclusive: true });
  if (typeof optimizerName !== 'string' || optimizerName.trim() === '')
    throw new HyperParameterError('optimizerName', `optimizerName must be the optimizer's name, e.g. 'sgd' or 'adam', got ${describeValue(optimizerName)}`);
  if (optimizerName.trim().toLowerCase() !== 'sgd') return undefined;
  const ratio = (learningRate * lambdaMax) / 2;
  if (!(ratio > 1)) return undefined;
  const limit = 2 / lambdaMax;
  const rate = saferRate(lambdaMax);
  return {
    kind: 'edgeOfStability',
    severity: 'warning',
    what: `η·λmax/2 = ${fmt(ratio)} (learning rate ${fmt(learningRate)}, top Hessian eigenvalue ${fmt(lambdaMax)}): above 1, the rate is larger than 2/λmax = ${fmt(limit)}`,
    where: 'all trainable weights (the top Hessian eigenvector)',
    why: `plain gradient descent multiplies the error along a direction of curvature λ by (1 − ηλ) each step: with η > 2/λ it grows, so the loss oscillates or spikes until training moves to flatter ground, or diverges (Cohen et al. 2021, the edge of stability).`,
    toTry: [
      `a learning rate below 2/λmax = ${fmt(limit)}, e.g. ${rate}: tf.train.sgd(${rate}) for a tfjs-layers model, sgd({ learningRate: ${rate} }) in gradkit`,
    ],
  };
}
