// The hostile user: careless and foreign (PyTorch) inputs to the normalizations, functional and
// modules. Each must be a typed GradkitError naming the option, argument or tensor, thrown before a
// parameter or running statistic changed.
import { hostileCases } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe } from 'vitest';
import { BatchNorm, batchNorm, GroupNorm, groupNorm, LayerNorm, layerNorm, RMSNorm, rmsNorm, weightNorm, weightNormParams } from './index.js';

/** A [6, 4] batch (inside the case's tf.tidy, or watched). */
const x = () => tf.tensor2d([1, 2, 3, 4, 2, 0, 1, 5, 3, 3, 2, 1, 0, 1, 4, 2, 5, 2, 1, 0, 1, 1, 2, 3], [6, 4]);
/** Runs `f` inside tf.tidy, so the tensors a rejected call made are released. */
const tidy = (f: () => unknown) => () => tf.tidy(() => void f());

/** A BatchNorm trained on one batch, its buffers watched: a rejected apply must leave them as they were. */
async function watchedBatchNorm(ctx: { watch(...t: tf.Tensor[]): Promise<void> }) {
  const bn = new BatchNorm({ features: 4 });
  tf.tidy(() => void bn.apply(x()));
  await ctx.watch(...(Object.values(bn.buffers) as tf.Tensor[]), ...(Object.values(bn.params) as tf.Tensor[]));
  return bn;
}

