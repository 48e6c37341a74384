import * as tf from '@tensorflow/tfjs-core';
import { choiceOption } from './internal/base.js';
import { buildVariables, makeVariable } from './internal/initialize.js';
import { RecurrentModule, type RecurrentState, recurrentKernel, type StepWeights } from './internal/recurrent.js';
import { parseRecurrentOptions, type Recurrent, type RecurrentOptions } from './internal/recurrent-options.js';

/** Options of `simpleRnn`. @example `{ inputSize: 2, hiddenSize: 100, activation: 'relu', recurrentInitializer: identity() }` */
export interface SimpleRnnOptions extends RecurrentOptions {
  /** The nonlinearity φ: `'tanh'` (default) or `'relu'` (PyTorch's `nonlinearity`; with an identity recurrent kernel, the IRNN). */
  readonly activation?: 'tanh' | 'relu';
}

/** Parameters of a `simpleRnn` with a bias. @example `{ kernel, recurrentKernel, bias } // [in, h], [h, h], [h]` */
export type SimpleRnnParams = {
  /** The input kernel W `[inputSize, h]` (PyTorch's `weight_ih_l0`ᵀ). */
  readonly kernel: tf.Variable;
  /** The recurrent kernel U `[h, h]` (PyTorch's `weight_hh_l0`ᵀ). */
  readonly recurrentKernel: tf.Variable;
  /** The bias `[h]` (PyTorch's `bias_ih_l0 + bias_hh_l0`). */
  readonly bias: tf.Variable;
};
/** Parameters of a `simpleRnn` without a bias (`useBias: false`). @example `{ kernel, recurrentKernel } // [in, h], [h, h]` */
export type SimpleRnnParamsNoBias = {
  /** The input kernel W `[inputSize, h]` (PyTorch's `weight_ih_l0`ᵀ). */
  readonly kernel: tf.Variable;
  /** The recurrent kernel U `[h, h]` (PyTorch's `weight_hh_l0`ᵀ). */
  readonly recurrentKernel: tf.Variable;
};

/**
 * An Elman recurrent layer (see `simpleRnn`).
 *
 * @example
 * ```ts
 * const rnn: SimpleRnn = simpleRnn({ inputSize: 2, hiddenSize: 8 });
 * rnn.activation; // 'tanh'
 * ```
 */
export interface SimpleRnn<P extends SimpleRnnParams | SimpleRnnParamsNoBias = SimpleRnnParams> extends Recurrent<P> {
  /** The nonlinearity, `'tanh'` or `'relu'`. */
  readonly activation: 'tanh' | 'relu';
}

class SimpleRnnModule<P extends SimpleRnnParams | SimpleRnnParamsNoBias> extends RecurrentModule<P> implements SimpleRnn<P> {
  readonly params: P;
  readonly activation: 'tanh' | 'relu';

  constructor(options: SimpleRnnOptions) {
    const o = parseRecurrentOptions('simpleRnn', options, ['activation'], "simpleRnn({ inputSize: 2, hiddenSize: 64, activation: 'tanh' })");
    super(o);
    this.activation = choiceOption('activation', o.options.activation, ['tanh', 'relu'] as const, 'tanh');
    const h = this.hiddenSize;
    this.params = buildVariables([
      ['kernel', () => makeVariable('kernelInitializer', o.kernelInit, [this.inputSize, h])],
      ['recurrentKernel', () => recurrentKernel(o.recurrentInit, h, 1)],
      ...(o.useBias ? ([['bias', () => makeVariable('biasInitializer', o.biasInit, [h])]] as const) : []),
    ]) as unknown as P;
  }

  protected step(xw: tf.Tensor2D, [h]: RecurrentState, { u }: StepWeights): RecurrentState {
    const a = tf.add(xw, tf.matMul(u, h as tf.Tensor2D));
    return [this.activation === 'relu' ? tf.relu(a) : tf.tanh(a)];
  }
}

/**
 * An Elman recurrent layer over batch-first sequences `[batch, time, inputSize]`, PyTorch's `nn.RNN`
 * with `batch_first=True` (Keras's `SimpleRNN`):
 *
 *     hₜ = φ(xₜ·W + hₜ₋₁·U + b),   φ = tanh (default) or relu
 *
 * `params` is `{ kernel [inputSize, h], recurrentKernel [h, h], bias [h] }`: PyTorch's
 * `weight_ih_l0`ᵀ, `weight_hh_l0`ᵀ and `bias_ih_l0 + bias_hh_l0`. Defaults: Glorot-uniform kernel,
 * orthogonal recurrent kernel (Saxe et al. 2014), zero bias.
 *
 * The IRNN (Le et al. 2015: relu, identity recurrent kernel, zero bias, which trains plain RNNs on
 * long dependencies) is `simpleRnn({ inputSize, hiddenSize, activation: 'relu', recurrentInitializer: identity() })`
 * (`identity` from `@gradkit/initializers`; `identity({ gain: 0.01 })` for their scaled variant).
 *
 * `apply(x, { initialState: h0 })` (`[batch, h]`, default zeros) returns every hₜ
 * `[batch, time, h]`, or with `returnSequences: false` the last `[batch, h]`. Every step's hₜ is
 * tapped as `${name}.t${t}` under the module's scope before it feeds step t + 1, so `withTaps`
 * records the total ∂L/∂hₜ for each t (see `lstm` for the convention); free outside `withTaps`.
 *
 * @throws HyperParameterError naming the option (sizes, `activation` other than 'tanh'/'relu',
 *   initializers, `null`); UnknownOptionError for another option (PyTorch's `nonlinearity`,
 *   `batch_first`, `num_layers`, Keras's `units` say what to write); `apply`: ValueError naming `x`
 *   or `initialState` for a wrong shape or dtype.
 * @example
 * ```ts
 * const irnn = simpleRnn({ inputSize: 2, hiddenSize: 100, activation: 'relu', recurrentInitializer: identity() });
 * const last = simpleRnn({ inputSize: 2, hiddenSize: 16, returnSequences: false, seed: 1 }).apply(x); // [batch, 16]
 * ```
 */
export function simpleRnn(options: SimpleRnnOptions & { readonly useBias: false }): SimpleRnn<SimpleRnnParamsNoBias>;
export function simpleRnn(options: SimpleRnnOptions & { readonly useBias?: true }): SimpleRnn<SimpleRnnParams>;
export function simpleRnn(options: SimpleRnnOptions): SimpleRnn<SimpleRnnParams | SimpleRnnParamsNoBias>;
export function simpleRnn(options: SimpleRnnOptions): SimpleRnn<SimpleRnnParams | SimpleRnnParamsNoBias> {
  return new SimpleRnnModule(options);
}
