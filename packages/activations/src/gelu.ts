import { checkOptions, describeValue, HyperParameterError, optionOr } from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import { elementwise, onFloat, sigmoidPair } from './internal.js';

/** Options of `gelu`. @example `{ approximate: 'tanh' }` */
export interface GeluOptions {
  /** `'none'` (default): the exact x·Φ(x); `'tanh'`: Hendrycks & Gimpel's tanh approximation (GPT-2, BERT). */
  readonly approximate?: 'none' | 'tanh';
}

const SQRT1_2 = Math.SQRT1_2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
/** √(2/π), PyTorch's kBeta = M_SQRT2 · M_2_SQRTPI · 0.5. */
const K_BETA = Math.SQRT2 * (2 / Math.sqrt(Math.PI)) * 0.5;
const K_KAPPA = 0.044715;

/**
 * erfc(z) for z ≥ 0 with a relative error below 1.2e-7 everywhere (Numerical Recipes' `erfcc`, a
 * Chebyshev fit): t = 1/(1 + z/2), erfc(z) ≈ t·exp(−z² − 1.26551223 + t·P(t)). tf.erf is
 * Abramowitz–Stegun 7.1.26 (absolute error 1.5e-7), and Φ(x) = (1 + erf(x/√2))/2 cancels for x ≪ 0:
 * gelu(−3) would carry a 5e-5 relative error; with erfc, Φ(x) = erfc(|x|/√2)/2 keeps full precision.
 */
function erfcNonNegative(z: tf.Tensor): tf.Tensor {
  const t = tf.div(1, tf.add(1, tf.mul(z, 0.5)));
  const coefficients = [0.17087277, -0.82215223, 1.48851587, -1.13520398, 0.27886807, -0.18628806, 0.09678418, 0.37409196, 1.00002368];
  let poly: tf.Tensor = tf.scalar(coefficients[0] as number);
  for (const c of coefficients.slice(1)) poly = tf.add(tf.mul(poly, t), c);
  const exponent = tf.sub(tf.mul(t, poly), tf.add(tf.square(z), 1.26551223));
  return tf.mul(t, tf.exp(exponent));
}

/** Φ(x), the standard normal CDF, to float32 precision for every x (no cancellation for x ≪ 0). */
function normalCdf(x: tf.Tensor): tf.Tensor {
  // |x|/√2 capped at 1e4 so that z² stays finite for any input (erfc is 0 in float32 long before).
  const half = tf.mul(erfcNonNegative(tf.minimum(tf.mul(tf.abs(x), SQRT1_2), 1e4)), 0.5);
  return tf.where(tf.greaterEqual(x, 0), tf.sub(1, half), half);
}

/**
 * x·Φ(x), with PyTorch's GeluBackward Φ(x) + x·φ(x), φ(x) = exp(−x²/2)/√(2π) (x² capped: exp(−5000)
 * is 0 already). Φ is saved from the forward pass rather than computed again in the backward: it is
 * the costly part (the erfc fit), and a transformer's FFN runs it on every hidden unit.
 */
const exactOp = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const x = args[0] as tf.Tensor;
  const cdf = normalCdf(x);
  (args[1] as tf.GradSaveFunc)([x, cdf]);
  return {
    value: tf.mul(x, cdf),
    gradFunc: (dy: tf.Tensor | tf.Tensor[], [saved, phi]: tf.Tensor[]) => {
      const xs = saved as tf.Tensor;
      const density = tf.mul(tf.exp(tf.mul(tf.minimum(tf.square(xs), 1e4), -0.5)), INV_SQRT_2PI);
      return tf.mul(dy as tf.Tensor, tf.add(phi as tf.Tensor, tf.mul(xs, density)));
    },
  };
});

const exact = onFloat('gelu', exactOp);

/** u = √(2/π)(x + 0.044715x³) on x clipped to ±100, where tanh(u) is ±1 in float32 long before. */
const inner = (x: tf.Tensor) => {
  const xc = tf.clipByValue(x, -100, 100);
  return tf.mul(tf.add(xc, tf.mul(tf.mul(tf.square(xc), xc), K_KAPPA)), K_BETA);
};

const tanhApprox = elementwise(
  'gelu',
  // ½x(1 + tanh u) = x·σ(2u): the same function, without the cancellation of 1 + tanh u for x ≪ 0.
  (x) => tf.mul(x, sigmoidPair(tf.mul(inner(x), 2)).pos),
  // ½(1 + tanh u) + ½x(1 − tanh²u)·u′ = σ(2u) + 2x·σ(2u)σ(−2u)·√(2/π)(1 + 3·0.044715x²).
  (x) => {
    const s = sigmoidPair(tf.mul(inner(x), 2));
    const xc = tf.clipByValue(x, -100, 100);
    const du = tf.mul(tf.add(1, tf.mul(tf.square(xc), 3 * K_KAPPA)), K_BETA);
    return tf.add(s.pos, tf.mul(tf.mul(tf.mul(x, 2), tf.mul(s.pos, s.neg)), du));
  },
);

/**
 * Gaussian error linear unit: gelu(x) = x·Φ(x) = ½x(1 + erf(x/√2)), gelu′(x) = Φ(x) + x·φ(x);
 * with `approximate: 'tanh'`, ½x(1 + tanh(√(2/π)(x + 0.044715x³))) and its exact derivative.
 *
 * PyTorch `torch.nn.functional.gelu(x, approximate='none' | 'tanh')` (aten `GeluKernel` /
 * `GeluBackward`); Hendrycks & Gimpel 2016. tfjs has no GELU; this one computes Φ from erfc so that
 * x ≪ 0 keeps full relative precision, and is finite (values and gradients) for any finite x.
 *
 * @param x - any float tensor.
 * @param options - `{ approximate: 'none' }` by default.
 * @throws HyperParameterError (field `approximate`) for another value than 'none' or 'tanh';
 *   UnknownOptionError for any other option key.
 * @example
 * ```ts
 * gelu(tf.tensor1d([-1, 0, 1]));                          // [-0.1587, 0, 0.8413]
 * gelu(tf.tensor1d([-1, 0, 1]), { approximate: 'tanh' }); // [-0.1588, 0, 0.8412]
 * ```
 */
export function gelu(x: tf.Tensor, options: GeluOptions = {}): tf.Tensor {
  const o = checkOptions('gelu', options, ['approximate'], { example: "gelu(x, { approximate: 'tanh' })" });
  const approximate = optionOr('approximate', o.approximate, 'none');
  if (approximate !== 'none' && approximate !== 'tanh')
    throw new HyperParameterError('approximate', `gelu: approximate must be 'none' or 'tanh' (PyTorch's names), got ${describeValue(approximate)}`);
  return approximate === 'none' ? exact(x) : tanhApprox(x);
}
