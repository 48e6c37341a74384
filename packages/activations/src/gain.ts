import { checkNumberOption, HyperParameterError } from '@gradkit/core';
import { ACTIVATION_NAMES } from './activation.js';
import { lookupName } from './internal.js';

/**
 * The nonlinearities `gain` knows (PyTorch's `calculate_gain` table, in camelCase). PyTorch's own
 * snake_case spellings (`'leaky_relu'`, `'conv_transpose2d'`) are accepted too, and `'identity'`
 * means `'linear'`.
 *
 * @example `const n: GainName = 'leakyRelu';`
 */
export type GainName =
  | 'linear'
  | 'conv1d'
  | 'conv2d'
  | 'conv3d'
  | 'convTranspose1d'
  | 'convTranspose2d'
  | 'convTranspose3d'
  | 'sigmoid'
  | 'tanh'
  | 'relu'
  | 'leakyRelu'
  | 'selu';

const GAINS: Record<GainName, (param?: number) => number> = {
  linear: () => 1,
  conv1d: () => 1,
  conv2d: () => 1,
  conv3d: () => 1,
  convTranspose1d: () => 1,
  convTranspose2d: () => 1,
  convTranspose3d: () => 1,
  sigmoid: () => 1,
  tanh: () => 5 / 3,
  relu: () => Math.SQRT2,
  leakyRelu: (param = 0.01) => Math.sqrt(2 / (1 + param ** 2)),
  selu: () => 3 / 4,
};

/** The canonical names `gain` accepts, in PyTorch's table order. @example `GAIN_NAMES.includes('selu') // true` */
export const GAIN_NAMES: readonly GainName[] = Object.keys(GAINS) as GainName[];

const ALIASES: Readonly<Record<string, GainName>> = {
  identity: 'linear',
  conv_transpose1d: 'convTranspose1d',
  conv_transpose2d: 'convTranspose2d',
  conv_transpose3d: 'convTranspose3d',
  leaky_relu: 'leakyRelu',
};

/**
 * The recommended gain for a nonlinearity: the factor by which initialisers scale the standard
 * deviation so that activations keep their variance through the layer. PyTorch's table:
 *
 * | nonlinearity                          | gain                  |
 * | ------------------------------------- | --------------------- |
 * | linear, conv1d/2d/3d, convTranspose*d | 1                     |
 * | sigmoid                               | 1                     |
 * | tanh                                  | 5/3                   |
 * | relu                                  | √2                    |
 * | leakyRelu                             | √(2/(1 + slope²))     |
 * | selu                                  | 3/4                   |
 *
 * PyTorch `torch.nn.init.calculate_gain(nonlinearity, param=None)`; `param` is leakyRelu's negative
 * slope (default 0.01, as PyTorch) and is ignored by the others (but must be a number when given).
 * Activations outside the table (gelu, silu, mish …) have no agreed gain: PyTorch rejects them, and
 * so does this; use `'relu'` as an approximation or `lsuv` from `@gradkit/initializers`.
 *
 * @param name - a `GainName`, or PyTorch's snake_case spelling (`'leaky_relu'`).
 * @param param - the negative slope for leakyRelu.
 * @throws HyperParameterError (field `nonlinearity`) for an unknown name, suggesting the closest
 *   (`'ReLU'` → `'relu'`) and listing the valid ones; (field `param`) for a slope that is not a
 *   finite number.
 * @example
 * ```ts
 * gain('tanh');           // 5/3
 * gain('leaky_relu', 0.2); // √(2/1.04) ≈ 1.3868
 * ```
 */
export function gain(name: GainName | (string & {}), param?: number): number {
  const advice = "use 'relu' as an approximation, or lsuv from @gradkit/initializers";
  if (typeof name === 'string' && !Object.hasOwn(GAINS, name) && (ACTIVATION_NAMES as readonly string[]).includes(name))
    throw new HyperParameterError(
      'nonlinearity',
      `unsupported nonlinearity '${name}' for gain: it has no agreed gain (PyTorch's calculate_gain rejects it too); ${advice}; valid names: ${GAIN_NAMES.join(', ')}`,
    );
  const canonical = lookupName(
    'nonlinearity',
    name,
    GAIN_NAMES,
    ALIASES,
    'nonlinearity',
    `: gain() knows PyTorch's calculate_gain table; for other activations ${advice}`,
  );
  if (param !== undefined) checkNumberOption('param', param);
  return GAINS[canonical](param);
}
