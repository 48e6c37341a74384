import * as tf from '@tensorflow/tfjs-core';
import { celu } from './celu.js';
import { elu } from './elu.js';
import { gelu } from './gelu.js';
import { hardSigmoid } from './hard-sigmoid.js';
import { hardSwish } from './hard-swish.js';
import { lookupName } from './internal.js';
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

/** An activation: a float tensor in, a tensor of the same shape out (elementwise, or over the last axis for softmax and logSoftmax). @example `const f: ActivationFn = (x) => relu(x);` */
export type ActivationFn = (x: tf.Tensor) => tf.Tensor;

/**
 * The names `activation` knows: the camelCase function names of this package (with their default
 * parameters), `'geluTanh'` for `gelu(x, { approximate: 'tanh' })`, `'linear'` (the identity), and
 * `'softmax'` / `'logSoftmax'` over the last axis (for output layers, as Keras's `activation: 'softmax'`).
 * PyTorch's spellings are accepted too: see `ACTIVATION_ALIASES`.
 *
 * @example `const name: ActivationName = 'leakyRelu';`
 */
export type ActivationName =
  | 'linear'
  | 'relu'
  | 'leakyRelu'
  | 'elu'
  | 'selu'
  | 'celu'
  | 'gelu'
  | 'geluTanh'
  | 'silu'
  | 'swish'
  | 'mish'
  | 'softplus'
  | 'hardSigmoid'
  | 'hardSwish'
  | 'sigmoid'
  | 'tanh'
  | 'relu6'
  | 'softsign'
  | 'softmax'
  | 'logSoftmax';

const ACTIVATIONS: Record<ActivationName, ActivationFn> = {
  linear: (x: tf.Tensor) => tf.clone(x),
  relu,
  leakyRelu: (x: tf.Tensor) => leakyRelu(x),
  elu: (x: tf.Tensor) => elu(x),
  selu,
  celu: (x: tf.Tensor) => celu(x),
  gelu: (x: tf.Tensor) => gelu(x),
  geluTanh: (x: tf.Tensor) => gelu(x, { approximate: 'tanh' }),
  silu,
  swish: (x: tf.Tensor) => swish(x),
  mish,
  softplus: (x: tf.Tensor) => softplus(x),
  hardSigmoid,
  hardSwish,
  sigmoid,
  tanh,
  relu6,
  softsign,
  softmax: (x: tf.Tensor) => softmax(x),
  logSoftmax: (x: tf.Tensor) => logSoftmax(x),
};

/**
 * Other spellings `activation` accepts, mapped to the canonical name: PyTorch's functional and module
 * names (`leaky_relu`, `hardswish`, `GELU` lower-cased …) and `identity`.
 *
 * @example `ACTIVATION_ALIASES.leaky_relu // 'leakyRelu'`
 */
export const ACTIVATION_ALIASES: Readonly<Record<string, ActivationName>> = {
  identity: 'linear',
  leaky_relu: 'leakyRelu',
  leakyrelu: 'leakyRelu',
  hardsigmoid: 'hardSigmoid',
  hard_sigmoid: 'hardSigmoid',
  hardswish: 'hardSwish',
  hard_swish: 'hardSwish',
  gelu_tanh: 'geluTanh',
  log_softmax: 'logSoftmax',
  logsoftmax: 'logSoftmax',
};

/** Every name `activation` accepts: the canonical names, in the order of `ActivationName`. @example `ACTIVATION_NAMES.includes('mish') // true` */
export const ACTIVATION_NAMES: readonly ActivationName[] = Object.keys(ACTIVATIONS) as ActivationName[];

/**
 * Looks an activation up by name and returns it as `(x) => tensor` with its default parameters
 * (leakyRelu α = 0.01, elu/celu α = 1, softplus β = 1 and threshold 20, swish β = 1, gelu exact;
 * softmax and logSoftmax over the last axis: for an output layer whose output is a probability, not
 * before `softmaxCrossEntropy`, which takes logits).
 * For other parameters write the function yourself: `(x) => leakyRelu(x, 0.2)`. `prelu` is not here:
 * its slope is a tensor you own.
 *
 * Like Keras's `activations.get(name)`; names are this package's camelCase names, and PyTorch's
 * spellings (`'leaky_relu'`, `'hardswish'` …) are accepted as well.
 *
 * @param name - an `ActivationName` or an alias from `ACTIVATION_ALIASES`.
 * @throws HyperParameterError (field `name`) for an unknown name or a value that is not a string;
 *   the message suggests the closest name (`'ReLU'` → `'relu'`) and lists the valid ones.
 * @example
 * ```ts
 * const f = activation('gelu');
 * const y = f(tf.tensor1d([-1, 0, 1]));
 * ```
 */
export function activation(name: ActivationName | (string & {})): ActivationFn {
  const hint = name === 'prelu' ? ' (prelu has a learnable slope: call prelu(x, alpha) with your own alpha tensor)' : '';
  return ACTIVATIONS[lookupName('name', name, ACTIVATION_NAMES, ACTIVATION_ALIASES, 'activation', hint)];
}
