import { checkOptions, HyperParameterError } from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import { affine, checkAffine, checkEpsilon, checkInput, checkShape, shapeOf } from './checks.js';
import { standardize } from './standardize.js';

/** Options of `layerNorm` and `rmsNorm`. @example `{ epsilon: 1e-6, normalizedShape: [16, 64] }` */
export interface TrailingNormOptions {
  /** Added to the variance (layerNorm, default 1e-5) or the mean square (rmsNorm, default 1e-6) before the square root; > 0. */
  readonly epsilon?: number;
  /**
   * The trailing axes to normalize over, as PyTorch's `normalized_shape`: their sizes (the last
   * dims of x). Default: gamma's shape when gamma is given, else beta's, else the last axis alone.
   */
  readonly normalizedShape?: number | readonly number[];
}

/** The options of `layerNorm` or `rmsNorm`, strictly checked, with epsilon resolved (`fallback` when absent). */
export function trailingOptions(fn: string, options: TrailingNormOptions | undefined, fallback: number) {
  const o = checkOptions(fn, options, ['epsilon', 'normalizedShape'], { example: `${fn}(x, gamma, …, { epsilon: ${fallback} })` });
  return { epsilon: checkEpsilon(o.epsilon, fallback), normalizedShape: o.normalizedShape };
}

/** Validates the arguments of a norm over trailing axes; returns the axes and the affine tensors. */
export function trailingArgs(fn: string, x: unknown, gamma: unknown, beta: unknown, normalizedShape: unknown) {
  const input = checkInput(fn, x, 1, 'the features are the last axis');
  const given = (t: unknown) => (t && typeof t === 'object' && 'shape' in t ? (t as tf.Tensor).shape : undefined);
  const shape =
    normalizedShape === undefined
      ? (given(gamma) ?? given(beta) ?? [input.shape[input.rank - 1] as number])
      : checkShape('normalizedShape', normalizedShape, 'the sizes of the trailing axes to normalize over');
  const k = shape.length;
  const trailing = input.shape.slice(input.rank - k);
  if (k === 0 || k > input.rank || !sameShape(trailing, shape)) {
    const field = normalizedShape !== undefined ? 'normalizedShape' : given(gamma) ? 'gamma' : 'beta';
    throw new HyperParameterError(
      field,
      `${fn}: ${field} has shape ${shapeOf(shape)} but the trailing axes of x (shape ${shapeOf(input.shape)}) are ${shapeOf(trailing)}: pass ${field} of shape ${shapeOf(input.shape.slice(input.rank - Math.max(1, Math.min(k, input.rank))))}`,
    );
  }
  const where = `as the normalized trailing axes of x`;
  return {
    input,
    axes: [...Array(k).keys()].map((i) => input.rank - k + i),
    gamma: checkAffine(fn, 'gamma', gamma, shape, where),
    beta: checkAffine(fn, 'beta', beta, shape, where),
  };
}

const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((v, i) => v === b[i]);

/**
 * Layer normalization over the last axis (or the trailing axes of `normalizedShape`), per sample.
 *
 * y = (x − E[x]) / √(Var[x] + ε) · γ + β, with the mean and biased variance over the normalized
 * axes of each sample. Ba, Kiros & Hinton 2016; PyTorch's `torch.nn.functional.layer_norm(x,
 * normalized_shape, weight, bias, eps)` (`weight`/`bias` are `gamma`/`beta`). The backward pass is the
 * closed form dx = γ/σ · (dy − mean(dy) − x̂·mean(dy·x̂)) over the normalized axes.
 *
 * @param x - float32, the normalized axes last (`[batch, features]`, `[batch, tokens, features]` …).
 * @param gamma - scale of the normalized shape (`[features]`), or null/undefined for none.
 * @param beta - shift of the normalized shape, or null/undefined for none.
 * @throws ValueError (`what: 'x'`) for a non-float32 tensor; HyperParameterError naming `gamma`,
 *   `beta`, `normalizedShape` or `epsilon` when a shape does not match the trailing axes of x or
 *   epsilon ≤ 0; UnknownOptionError for another option (PyTorch's `normalized_shape` and `eps`
 *   suggest gradkit's names).
 * @example
 * ```ts
 * const y = layerNorm(h, gamma, beta);                                  // h: [32, 128], gamma, beta: [128]
 * const z = layerNorm(tokens, null, null, { normalizedShape: [16, 64] }); // tokens: [8, 16, 64]
 * ```
 */
export function layerNorm(x: tf.Tensor, gamma?: tf.Tensor | null, beta?: tf.Tensor | null, options: TrailingNormOptions = {}): tf.Tensor {
  const o = trailingOptions('layerNorm', options, 1e-5);
  const a = trailingArgs('layerNorm', x, gamma, beta, o.normalizedShape);
  return tf.tidy(() => affine(standardize(a.input, a.axes, o.epsilon), a.gamma, a.beta));
}
