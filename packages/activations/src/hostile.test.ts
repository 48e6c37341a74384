// The hostile user: careless and foreign inputs to every activation. Each must be a typed GradkitError
// naming the argument or option, never a raw TypeError or a silently ignored option.
import { hostileCases } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe } from 'vitest';
import { activation, celu, elu, gain, gelu, leakyRelu, logSoftmax, prelu, relu, softmax, softplus, swish } from './index.js';

const x = () => tf.tensor1d([-1, 0, 2]);
/** Runs `f` inside tf.tidy, so the tensors a rejected call made are released. */
const tidy = (f: () => unknown) => () => tf.tidy(() => void f());

describe('activations, hostile', () =>
  hostileCases([
    { input: "gelu(x, { approx: 'tanh' })", names: 'approx', run: tidy(() => gelu(x(), { approx: 'tanh' } as never)) },
    { input: "gelu(x, { approximate: 'erf' })", names: 'approximate', run: tidy(() => gelu(x(), { approximate: 'erf' as never })) },
    { input: 'gelu(x, { approximate: true })', names: 'approximate', run: tidy(() => gelu(x(), { approximate: true as never })) },
    { input: 'gelu(x, null)', names: 'options', run: tidy(() => gelu(x(), null as never)) },
    { input: "gelu(x, 'tanh')", names: 'options', run: tidy(() => gelu(x(), 'tanh' as never)) },
    { input: 'softplus(x, { beta: 1, thresh: 20 })', names: 'thresh', run: tidy(() => softplus(x(), { beta: 1, thresh: 20 } as never)) },
    { input: 'softplus(x, { beta: 0 })', names: 'beta', run: tidy(() => softplus(x(), { beta: 0 })) },
    { input: "softplus(x, { beta: '2' })", names: 'beta', run: tidy(() => softplus(x(), { beta: '2' as never })) },
    { input: 'softplus(x, { threshold: Infinity })', names: 'threshold', run: tidy(() => softplus(x(), { threshold: Number.POSITIVE_INFINITY })) },
    { input: 'softplus(x, 2)', names: 'options', run: tidy(() => softplus(x(), 2 as never)) },
    { input: "activation('ReLU')", names: 'name', run: () => activation('ReLU') },
    { input: "activation('leaky-relu')", names: 'name', run: () => activation('leaky-relu') },
    { input: 'activation(relu)', names: 'name', run: () => activation(relu as never) },
    { input: "activation('__proto__')", names: 'name', run: () => activation('__proto__') },
    { input: "gain('Tanh')", names: 'nonlinearity', run: () => gain('Tanh') },
    { input: "gain('gelu')", names: 'nonlinearity', run: () => gain('gelu') },
    { input: "gain('leakyRelu', '0.2')", names: 'param', run: () => gain('leakyRelu', '0.2' as never) },
    { input: 'gain(null)', names: 'nonlinearity', run: () => gain(null as never) },
    { input: 'leakyRelu(x, { alpha: 0.2 })', names: 'alpha', run: tidy(() => leakyRelu(x(), { alpha: 0.2 } as never)) },
    { input: 'leakyRelu(x, 1e-45)', names: 'alpha', run: tidy(() => leakyRelu(x(), 1e-45)) },
    { input: 'elu(x, NaN)', names: 'alpha', run: tidy(() => elu(x(), Number.NaN)) },
    { input: 'celu(x, 0)', names: 'alpha', run: tidy(() => celu(x(), 0)) },
    { input: 'relu([1, 2])', names: 'x', run: tidy(() => relu([1, 2] as never)) },
    { input: "relu(tf.tensor(['a']))", names: 'x', run: tidy(() => relu(tf.tensor(['a']))) },
    {
      input: 'relu(disposedTensor)',
      names: 'x',
      run: () => {
        const t = x();
        t.dispose();
        return relu(t);
      },
    },
    { input: 'prelu(x, null)', names: 'alpha', run: tidy(() => prelu(x(), null as never)) },
    { input: 'prelu(x, alphaOfShape[4])', names: 'alpha', run: tidy(() => prelu(x(), tf.ones([4]))) },
    { input: "swish(x, tf.tensor(['b']))", names: 'beta', run: tidy(() => swish(x(), tf.tensor(['b']))) },
    // null is not "the default".
    { input: 'softplus(x, { beta: null })', names: 'beta', run: tidy(() => softplus(x(), { beta: null } as never)) },
    { input: 'softplus(x, { threshold: null })', names: 'threshold', run: tidy(() => softplus(x(), { threshold: null } as never)) },
    { input: 'gelu(x, { approximate: null })', names: 'approximate', run: tidy(() => gelu(x(), { approximate: null } as never)) },
    { input: 'elu(x, null)', names: 'alpha', run: tidy(() => elu(x(), null as never)) },
    { input: "gain('leakyRelu', null)", names: 'param', run: () => gain('leakyRelu', null as never) },
    { input: "swish(x, '1')", names: 'beta', run: tidy(() => swish(x(), '1' as never)) },
    // softmax and logSoftmax: the axis, and PyTorch's / Keras's ways of passing it.
    { input: 'softmax(x, 1) (x of rank 1)', names: 'axis', run: tidy(() => softmax(x(), 1)) },
    { input: 'softmax(x2d, -3)', names: 'axis', run: tidy(() => softmax(tf.zeros([2, 3]), -3)) },
    { input: 'softmax(x, { dim: -1 }) (PyTorch keyword as an object)', names: 'axis', run: tidy(() => softmax(x(), { dim: -1 } as never)) },
    { input: "softmax(x, '-1')", names: 'axis', run: tidy(() => softmax(x(), '-1' as never)) },
    { input: 'softmax(x, 0.5)', names: 'axis', run: tidy(() => softmax(x(), 0.5)) },
    { input: 'softmax(x, null)', names: 'axis', run: tidy(() => softmax(x(), null as never)) },
    { input: 'softmax(x, [0, 1]) (several axes)', names: 'axis', run: tidy(() => softmax(tf.zeros([2, 3]), [0, 1] as never)) },
    { input: 'softmax(tf.scalar(1))', names: 'x', run: tidy(() => softmax(tf.scalar(1))) },
    { input: 'softmax([1, 2, 3]) (a JS array)', names: 'x', run: tidy(() => softmax([1, 2, 3] as never)) },
    { input: "softmax(tf.tensor(['a']))", names: 'x', run: tidy(() => softmax(tf.tensor(['a']))) },
    { input: 'logSoftmax(x, NaN)', names: 'axis', run: tidy(() => logSoftmax(x(), Number.NaN)) },
    { input: 'logSoftmax(x, Infinity)', names: 'axis', run: tidy(() => logSoftmax(x(), Number.POSITIVE_INFINITY)) },
    { input: 'logSoftmax(x, { axis: 0 })', names: 'axis', run: tidy(() => logSoftmax(x(), { axis: 0 } as never)) },
    { input: 'logSoftmax(undefined)', names: 'x', run: tidy(() => logSoftmax(undefined as never)) },
    { input: 'logSoftmax(tf.scalar(0))', names: 'x', run: tidy(() => logSoftmax(tf.scalar(0))) },
    { input: "activation('Softmax')", names: 'name', run: () => activation('Softmax') },
    { input: "activation('log-softmax')", names: 'name', run: () => activation('log-softmax') },
  ]));
