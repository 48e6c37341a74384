// Validation helpers shared by the initializers (not part of the public surface).
import { gain as activationGain } from '@gradkit/activations';
import { checkNumberOption, describeValue, HyperParameterError, type HyperRange, optionOr, resolveSeed, suggestOption, Xoshiro128 } from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import type { FanMode, Fans } from './types.js';

/** The most elements one weight may have: tfjs indexes tensors with int32 on every backend. */
export const MAX_ELEMENTS = 2 ** 31 - 1;

/** The shape as a fresh array, or HyperParameterError('shape'): rank ≥ 1, positive integer dimensions, at most `MAX_ELEMENTS` elements. */
export function checkShape(shape: readonly number[], fn: string): number[] {
  if (!Array.isArray(shape))
    throw new HyperParameterError('shape', `${fn}: shape must be an array of dimensions such as [784, 256], got ${describeValue(shape)}`);
  if (shape.length === 0)
    throw new HyperParameterError('shape', `${fn}: shape [] has rank 0; initializers make weights of rank ≥ 1 (a dense kernel is [in, out])`);
  shape.forEach((d, i) => {
    if (typeof d !== 'number' || !Number.isInteger(d) || d <= 0)
      throw new HyperParameterError('shape', `${fn}: dimension ${i} of shape [${shape.join(', ')}] must be a positive integer, got ${describeValue(d)}`);
  });
  if (sizeOf(shape) > MAX_ELEMENTS)
    throw new HyperParameterError('shape', `${fn}: shape [${shape.join(', ')}] has ${sizeOf(shape)} elements; a tensor holds at most 2^31 − 1`);
  return [...shape];
}

/**
 * Runs `make` (which allocates the values of a weight of `shape`), turning an allocation failure
 * (a RangeError: not enough memory for this many elements) into HyperParameterError('shape').
 */
export function allocating<T>(fn: string, shape: readonly number[], make: () => T): T {
  try {
    return make();
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    throw new HyperParameterError('shape', `${fn}: could not allocate shape [${shape.join(', ')}] (${sizeOf(shape)} elements): ${e.message}`);
  }
}

/** float32 for random initializers; HyperParameterError('dtype') otherwise. */
export function checkFloatDtype(dtype: tf.DataType | undefined, fn: string): 'float32' {
  if (dtype === undefined || dtype === 'float32') return 'float32';
  throw new HyperParameterError('dtype', `${fn}: random initializers make float32 tensors, got dtype ${describeValue(dtype)}`);
}

/** The range of a number that must be > 0. */
export const POSITIVE: HyperRange = { min: 0, minExclusive: true };

/**
 * One of `choices` (or `fallback` when undefined; `null` is an error), or HyperParameterError naming `field` that
 * suggests the closest (`'fan_out'` → `'fanOut'`, `'truncated_normal'` → `'truncatedNormal'`).
 */
export function checkChoice<C extends string>(field: string, given: unknown, choices: readonly C[], fallback: C, fn: string): C {
  const value = optionOr(field, given, fallback);
  if (typeof value === 'string' && (choices as readonly string[]).includes(value)) return value as C;
  const s = typeof value === 'string' ? suggestOption(value, choices) : undefined;
  const hint = s ? ` (did you mean ${field}: '${s.key}'?)` : '';
  throw new HyperParameterError(field, `${fn}: unknown ${field} ${describeValue(value)}${hint}; valid: ${choices.map((c) => `'${c}'`).join(', ')}`);
}

const MODES: readonly FanMode[] = ['fanIn', 'fanOut', 'fanAvg'];

/** The `mode` option (PyTorch's `'fan_in'` … suggest `'fanIn'` …), or HyperParameterError('mode') listing the valid ones. */
export function checkMode(mode: unknown, fallback: FanMode, fn: string): FanMode {
  return checkChoice('mode', mode, MODES, fallback, fn);
}