describe('normalization, hostile', () =>
  hostileCases([
    { input: "batchNorm(x, gamma, beta, { eps: 1e-3 }) (PyTorch's eps)", names: 'eps', run: tidy(() => batchNorm(x(), null, null, { eps: 1e-3 } as never)) },
    { input: 'batchNorm(x, null, null, null)', names: 'options', run: tidy(() => batchNorm(x(), null, null, null as never)) },
    { input: 'batchNorm(x, null, null, { epsilon: 1e-50 })', names: 'epsilon', run: tidy(() => batchNorm(x(), null, null, { epsilon: 1e-50 })) },
    { input: 'batchNorm(tf.tensor1d([1, 2, 3]))', names: 'x', run: tidy(() => batchNorm(tf.tensor1d([1, 2, 3]))) },
    { input: 'batchNorm(x, tf.ones([5]))', names: 'gamma', run: tidy(() => batchNorm(x(), tf.ones([5]))) },
    {
      input: 'layerNorm(x, null, null, { normalized_shape: [4] })',
      names: 'normalized_shape',
      run: tidy(() => layerNorm(x(), null, null, { normalized_shape: [4] } as never)),
    },
    {
      input: 'layerNorm(x, null, null, { normalizedShape: [5] })',
      names: 'normalizedShape',
      run: tidy(() => layerNorm(x(), null, null, { normalizedShape: [5] })),
    },
    { input: 'rmsNorm(x, null, { eps: 1e-6 })', names: 'eps', run: tidy(() => rmsNorm(x(), null, { eps: 1e-6 } as never)) },
    { input: 'rmsNorm(x, null, { epsilon: -1 })', names: 'epsilon', run: tidy(() => rmsNorm(x(), null, { epsilon: -1 })) },
    { input: 'groupNorm(x, 3) (3 does not divide 4 channels)', names: 'groups', run: tidy(() => groupNorm(x(), 3)) },
    {
      input: 'groupNorm(x, 2, null, null, { num_groups: 2 })',
      names: 'num_groups',
      run: tidy(() => groupNorm(x(), 2, null, null, { num_groups: 2 } as never)),
    },
    { input: "new BatchNorm({ num_features: 4 }) (PyTorch's name)", names: 'num_features', run: () => new BatchNorm({ num_features: 4 } as never) },
    { input: 'new BatchNorm({ features: 4, eps: 1e-3 })', names: 'eps', run: () => new BatchNorm({ features: 4, eps: 1e-3 } as never) },
    { input: 'new BatchNorm({ features: -4 })', names: 'features', run: () => new BatchNorm({ features: -4 }) },
    { input: 'new BatchNorm({ features: 2.5 })', names: 'features', run: () => new BatchNorm({ features: 2.5 }) },
    { input: 'new BatchNorm({ features: 4, momentum: 1.5 })', names: 'momentum', run: () => new BatchNorm({ features: 4, momentum: 1.5 }) },
    {
      input: 'new BatchNorm({ features: 4, track_running_stats: false })',
      names: 'track_running_stats',
      run: () => new BatchNorm({ features: 4, track_running_stats: false } as never),
    },
    { input: 'BatchNorm()', names: 'options', run: () => BatchNorm(undefined as never) },
    {
      input: 'bn.apply(x, { train: false }) (would run in training mode)',
      names: 'train',
      run: async (ctx) => {
        const bn = await watchedBatchNorm(ctx);
        tf.tidy(() => void bn.apply(x(), { train: false } as never));
      },
    },
    {
      input: "bn.apply(x, { training: 'no' })",
      names: 'training',
      run: async (ctx) => {
        const bn = await watchedBatchNorm(ctx);
        tf.tidy(() => void bn.apply(x(), { training: 'no' as never }));
      },
    },
    {
      input: 'bn.apply(xWith5Features)',
      names: 'x',
      run: async (ctx) => {
        const bn = await watchedBatchNorm(ctx);
        tf.tidy(() => void bn.apply(tf.zeros([6, 5])));
      },
    },
    {
      input: 'bn.apply(disposedTensor)',
      names: 'x',
      run: async (ctx) => {
        const bn = await watchedBatchNorm(ctx);
        const t = x();
        t.dispose();
        bn.apply(t);
      },
    },
    { input: 'new LayerNorm({ normalized_shape: 8 })', names: 'normalized_shape', run: () => new LayerNorm({ normalized_shape: 8 } as never) },
    {
      input: 'new LayerNorm({ features: 8, elementwise_affine: false })',
      names: 'elementwise_affine',
      run: () => new LayerNorm({ features: 8, elementwise_affine: false } as never),
    },
    { input: 'new RMSNorm({ features: [] })', names: 'features', run: () => new RMSNorm({ features: [] }) },
    { input: 'new GroupNorm({ groups: 3, channels: 8 })', names: 'groups', run: () => new GroupNorm({ groups: 3, channels: 8 }) },
    { input: 'new GroupNorm({ num_groups: 2, num_channels: 8 })', names: 'num_groups', run: () => new GroupNorm({ num_groups: 2, num_channels: 8 } as never) },
    { input: 'weightNorm({ v, g }, { dim: 0.5 })', names: 'dim', run: tidy(() => weightNorm({ v: tf.ones([3, 2]), g: tf.ones([2]) }, { dim: 0.5 })) },
    { input: 'weightNorm({ v, g, w })', names: 'w', run: tidy(() => weightNorm({ v: tf.ones([3, 2]), g: tf.ones([2]), w: tf.ones([3, 2]) } as never)) },
    { input: 'weightNorm(null)', names: 'params', run: () => weightNorm(null as never) },
    // null is not "the default" (BatchNorm's momentum: null, a cumulative average as in PyTorch, is a value).
    { input: 'batchNorm(x, null, null, { epsilon: null })', names: 'epsilon', run: tidy(() => batchNorm(x(), null, null, { epsilon: null } as never)) },
    { input: 'layerNorm(x, null, null, { epsilon: null })', names: 'epsilon', run: tidy(() => layerNorm(x(), null, null, { epsilon: null } as never)) },
    { input: 'rmsNorm(x, null, { epsilon: null })', names: 'epsilon', run: tidy(() => rmsNorm(x(), null, { epsilon: null } as never)) },
    { input: 'groupNorm(x, 2, null, null, { epsilon: null })', names: 'epsilon', run: tidy(() => groupNorm(x(), 2, null, null, { epsilon: null } as never)) },
    { input: 'new BatchNorm({ features: 4, epsilon: null })', names: 'epsilon', run: () => new BatchNorm({ features: 4, epsilon: null } as never) },
    { input: 'new BatchNorm({ features: 4, affine: null })', names: 'affine', run: () => new BatchNorm({ features: 4, affine: null } as never) },
    {
      input: 'new BatchNorm({ features: 4, trackRunningStats: null })',
      names: 'trackRunningStats',
      run: () => new BatchNorm({ features: 4, trackRunningStats: null } as never),
    },
    { input: 'new BatchNorm({ features: 4, name: null })', names: 'name', run: () => new BatchNorm({ features: 4, name: null } as never) },
    {
      input: 'new LayerNorm({ features: 8, elementwiseAffine: null })',
      names: 'elementwiseAffine',
      run: () => new LayerNorm({ features: 8, elementwiseAffine: null } as never),
    },
    { input: 'new RMSNorm({ features: 8, epsilon: null })', names: 'epsilon', run: () => new RMSNorm({ features: 8, epsilon: null } as never) },
    {
      input: 'new GroupNorm({ groups: 2, channels: 8, affine: null })',
      names: 'affine',
      run: () => new GroupNorm({ groups: 2, channels: 8, affine: null } as never),
    },
    {
      input: 'bn.apply(x, { training: null })',
      names: 'training',
      run: async (ctx) => {
        const bn = await watchedBatchNorm(ctx);
        tf.tidy(() => void bn.apply(x(), { training: null } as never));
      },
    },
    { input: 'weightNormParams(w, { axis: 0 })', names: 'axis', run: tidy(() => weightNormParams(tf.ones([3, 2]), { axis: 0 } as never)) },
  ]));
