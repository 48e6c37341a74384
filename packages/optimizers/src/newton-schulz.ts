import { checkNumberOption, HyperParameterError, optionOr, ValueError } from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import { l2Norm, type OptionKeys, optionsOf, POSITIVE } from './internal.js';

/** Coefficients (a, b, c) of Muon's quintic Newton–Schulz step X ← aX + (bA + cA²)X, A = XXᵀ (Keller Jordan 2024; torch.optim.Muon's defaults). */
export const NS_COEFFICIENTS = [3.4445, -4.775, 2.0315] as const;

/** Options of `newtonSchulz`. @example `{ steps: 5, epsilon: 1e-7 }` */
export interface NewtonSchulzOptions {
  /** Iterations of the quintic (an integer in [1, 99], as torch.optim.Muon's `ns_steps`; default 5). */
  readonly steps?: number;
  /** Floor of the Frobenius norm the matrix is divided by first (> 0; default 1e-7, torch's `eps`). */
  readonly epsilon?: number;
}

const NS_KEYS: OptionKeys<NewtonSchulzOptions> = { steps: true, epsilon: true };

/**
 * A Newton–Schulz step count: an integer in [1, 99] (torch.optim.Muon refuses 100 or more; 0 would
 * leave the update unorthogonalized). A number, never a schedule: it fixes the computation.
 *
 * @throws HyperParameterError naming `field`.
 */
export function checkNsSteps(field: string, value: unknown, fallback = 5): number {
  const v = optionOr(field, value, fallback);
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v >= 100)
    throw new HyperParameterError(
      field,
      `${field} must be an integer from 1 to 99 (Newton–Schulz iterations; 5 is torch.optim.Muon's default, more than ~10 costs time for nothing), got ${typeof v === 'number' ? v : typeof v}`,
    );
  return v;
}

/**
 * The quintic Newton–Schulz iteration on a float32 matrix, without checks (callers validate): torch's
 * `_zeropower_via_newtonschulz` (use_addmm off), op for op in float32. Works on the shorter side
 * (transposes a tall matrix, and back). Returns a new tensor.
 */
export function orthogonalize(g: tf.Tensor2D, steps: number, epsilon: number): tf.Tensor2D {
  const [a, b, c] = NS_COEFFICIENTS;
  return tf.tidy(() => {
    const tall = (g.shape[0] as number) > (g.shape[1] as number);
    let x: tf.Tensor2D = tall ? tf.transpose(g) : g;
    x = tf.div(x, tf.maximum(l2Norm(x), epsilon)); // ortho_grad.div_(ortho_grad.norm().clamp(min=eps))
    for (let k = 0; k < steps; k++) {
      const gram = tf.matMul(x, x, false, true); // gram_matrix = X @ X.T
      const gramUpdate = tf.add(tf.mul(gram, b), tf.matMul(tf.mul(gram, c), gram)); // b * gram + c * gram @ gram
      x = tf.add(tf.mul(x, a), tf.matMul(gramUpdate, x)); // a * X + gram_update @ X
    }
    return tall ? tf.transpose(x) : x;
  });
}

/**
 * Orthogonalizes a matrix approximately: Muon's quintic Newton–Schulz iteration (Keller Jordan 2024),
 * which maps G = USVᵀ to about US′Vᵀ with every singular value in S′ pushed into roughly [0.7, 1.2]
 * (not exactly UVᵀ: the coefficients trade convergence for speed). No SVD: only matmuls, on the device.
 *
 * X₀ = G / max(‖G‖_F, ε) (transposed first when G has more rows than columns, so XXᵀ is the
 * smaller Gram matrix); then `steps` times: A = XXᵀ, B = bA + (cA)A, X ← aX + BX, with
 * (a, b, c) = (3.4445, −4.7750, 2.0315); transposed back at the end.
 *
 * torch.optim.Muon's `_zeropower_via_newtonschulz` (torch/optim/_muon.py), op for op, except that
 * torch runs it in bfloat16 and gradkit in float32 (tfjs has no bfloat16): the singular values land
 * in the same band, the digits differ from torch's beyond bfloat16's precision.
 *
 * @param matrix - a float32 matrix (rank 2).
 * @throws ValueError naming `matrix` for anything but a live float32 rank-2 tensor; HyperParameterError
 *   naming `steps` (not an integer in [1, 99]) or `epsilon` (not > 0); UnknownOptionError for another key
 *   (torch's `ns_steps`, `eps` …).
 * @example
 * ```ts
 * const o = newtonSchulz(tf.tensor2d([[3, 0], [0, 0.5]])); // ≈ [[0.714, 0], [0, 1.042]]: both singular values pulled near 1
 * ```
 */
export function newtonSchulz(matrix: tf.Tensor, options?: NewtonSchulzOptions): tf.Tensor2D {
  const given = optionsOf('newtonSchulz', options, NS_KEYS, 'newtonSchulz(g, { steps: 5 })');
  const steps = checkNsSteps('steps', given.steps);
  const epsilon = checkNumberOption('epsilon', optionOr('epsilon', given.epsilon, 1e-7), POSITIVE);
  if (!(matrix instanceof tf.Tensor) || matrix.isDisposed || matrix.rank !== 2 || matrix.dtype !== 'float32')
    throw new ValueError(
      'matrix',
      `newtonSchulz needs a float32 matrix (rank 2), got ${matrix instanceof tf.Tensor ? `${matrix.isDisposed ? 'a disposed ' : 'a '}${matrix.dtype} tensor of shape [${matrix.shape.join(', ')}]` : typeof matrix}: reshape a kernel to [fanIn, fanOut] first`,
    );
  return orthogonalize(matrix as tf.Tensor2D, steps, epsilon);
}
