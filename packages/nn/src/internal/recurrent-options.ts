import { checkOptions, HyperParameterError, type Module, optionOr, type ParamTree, resolveSeed, UnknownOptionError } from '@gradkit/core';
import { glorotUniform, type Initializer, orthogonal } from '@gradkit/initializers';
import { booleanOption, checkCount, checkName } from './base.js';
import { biasInitializer, childSeeds } from './initialize.js';

/** The options every recurrent module takes (`simpleRnn`, `lstm`, `gru`). @example `{ inputSize: 32, hiddenSize: 64, returnSequences: false, seed: 1 }` */
export interface RecurrentOptions {
  /** Size of the input's feature axis (the last of `[batch, time, inputSize]`), a positive integer. */
  readonly inputSize: number;
  /** Size of the hidden state h (and of the output's last axis), a positive integer. */
  readonly hiddenSize: number;
  /** Whether `apply` returns every step's hidden state `[batch, time, hiddenSize]` (default true) or only the last `[batch, hiddenSize]`. */
  readonly returnSequences?: boolean;
  /** Initializer of the input kernel `[inputSize, G·hiddenSize]` (called once for the whole kernel); default `glorotUniform({ seed })` (Keras). */
  readonly kernelInitializer?: Initializer;
  /**
   * Initializer of the recurrent kernel, called once per gate block with the shape
   * `[hiddenSize, hiddenSize]` (so each gate's U is orthogonal, or the identity with `identity()`);
   * default `orthogonal({ seed })`.
   */
  readonly recurrentInitializer?: Initializer;
  /** Initializer of the biases (`bias`, and `recurrentBias` of `gru`); default `zeros()`. */
  readonly biasInitializer?: Initializer;
  /** Whether the module has biases (default true). */
  readonly useBias?: boolean;
  /** Seed of the default kernel and recurrent-kernel initializers; default: a fresh random seed. */
  readonly seed?: number;
  /** The module's name: its tap name and the prefix of its per-step taps (default `'simpleRnn'`, `'lstm'`, `'gru'`). */
  readonly name?: string;
}

const COMMON_KEYS = ['inputSize', 'hiddenSize', 'returnSequences', 'kernelInitializer', 'recurrentInitializer', 'biasInitializer', 'useBias', 'seed', 'name'];

/**
 * PyTorch and Keras spellings a recurrent module does not take, with what to write instead (core's
 * `checkOptions` maps the snake_case names that only need camelCase, such as `hidden_size`).
 */
const FOREIGN: Readonly<Record<string, { readonly key?: string; readonly say: string }>> = {
  units: { key: 'hiddenSize', say: "Keras's units is hiddenSize" },
  batch_first: { say: 'gradkit is always batch first: inputs are [batch, time, features]; leave it out' },
  batchFirst: { say: 'gradkit is always batch first: inputs are [batch, time, features]; leave it out' },
  num_layers: { say: 'stack modules instead: sequential(lstm({ … }), lstm({ … }))' },
  numLayers: { say: 'stack modules instead: sequential(lstm({ … }), lstm({ … }))' },
  bias: { key: 'useBias', say: "PyTorch's bias is useBias" },
  nonlinearity: { key: 'activation', say: "PyTorch's nonlinearity is activation" },
  dropout: { say: 'put a dropout() module between stacked recurrent modules' },
  bidirectional: { say: 'not supported: run a second module on tf.reverse(x, 1) and concatenate' },
  return_state: { say: 'not supported: apply with returnSequences: true and take the last step' },
  go_backwards: { say: 'not supported: apply to tf.reverse(x, 1)' },
  recurrentActivation: { say: "gates use the sigmoid, as PyTorch's (tfjs-layers defaults to hardSigmoid)" },
  recurrent_activation: { say: "gates use the sigmoid, as PyTorch's (tfjs-layers defaults to hardSigmoid)" },
  proj_size: { say: 'not supported: put a dense() after the module' },
};

/** What `parseRecurrentOptions` resolved. */
export interface ParsedRecurrent<O> {
  readonly options: O;
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly returnSequences: boolean;
  readonly useBias: boolean;
  readonly name: string;
  readonly kernelInit: Initializer;
  readonly recurrentInit: Initializer;
  readonly biasInit: Initializer;
}

/**
 * Checks the options of the recurrent module `what` (keys `extra` besides the common ones): unknown
 * keys are UnknownOptionErrors (PyTorch and Keras spellings say what to write instead), sizes and
 * booleans HyperParameterErrors naming the field.
 */
export function parseRecurrentOptions<O extends RecurrentOptions>(what: string, raw: O, extra: readonly string[], example: string): ParsedRecurrent<O> {
  const valid = [...COMMON_KEYS, ...extra];
  if (raw !== null && typeof raw === 'object' && !Array.isArray(raw))
    for (const key of Object.keys(raw)) {
      if (valid.includes(key) || !Object.hasOwn(FOREIGN, key)) continue;
      const f = FOREIGN[key] as { key?: string; say: string };
      const suggestion = f.key !== undefined && valid.includes(f.key) ? f.key : undefined;
      const hint = suggestion === undefined ? f.say : `did you mean '${suggestion}'? ${f.say}`;
      throw new UnknownOptionError(key, `${what}: unknown option '${key}' (${hint}); valid options: ${valid.join(', ')}`, valid, suggestion);
    }
  const options = checkOptions(what, raw, valid, { example, required: true });
  const inputSize = checkCount('inputSize', options.inputSize, 'the size of the input features');
  const hiddenSize = checkCount('hiddenSize', options.hiddenSize, 'the size of the hidden state');
  const returnSequences = booleanOption('returnSequences', options.returnSequences, true);
  const useBias = booleanOption('useBias', options.useBias, true);
  const name = checkName(options.name, what);
  const kernelInitializer = optionOr('kernelInitializer', options.kernelInitializer, undefined);
  const recurrentInitializer = optionOr('recurrentInitializer', options.recurrentInitializer, undefined);
  if (options.seed !== undefined && kernelInitializer !== undefined && recurrentInitializer !== undefined)
    throw new HyperParameterError(
      'seed',
      `${what}: seed seeds the default kernel and recurrent initializers and would be ignored with both given; seed those instead, e.g. kernelInitializer: glorotUniform({ seed: 1 })`,
    );
  const seed = resolveSeed(options.seed, what);
  const biasInit = biasInitializer(what, options.biasInitializer, useBias);
  return {
    options,
    inputSize,
    hiddenSize,
    returnSequences,
    useBias,
    name,
    kernelInit: kernelInitializer ?? glorotUniform({ seed }),
    // A seed of its own, so the two kernels are not correlated.
    recurrentInit: recurrentInitializer ?? orthogonal({ seed: childSeeds(seed, 1)[0] as number }),
    biasInit,
  };
}

/**
 * A recurrent module (`simpleRnn`, `lstm`, `gru`) over batch-first sequences `[batch, time, inputSize]`.
 *
 * @example
 * ```ts
 * const rnn: Recurrent = lstm({ inputSize: 8, hiddenSize: 16 });
 * rnn.hiddenSize; // 16
 * ```
 */
export interface Recurrent<P extends ParamTree = ParamTree> extends Module<P> {
  /** Size of the input's feature axis. */
  readonly inputSize: number;
  /** Size of the hidden state. */
  readonly hiddenSize: number;
  /** Whether `apply` returns every step (`[batch, time, hiddenSize]`) or the last (`[batch, hiddenSize]`). */
  readonly returnSequences: boolean;
  /** Whether the module has biases. */
  readonly useBias: boolean;
}
