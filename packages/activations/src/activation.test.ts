import { expectClose, expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { ACTIVATION_ALIASES, ACTIVATION_NAMES, activation } from './activation.js';
import { celu } from './celu.js';
import { elu } from './elu.js';
import { gelu } from './gelu.js';
import { hardSigmoid } from './hard-sigmoid.js';
import { hardSwish } from './hard-swish.js';
import { leakyRelu } from './leaky-relu.js';
import { logSoftmax } from './log-softmax.js';
import { mish } from './mish.js';
import { relu } from './relu.js';
import { relu6 } from './relu6.js';
import { selu } from './selu.js';
import { sigmoid } from './sigmoid.js';
import { silu } from './silu.js';
import { softmax } from './softmax.js';
import { softplus } from './softplus.js';
import { softsign } from './softsign.js';
import { swish } from './swish.js';
import { tanh } from './tanh.js';
import { expectHyperError } from './test-support.js';

const DIRECT: Record<string, (x: tf.Tensor) => tf.Tensor> = {
  linear: (x) => tf.clone(x),
  relu,
  leakyRelu: (x) => leakyRelu(x, 0.01),
  elu: (x) => elu(x, 1),
  selu,
  celu: (x) => celu(x, 1),
  gelu: (x) => gelu(x, { approximate: 'none' }),
  geluTanh: (x) => gelu(x, { approximate: 'tanh' }),
  silu,
  swish: (x) => swish(x, 1),
  mish,
  softplus: (x) => softplus(x, { beta: 1, threshold: 20 }),
  hardSigmoid,
  hardSwish,
  sigmoid,
  tanh,
  relu6,
  softsign,
  softmax: (x) => softmax(x, -1),
  logSoftmax: (x) => logSoftmax(x, -1),
};

describe('activation(name)', () => {
  it('knows exactly the activations of the package (prelu aside) and linear', () => {
    expect([...ACTIVATION_NAMES].sort()).toEqual(Object.keys(DIRECT).sort());
  });

  it('returns each function with its default parameters', async () => {
    const x = tf.tensor1d([-25, -3, -1, -0.5, 0, 0.5, 1, 3, 6, 25]);
    for (const name of ACTIVATION_NAMES) {
      const got = activation(name)(x);
      const want = (DIRECT[name] as (x: tf.Tensor) => tf.Tensor)(x);
      await expectClose(got, want, { what: name, rtol: 0, atol: 0 });
      tf.dispose([got, want]);
    }
    x.dispose();
  });

  it("accepts PyTorch's spellings", async () => {
    expect(ACTIVATION_ALIASES.leaky_relu).toBe('leakyRelu');
    const x = tf.tensor1d([-4, -1, 2]);
    for (const [alias, name] of Object.entries(ACTIVATION_ALIASES)) {
      const got = activation(alias)(x);
      const want = activation(name)(x);
      await expectClose(got, want, { what: alias, rtol: 0, atol: 0 });
      tf.dispose([got, want]);
    }
    x.dispose();
  });

  it('rejects an unknown name with a HyperParameterError listing the valid names', () => {
    expectHyperError(() => activation('swishy'), 'name', /unknown activation 'swishy'.*relu, leakyRelu.*softsign/);
    expectHyperError(() => activation('prelu'), 'name', /prelu\(x, alpha\)/);
    expectHyperError(() => activation('constructor'), 'name');
    expectHyperError(() => activation('toString'), 'name');
  });

  it("suggests the closest name: PyTorch's class spelling, a hyphen, a typo; and says a function is not a name", () => {
    expectHyperError(() => activation('ReLU'), 'name', /did you mean 'relu'\?/);
    expectHyperError(() => activation('GELU'), 'name', /did you mean 'gelu'\?/);
    expectHyperError(() => activation('leaky-relu'), 'name', /did you mean 'leakyRelu'\?/);
    expectHyperError(() => activation('hardswish_'), 'name', /did you mean 'hardSwish'\?/);
    expectHyperError(() => activation('sigmiod'), 'name', /did you mean 'sigmoid'\?/);
    expectHyperError(() => activation(tf.relu as never), 'name', /got a function( \(\w+\))?, but a name is a string/);
    expectHyperError(() => activation(null as never), 'name', /got null/);
  });

  it("'linear' returns a new tensor (the caller may dispose it) and leaks nothing", async () => {
    const x = tf.tensor1d([1, 2]);
    await expectNoLeaks(() => {
      for (const name of ACTIVATION_NAMES) activation(name)(x).dispose();
    });
    expect(x.isDisposed).toBe(false);
    x.dispose();
  });
});
