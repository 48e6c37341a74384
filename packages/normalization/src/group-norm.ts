import { describeValue, HyperParameterError } from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import { type NormOptions, normEpsilon } from './batch-norm.js';
import { affine, checkAffine, checkInput } from './checks.js';
import { standardize } from './standardize.js';

/** Validates groupNorm's arguments. */
export function groupNormArgs(fn: string, x: unknown, groups: unknown, gamma: unknown, beta: unknown) {
  const input = checkInput(fn, x, 2, 'a batch axis first and the channels last: [batch, channels] or [batch, …, channels]');
  const channels = input.shape[input.rank - 1] as number;
  if (typeof groups !== 'number' || !Number.isInteger(groups) || groups < 1 || channels % groups !== 0)
    throw new HyperParameterError(
      'groups',
      `${fn}: groups must be a positive integer that divides the ${channels} channels (the last axis of x), got ${describeValue(groups)}`,
    );
  const where = 'channels (the last axis of x)';
  return {
    input,
    channels,
    groups,
    gamma: checkAffine(fn, 'gamma', gamma, [channels], where),
    beta: checkAffine(fn, 'beta', beta, [channels], where),
  };
}

/**
 * Group normalization, channels last: the channels are split into `groups` groups of consecutive
 * channels, and each sample is normalized over its spatial positions and the channels of each group.
 *
 * y = (x − E[x]) / √(Var[x] + ε) · γ + β, the mean and biased variance per (sample, group); γ and β
 * are per channel. Wu & He 2018; PyTorch's `torch.nn.functional.group_norm(x, num_groups, weight,
 * bias, eps)` on channels-last input. groups = 1 is layer norm over all non-batch axes; groups =
 * channels is instance norm. The backward pass is the closed form of `layerNorm`'s, per group.
 *
 * @param x - float32 `[batch, channels]` or `[batch, …, channels]` (NHWC).
 * @param groups - number of groups; it must divide the channels.
 * @param gamma - scale of shape `[channels]`, or null/undefined for none.
 * @param beta - shift of shape `[channels]`, or null/undefined for none.
 * @throws ValueError (`what: 'x'`) for a non-float32 tensor or rank < 2; HyperParameterError naming
 *   `groups`, `gamma`, `beta` or `epsilon`; UnknownOptionError for any option but `epsilon`.
 * @example
 * ```ts
 * const y = groupNorm(images, 8, gamma, beta); // images: [4, 32, 32, 64], gamma, beta: [64]
 * ```
 */
export function groupNorm(x: tf.Tensor, groups: number, gamma?: tf.Tensor | null, beta?: tf.Tensor | null, options: NormOptions = {}): tf.Tensor {
  const epsilon = normEpsilon('groupNorm', options, 1e-5);
  const a = groupNormArgs('groupNorm', x, groups, gamma, beta);
  return tf.tidy(() => {
    const grouped = tf.reshape(a.input, [a.input.shape[0] as number, -1, a.groups, a.channels / a.groups]);
    return affine(tf.reshape(standardize(grouped, [1, 3], epsilon), a.input.shape), a.gamma, a.beta);
  });
}