/**
 * The fans of a weight of `shape` in tfjs layouts (rank ≥ 2): dense `[in, out]`; conv
 * `[...kernel, in, out]` with receptiveField = Π kernel. Rank 1 has no fans (PyTorch raises too).
 */
export function fansOf(shape: readonly number[], fn: string): Fans {
  if (shape.length < 2)
    throw new HyperParameterError(
      'shape',
      `${fn}: fan-in and fan-out need a weight of rank ≥ 2 (dense [in, out], conv [h, w, in, out]), got shape [${shape.join(', ')}]; initialise biases with zeros() or uniform()`,
    );
  const receptiveField = shape.slice(0, -2).reduce((a, b) => a * b, 1);
  return { fanIn: (shape[shape.length - 2] as number) * receptiveField, fanOut: (shape[shape.length - 1] as number) * receptiveField, receptiveField };
}

/** The fan `mode` selects. */
export function fanFor(fans: Fans, mode: FanMode): number {
  return mode === 'fanIn' ? fans.fanIn : mode === 'fanOut' ? fans.fanOut : (fans.fanIn + fans.fanOut) / 2;
}

/** Options that choose a gain: an explicit `gain`, or a `nonlinearity` (with leakyRelu's slope `a`). */
export interface GainChoice {
  readonly gain?: number;
  readonly nonlinearity?: string;
  readonly a?: number;
}

const isLeaky = (nonlinearity: string) => nonlinearity === 'leakyRelu' || nonlinearity === 'leaky_relu';

/**
 * The gain: `gain` when given (> 0), else `gain(nonlinearity, a)` from @gradkit/activations, else
 * `fallbackNonlinearity`'s (with slope `defaultSlope` when `a` is absent). Giving both `gain` and
 * `nonlinearity` is an error, and so is a slope `a` that no leakyRelu uses (it would be ignored).
 */
export function resolveGain(o: GainChoice, fallbackNonlinearity: string, fn: string, defaultSlope?: number): number {
  const nonlinearity = optionOr('nonlinearity', o.nonlinearity, fallbackNonlinearity);
  if (o.a !== undefined) {
    checkNumberOption('a', o.a);
    if (o.gain !== undefined || !isLeaky(nonlinearity))
      throw new HyperParameterError(
        'a',
        `${fn}: a is the negative slope of nonlinearity 'leakyRelu' and would be ignored ${o.gain !== undefined ? 'with an explicit gain' : `with nonlinearity '${nonlinearity}'`}: set nonlinearity: 'leakyRelu', or drop a`,
      );
  }
  if (o.gain !== undefined) {
    if (o.nonlinearity !== undefined) throw new HyperParameterError('gain', `${fn}: give either gain or nonlinearity, not both`);
    return checkNumberOption('gain', o.gain, POSITIVE);
  }
  return activationGain(nonlinearity, o.a === undefined ? defaultSlope : o.a);
}

/**
 * A seeded initializer from a sampler: the factory resolves the seed once; its k-th call draws from
 * the stream (seed, k), so repeated calls differ and a fresh factory repeats them.
 */
export function seeded(
  fn: string,
  seedOption: number | undefined,
  sample: (rng: Xoshiro128, shape: number[]) => Float32Array,
): (shape: readonly number[], dtype?: tf.DataType) => tf.Tensor {
  const seed = resolveSeed(seedOption, fn);
  let calls = 0;
  return (shape: readonly number[], dtype?: tf.DataType) => {
    const s = checkShape(shape, fn);
    checkFloatDtype(dtype, fn);
    const values = allocating(fn, s, () => sample(Xoshiro128.fromSeed(seed, calls), s));
    calls += 1;
    return tf.tensor(values, s, 'float32');
  };
}

/** Number of elements of a shape. */
export const sizeOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** A number option: `fallback` when absent, checked by core's `checkNumberOption` (finite, float32, in `range`); `null` is an error naming `field`. */
export const numberOption = (field: string, value: unknown, fallback: number, range: HyperRange = {}): number =>
  checkNumberOption(field, optionOr(field, value, fallback), range);
