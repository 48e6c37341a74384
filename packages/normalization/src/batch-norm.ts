import { checkOptions, ValueError } from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import { affine, checkAffine, checkEpsilon, checkInput, shapeOf } from './checks.js';
import { allAxesBut, type MomentsHook, standardize } from './standardize.js';

/** Options of `batchNorm` and `groupNorm`. @example `{ epsilon: 1e-3 }` */
export interface NormOptions {
  /** Added to the variance before the square root, > 0 (default 1e-5, as PyTorch). */
  readonly epsilon?: number;
}

/** The `epsilon` of `batchNorm`'s or `groupNorm`'s options, which take no other key (PyTorch's `eps` suggests it). */
export function normEpsilon(fn: string, options: NormOptions | undefined, fallback: number): number {
  const o = checkOptions(fn, options, ['epsilon'], { example: `${fn}(…, { epsilon: ${fallback} })` });
  return checkEpsilon(o.epsilon, fallback);
}

/** Validates batchNorm's arguments; returns the axes to reduce and the number of values per feature. */
export function batchNormArgs(fn: string, x: unknown, gamma: unknown, beta: unknown) {
  const input = checkInput(fn, x, 2, 'a batch axis first and the features last: [batch, features] or [batch, …, features]');
  const features = input.shape[input.rank - 1] as number;
  const perFeature = input.size / features;
  if (perFeature < 2)
    throw new ValueError(
      'x',
      `${fn}: x has shape ${shapeOf(input.shape)}, one value per feature: batch statistics need more than one value per feature (use a batch of at least 2, or inference mode)`,
    );
  const where = `features (the last axis of x)`;
  return {
    input,
    features,
    perFeature,
    axes: allAxesBut(input.rank, [input.rank - 1]),
    gamma: checkAffine(fn, 'gamma', gamma, [features], where),
    beta: checkAffine(fn, 'beta', beta, [features], where),
  };
}

/** batchNorm with a hook on the batch statistics (the BatchNorm module updates its running statistics there). */
export function batchNormWithHook(
  fn: string,
  x: tf.Tensor,
  gamma: tf.Tensor | null | undefined,
  beta: tf.Tensor | null | undefined,
  epsilon: number,
  onMoments?: MomentsHook,
): tf.Tensor {
  const a = batchNormArgs(fn, x, gamma, beta);
  return tf.tidy(() => affine(standardize(a.input, a.axes, epsilon, onMoments), a.gamma, a.beta));
}

/**
 * Batch normalization with batch statistics (training behaviour), features on the last axis.
 *
 * y = (x − E[x]) / √(Var[x] + ε) · γ + β, with the mean and the biased variance of every feature
 * over all the other axes (the batch and, for images `[N, H, W, C]`, the spatial axes). Ioffe &
 * Szegedy 2015; PyTorch's `torch.nn.functional.batch_norm(x, None, None, weight, bias, training=True)`
 * on channels-last input (PyTorch's `weight`/`bias` are `gamma`/`beta`). The backward pass is the
 * closed form dx = γ/σ · (dy − mean(dy) − x̂·mean(dy·x̂)), not autograd's chain. For running statistics
 * and inference mode use the `BatchNorm` module.
 *
 * @param x - float32 `[batch, features]` or `[batch, …, features]`, more than one value per feature.
 * @param gamma - scale of shape `[features]`, or null/undefined for none.
 * @param beta - shift of shape `[features]`, or null/undefined for none.
 * @throws ValueError (`what: 'x'`) for a non-float32 tensor, rank < 2 or one value per feature;
 *   HyperParameterError naming `gamma`, `beta` or `epsilon` for a wrong shape or epsilon ≤ 0;
 *   UnknownOptionError for any option but `epsilon` (PyTorch's `eps` suggests it).
 * @example
 * ```ts
 * const y = batchNorm(x, gamma, beta);            // x: [32, 64], gamma, beta: [64]
 * const z = batchNorm(images, null, null, { epsilon: 1e-3 }); // images: [8, 28, 28, 16]
 * ```
 */
export function batchNorm(x: tf.Tensor, gamma?: tf.Tensor | null, beta?: tf.Tensor | null, options: NormOptions = {}): tf.Tensor {
  const epsilon = normEpsilon('batchNorm', options, 1e-5);
  return batchNormWithHook('batchNorm', x, gamma, beta, epsilon);
}
