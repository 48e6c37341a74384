// Validation helpers shared by the initializers (not part of the public surface).
import { gain as activationGain } from '@gradkit/activations';
import { HyperParameterError, resolveSeed, Xoshiro128 } from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import type { FanMode, Fans } from './types.js';

/** The shape as a fresh array, or HyperParameterError('shape'): rank ≥ 1, positive integer dimensions. */
export function checkShape(shape: readonly number[], fn: string): number[] {
  if (!Array.isArray(shape))
    throw new HyperParameterError('shape', `${fn}: shape must be an array of dimensions, got ${shape === null ? 'null' : typeof shape}`);
  if (shape.length === 0)
    throw new HyperParameterError('shape', `${fn}: shape [] has rank 0; initializers make weights of rank ≥ 1 (a dense kernel is [in, out])`);
  shape.forEach((d, i) => {
    if (typeof d !== 'number' || !Number.isInteger(d) || d <= 0)
      throw new HyperParameterError('shape', `${fn}: dimension ${i} of shape [${shape.join(', ')}] must be a positive integer, got ${String(d)}`);
  });
  return [...shape];
}

/** float32 for random initializers; HyperParameterError('dtype') otherwise. */
export function checkFloatDtype(dtype: tf.DataType | undefined, fn: string): 'float32' {
  if (dtype === undefined || dtype === 'float32') return 'float32';
  throw new HyperParameterError('dtype', `${fn}: random initializers make float32 tensors, got dtype '${String(dtype)}'`);
}

/** A finite number option (> 0 when `positive`), or HyperParameterError naming it. */
export function checkNumber(field: string, value: number, fn: string, positive = false): number {
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw new HyperParameterError(field, `${fn}: ${field} must be a finite number, got ${String(value)}`);
  if (positive && value <= 0) throw new HyperParameterError(field, `${fn}: ${field} must be > 0, got ${value}`);
  return value;
}

const MODES: readonly FanMode[] = ['fanIn', 'fanOut', 'fanAvg'];

/** The `mode` option, or HyperParameterError('mode') listing the valid ones. */
export function checkMode(mode: FanMode | undefined, fallback: FanMode, fn: string): FanMode {
  const m = mode ?? fallback;
  if (!MODES.includes(m)) throw new HyperParameterError('mode', `${fn}: unknown mode '${String(m)}'; valid modes: ${MODES.join(', ')}`);
  return m;
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

/**
 * The gain: `gain` when given (> 0), else `gain(nonlinearity, a)` from @gradkit/activations, else
 * `fallbackNonlinearity`'s. Giving both `gain` and `nonlinearity` is an error.
 */
export function resolveGain(o: GainChoice, fallbackNonlinearity: string, fn: string): number {
  if (o.a !== undefined) checkNumber('a', o.a, fn);
  if (o.gain !== undefined) {
    if (o.nonlinearity !== undefined) throw new HyperParameterError('gain', `${fn}: give either gain or nonlinearity, not both`);
    return checkNumber('gain', o.gain, fn, true);
  }
  return activationGain(o.nonlinearity ?? fallbackNonlinearity, o.a);
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
    const values = sample(Xoshiro128.fromSeed(seed, calls), s);
    calls += 1;
    return tf.tensor(values, s, 'float32');
  };
}

/** Number of elements of a shape. */
export const sizeOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
