// The hostile user: careless and foreign (PyTorch, Keras) inputs to every initializer. Each must be a
// typed GradkitError naming the option or argument, thrown before any weight changed.
import { hostileCases } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe } from 'vitest';
import {
  computeFans,
  constant,
  glorotNormal,
  glorotUniform,
  heNormal,
  heUniform,
  identity,
  type LsuvLayer,
  lecunNormal,
  lecunUniform,
  lsuv,
  normal,
  orthogonal,
  truncatedNormal,
  uniform,
  varianceScaling,
  xavierUniform,
} from './index.js';

/** A two-layer net for lsuv whose weights the case watches: the second layer is dead (all zeros) when `deadSecond`. */
function twoLayers(deadSecond = false) {
  const w0 = tf.variable(normal({ seed: 1 })([8, 8]));
  const w1 = tf.variable(deadSecond ? tf.zeros([8, 4]) : normal({ seed: 2 })([8, 4]));
  const layers: LsuvLayer[] = [
    { weight: w0, forward: (x) => tf.matMul(x, w0), activation: tf.tanh },
    { weight: w1, forward: (x) => tf.matMul(x, w1) },
  ];
  return { w0, w1, layers, batch: normal({ seed: 3 })([32, 8]) };
}

/** A case that runs lsuv on `twoLayers(deadSecond)` with `options`, watching both weights. */
const lsuvCase = (input: string, names: string, options: object, deadSecond = false) => ({
  input,
  names,
  run: async (ctx: { watch: (...t: tf.Tensor[]) => Promise<void> }) => {
    const { w0, w1, layers, batch } = twoLayers(deadSecond);
    await ctx.watch(w0, w1);
    await lsuv(layers, batch, options as never);
  },
});

describe('initializers, hostile', () =>
  hostileCases([
    { input: 'heNormal({ sed: 0 })', names: 'sed', run: () => heNormal({ sed: 0 } as never) },
    { input: "heNormal({ mode: 'fan_out' })", names: 'mode', run: () => heNormal({ mode: 'fan_out' as never }) },
    { input: "heNormal({ fan_out: true }) (PyTorch's mode='fan_out')", names: 'fan_out', run: () => heNormal({ fan_out: true } as never) },
    { input: "heUniform({ nonlinearity: 'Relu' })", names: 'nonlinearity', run: () => heUniform({ nonlinearity: 'Relu' }) },
    { input: "heNormal({ nonlinearity: 'relu', a: 0.1 }) (a would be ignored)", names: 'a', run: () => heNormal({ nonlinearity: 'relu', a: 0.1 }) },
    {
      input: "heNormal({ mode: 'fanOut', negative_slope: 0.2 })",
      names: 'negative_slope',
      run: () => heNormal({ mode: 'fanOut', negative_slope: 0.2 } as never),
    },
    { input: "glorotUniform({ gain: '1' })", names: 'gain', run: () => glorotUniform({ gain: '1' as never }) },
    { input: 'glorotNormal({ gain: -1 })', names: 'gain', run: () => glorotNormal({ gain: -1 }) },
    { input: 'xavierUniform({ a: 0.2 }) (no leakyRelu)', names: 'a', run: () => xavierUniform({ a: 0.2 }) },
    { input: 'lecunNormal({ seed: 1.5 })', names: 'seed', run: () => lecunNormal({ seed: 1.5 }) },
    { input: 'lecunUniform({ scale: 2 })', names: 'scale', run: () => lecunUniform({ scale: 2 } as never) },
    { input: "normal({ std: 0.02 }) (PyTorch's std)", names: 'std', run: () => normal({ std: 0.02 } as never) },
    { input: 'normal({ stddev: tf.scalar(1) })', names: 'stddev', run: () => tf.tidy(() => void normal({ stddev: tf.scalar(1) as never })) },
    { input: 'normal({ mean: 1e39 }) (not a float32)', names: 'mean', run: () => normal({ mean: 1e39 }) },
    { input: "uniform({ a: -1, b: 1 }) (PyTorch's uniform_(a, b))", names: 'a', run: () => uniform({ a: -1, b: 1 } as never) },
    { input: 'uniform({ min: 1, max: 0 })', names: 'min', run: () => uniform({ min: 1, max: 0 }) },
    { input: 'truncatedNormal({ stddev: 0 })', names: 'stddev', run: () => truncatedNormal({ stddev: 0 }) },
    { input: "orthogonal({ seed: '0' })", names: 'seed', run: () => orthogonal({ seed: '0' as never }) },
    { input: 'identity({ seed: 0 })', names: 'seed', run: () => identity({ seed: 0 } as never) },
    {
      input: "varianceScaling({ distribution: 'truncated_normal' })",
      names: 'distribution',
      run: () => varianceScaling({ distribution: 'truncated_normal' as never }),
    },
    { input: 'varianceScaling(null)', names: 'options', run: () => varianceScaling(null as never) },
    { input: 'heNormal()([784, 256.5])', names: 'shape', run: () => heNormal({ seed: 0 })([784, 256.5]) },
    { input: 'heNormal()(tf.tensor([3, 3]))', names: 'shape', run: () => tf.tidy(() => void heNormal({ seed: 0 })(tf.tensor([3, 3]) as never)) },
    { input: 'heNormal()([100000, 100000])', names: 'shape', run: () => heNormal({ seed: 0 })([100000, 100000]) },
    { input: 'glorotUniform()([256]) (a bias)', names: 'shape', run: () => glorotUniform({ seed: 0 })([256]) },
    { input: "normal()([2, 2], 'int32')", names: 'dtype', run: () => normal({ seed: 0 })([2, 2], 'int32') },
    { input: "constant('0.1')", names: 'value', run: () => constant('0.1' as never) },
    { input: "constant(0.5)([2], 'int32')", names: 'value', run: () => constant(0.5)([2], 'int32') },
    { input: 'computeFans([3])', names: 'shape', run: () => computeFans([3]) },
    {
      input: 'lsuv([{ weight, forward, act: tf.relu }], x)',
      names: 'act',
      run: async (ctx) => {
        const { w0, w1, batch } = twoLayers();
        await ctx.watch(w0, w1);
        await lsuv([{ weight: w0, forward: (x) => tf.matMul(x, w0), act: tf.relu } as LsuvLayer], batch);
      },
    },
    lsuvCase('lsuv(layersWithADeadSecondLayer, x)', 'layers[1]', { orthogonalInit: false }, true),
    // null is not "the default": each is an error naming the option.
    ...(
      [
        [normal, 'stddev'],
        [normal, 'mean'],
        [identity, 'gain'],
        [truncatedNormal, 'max'],
        [truncatedNormal, 'min'],
        [uniform, 'min'],
        [orthogonal, 'gain'],
        [varianceScaling, 'scale'],
        [varianceScaling, 'distribution'],
        [heNormal, 'nonlinearity'],
        [heUniform, 'mode'],
        [glorotUniform, 'seed'],
      ] as const
    ).map(([factory, field]) => ({ input: `${factory.name}({ ${field}: null })`, names: field, run: () => factory({ [field]: null } as never) })),
    ...(['tolerance', 'maxIterations', 'orthogonalInit'] as const).map((field) => lsuvCase(`lsuv(layers, x, { ${field}: null })`, field, { [field]: null })),
    lsuvCase('lsuv(layers, x, { tolerance: -1 })', 'tolerance', { tolerance: -1 }),
    lsuvCase('lsuv(layers, x, { orthogonalInit: false, seed: 1 })', 'seed', { orthogonalInit: false, seed: 1 }),
  ]));
