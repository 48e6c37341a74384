import { checkOptions, type Module } from '@gradkit/core';
import type * as tf from '@tensorflow/tfjs-core';
import { type ActivationSpec, resolveActivation } from './internal/activation.js';
import { BaseModule, checkName } from './internal/base.js';

/** Options of `act`. @example `{ name: 'hiddenRelu' }` */
export interface ActOptions {
  /** The module's name, used as its tap name outside a container (default: the activation's name). */
  readonly name?: string;
}

/**
 * An activation as a module (see `act`): no parameters, the same function in training and inference.
 *
 * @example
 * ```ts
 * const relu: Act = act('relu');
 * ```
 */
export interface Act extends Module<Record<string, never>> {
  /** The activation's name (`'relu'`, or the function's name). */
  readonly activation: string;
}

class ActModule extends BaseModule<Record<string, never>> implements Act {
  readonly name: string;
  readonly params: Record<string, never> = {};
  readonly activation: string;
  private readonly fn: (x: tf.Tensor) => tf.Tensor;

  constructor(spec: ActivationSpec, options: ActOptions) {
    super();
    const o = checkOptions('act', options, ['name'], { example: "act('relu', { name: 'hidden' })" });
    const { fn, name } = resolveActivation(spec, 'activation');
    this.fn = fn;
    this.activation = name;
    this.name = checkName(o.name, name);
  }

  protected forward(x: tf.Tensor): tf.Tensor {
    return this.fn(x);
  }
}

/**
 * Wraps an activation function as a parameter-free module, so it can sit in a `sequential` and get
 * its own tap: y = φ(x). By name, any activation of `@gradkit/activations` (`activation(name)`), or
 * any function of a tensor. PyTorch: `nn.ReLU()`, `nn.GELU()`, …; Keras: `layers.Activation`.
 *
 * @param activation - a name such as `'relu'`, `'gelu'`, `'tanh'`, or a function `(x) => tf.Tensor`.
 * @throws HyperParameterError (field `activation`) for an unknown name (the message suggests the
 *   closest and lists the valid ones) or `name`; UnknownOptionError for another option.
 * @example
 * ```ts
 * const mlp = sequential(dense({ inFeatures: 8, outFeatures: 32 }), act('gelu'), dense({ inFeatures: 32, outFeatures: 1 }));
 * const swish2 = act((x) => swish(x, 2), { name: 'swish2' });
 * ```
 */
export function act(activation: ActivationSpec, options: ActOptions = {}): Act {
  return new ActModule(activation, options);
}
