// The hostile user of simpleRnn, lstm and gru: PyTorch and Keras spellings, careless options and
// inputs of the wrong shape. Each must be a typed GradkitError naming the option or argument,
// thrown before a parameter changed.
import { flatten, type Module } from '@gradkit/core';
import { glorotUniform, orthogonal, zeros } from '@gradkit/initializers';
import { hostileCases } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe } from 'vitest';
import { gru, lstm, simpleRnn } from './index.js';

const ok = { inputSize: 3, hiddenSize: 4, seed: 1 };

/** A case that applies `make()` to `x()` (with `options()`), watching its parameters. */
const applyCase = (input: string, names: string, make: () => Module, x: () => tf.Tensor, options?: () => object) => ({
  input,
  names,
  run: async (ctx: { watch: (...t: tf.Tensor[]) => Promise<void> }) => {
    const m = make();
    await ctx.watch(...flatten(m.params).map((e) => e.value));
    tf.tidy(() => void m.apply(x(), options?.() as never));
  },
});
const seq = (batch = 2, time = 5, features = 3) => tf.ones([batch, time, features]);

describe('recurrent modules, hostile', () =>
  hostileCases([
    { input: "lstm({ input_size: 3, hidden_size: 4 }) (PyTorch's names)", names: 'input_size', run: () => lstm({ input_size: 3, hidden_size: 4 } as never) },
    { input: 'lstm({ …, batch_first: true }) (PyTorch)', names: 'batch_first', run: () => lstm({ ...ok, batch_first: true } as never) },
    { input: 'gru({ …, num_layers: 2 }) (PyTorch)', names: 'num_layers', run: () => gru({ ...ok, num_layers: 2 } as never) },
    { input: 'gru({ …, bidirectional: true }) (PyTorch)', names: 'bidirectional', run: () => gru({ ...ok, bidirectional: true } as never) },
    { input: 'simpleRnn({ inputSize: 3, units: 4 }) (Keras)', names: 'units', run: () => simpleRnn({ inputSize: 3, units: 4 } as never) },
    { input: "simpleRnn({ …, nonlinearity: 'relu' }) (PyTorch)", names: 'nonlinearity', run: () => simpleRnn({ ...ok, nonlinearity: 'relu' } as never) },
    { input: 'lstm({ …, return_sequences: false }) (Keras)', names: 'return_sequences', run: () => lstm({ ...ok, return_sequences: false } as never) },
    {
      input: "lstm({ …, recurrent_activation: 'hard_sigmoid' }) (Keras)",
      names: 'recurrent_activation',
      run: () => lstm({ ...ok, recurrent_activation: 'hard_sigmoid' } as never),
    },
    { input: 'lstm({ …, dropout: 0.2 }) (PyTorch/Keras)', names: 'dropout', run: () => lstm({ ...ok, dropout: 0.2 } as never) },
    { input: 'gru({ …, unitForgetBias: true }) (an lstm option)', names: 'unitForgetBias', run: () => gru({ ...ok, unitForgetBias: true } as never) },
    { input: 'lstm() (no options)', names: 'options', run: () => lstm(undefined as never) },
    { input: 'lstm({ inputSize: 0, hiddenSize: 4 })', names: 'inputSize', run: () => lstm({ inputSize: 0, hiddenSize: 4 }) },
    { input: 'lstm({ inputSize: NaN, hiddenSize: 4 })', names: 'inputSize', run: () => lstm({ inputSize: Number.NaN, hiddenSize: 4 }) },
    { input: 'gru({ inputSize: 3, hiddenSize: 2.5 })', names: 'hiddenSize', run: () => gru({ inputSize: 3, hiddenSize: 2.5 }) },
    {
      input: 'simpleRnn({ inputSize: 3, hiddenSize: Infinity })',
      names: 'hiddenSize',
      run: () => simpleRnn({ inputSize: 3, hiddenSize: Number.POSITIVE_INFINITY }),
    },
    { input: "simpleRnn({ inputSize: 3, hiddenSize: '4' })", names: 'hiddenSize', run: () => simpleRnn({ inputSize: 3, hiddenSize: '4' as never }) },
    { input: 'lstm({ inputSize: 3 }) (no hiddenSize)', names: 'hiddenSize', run: () => lstm({ inputSize: 3 } as never) },
    { input: "simpleRnn({ …, activation: 'sigmoid' })", names: 'activation', run: () => simpleRnn({ ...ok, activation: 'sigmoid' as never }) },
    { input: 'simpleRnn({ …, activation: tf.relu }) (a function)', names: 'activation', run: () => simpleRnn({ ...ok, activation: tf.relu as never }) },
    { input: "lstm({ …, returnSequences: 'no' })", names: 'returnSequences', run: () => lstm({ ...ok, returnSequences: 'no' as never }) },
    { input: 'lstm({ …, useBias: null })', names: 'useBias', run: () => lstm({ ...ok, useBias: null as never }) },
    { input: 'lstm({ …, seed: 1.5 })', names: 'seed', run: () => lstm({ ...ok, seed: 1.5 }) },
    {
      input: 'lstm({ seed: 1, kernelInitializer, recurrentInitializer }) (seed ignored)',
      names: 'seed',
      run: () => lstm({ ...ok, kernelInitializer: glorotUniform(), recurrentInitializer: orthogonal() }),
    },
    {
      input: 'lstm({ …, recurrentInitializer: orthogonal }) (factory not called)',
      names: 'recurrentInitializer',
      run: () => lstm({ ...ok, recurrentInitializer: orthogonal as never }),
    },
    { input: 'gru({ …, kernelInitializer: null })', names: 'kernelInitializer', run: () => gru({ ...ok, kernelInitializer: null as never }) },
    {
      input: 'simpleRnn({ …, recurrentInitializer: () => tf.zeros([4, 8]) }) (wrong shape)',
      names: 'recurrentInitializer',
      run: () => simpleRnn({ ...ok, recurrentInitializer: () => tf.zeros([4, 8]) }),
    },
    {
      input: 'gru({ …, useBias: false, biasInitializer: zeros() })',
      names: 'biasInitializer',
      run: () => gru({ ...ok, useBias: false, biasInitializer: zeros() }),
    },
    { input: 'lstm({ …, useBias: false, unitForgetBias: true })', names: 'unitForgetBias', run: () => lstm({ ...ok, useBias: false, unitForgetBias: true }) },
    { input: "lstm({ …, unitForgetBias: 'yes' })", names: 'unitForgetBias', run: () => lstm({ ...ok, unitForgetBias: 'yes' as never }) },
    { input: "simpleRnn({ …, name: '' })", names: 'name', run: () => simpleRnn({ ...ok, name: '' }) },
    applyCase(
      'lstm.apply(x2d) ([batch, features], no time axis)',
      'x',
      () => lstm(ok),
      () => tf.ones([2, 3]),
    ),
    applyCase(
      'gru.apply(x) with 5 features for inputSize 3',
      'x',
      () => gru(ok),
      () => seq(2, 5, 5),
    ),
    applyCase(
      'simpleRnn.apply(x) with x [batch, features, time] (time last)',
      'x',
      () => simpleRnn(ok),
      () => tf.ones([2, 3, 7]),
    ),
    applyCase(
      'lstm.apply(int32 x)',
      'x',
      () => lstm(ok),
      () => tf.ones([2, 5, 3], 'int32'),
    ),
    applyCase(
      'gru.apply(x) with no time steps',
      'x',
      () => gru(ok),
      () => tf.ones([2, 0, 3]),
    ),
    applyCase(
      'lstm.apply(x, { initialState: h0 }) (one tensor, needs [h0, c0])',
      'initialState',
      () => lstm(ok),
      seq,
      () => ({ initialState: tf.zeros([2, 4]) }),
    ),
    applyCase(
      'lstm.apply(x, { initialState: [h0] })',
      'initialState',
      () => lstm(ok),
      seq,
      () => ({ initialState: [tf.zeros([2, 4])] }),
    ),
    applyCase(
      'lstm.apply(x, { initialState: [h0, c0 [2, 5]] })',
      'initialState[1]',
      () => lstm(ok),
      seq,
      () => ({ initialState: [tf.zeros([2, 4]), tf.zeros([2, 5])] }),
    ),
    applyCase(
      'lstm.apply(x, { initialState: [h0 int32, c0] })',
      'initialState[0]',
      () => lstm(ok),
      seq,
      () => ({ initialState: [tf.zeros([2, 4], 'int32'), tf.zeros([2, 4])] }),
    ),
    applyCase(
      "lstm.apply(x, { initialState: [h0, 'c0'] })",
      'initialState[1]',
      () => lstm(ok),
      seq,
      () => ({ initialState: [tf.zeros([2, 4]), 'c0'] }),
    ),
    applyCase(
      'gru.apply(x, { initialState: [h0, c0] }) (an lstm state)',
      'initialState',
      () => gru(ok),
      seq,
      () => ({ initialState: [tf.zeros([2, 4]), tf.zeros([2, 4])] }),
    ),
    applyCase(
      'simpleRnn.apply(x, { initialState }) for another batch size',
      'initialState',
      () => simpleRnn(ok),
      seq,
      () => ({ initialState: tf.zeros([3, 4]) }),
    ),
    applyCase(
      'simpleRnn.apply(x, { initialState: [batch, 1, h] })',
      'initialState',
      () => simpleRnn(ok),
      seq,
      () => ({ initialState: tf.zeros([2, 1, 4]) }),
    ),
    applyCase(
      'gru.apply(x, { initialState: disposed })',
      'initialState',
      () => gru(ok),
      seq,
      () => {
        const h = tf.zeros([2, 4]);
        h.dispose();
        return { initialState: h };
      },
    ),
    applyCase(
      'lstm.apply(x, { initial_state: [h0, c0] }) (Keras)',
      'initial_state',
      () => lstm(ok),
      seq,
      () => ({ initial_state: [tf.zeros([2, 4]), tf.zeros([2, 4])] }),
    ),
    applyCase(
      'gru.apply(x, { keyPaddingMask }) (an attention option)',
      'keyPaddingMask',
      () => gru(ok),
      seq,
      () => ({ keyPaddingMask: tf.zeros([2, 5]) }),
    ),
  ]));
