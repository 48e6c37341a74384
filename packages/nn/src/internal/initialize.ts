import { describeValue, HyperParameterError, optionOr, resolveSeed, Xoshiro128 } from '@gradkit/core';
import { constant, glorotUniform, type Initializer, ones, zeros } from '@gradkit/initializers';
import * as tf from '@tensorflow/tfjs-core';
import { resolveActivation } from './activation.js';

/**
 * The factories of @gradkit/initializers that take no options object. Passed uncalled, the others
 * (`heNormal`, `orthogonal` …) reject the shape as their options, which `makeVariable` recognises.
 */
const PLAIN_FACTORIES: ReadonlySet<unknown> = new Set([constant, ones, zeros]);

const CALLS: Readonly<Record<string, string>> = { constant: 'constant(0.1)', ones: 'ones()', zeros: 'zeros()' };

/** The message for a factory `name` passed uncalled as `field`, with a call to write instead. */
function uncalled(field: string, name: string): string {
  const call = Object.hasOwn(CALLS, name) ? CALLS[name] : `${name}({ seed: 1 })`;
  return `${field} is the factory ${name} itself, not an initializer: call it, e.g. ${field}: ${call}`;
}

/**
 * Runs an initializer for `shape` and checks what it returned, then wraps it in a trainable variable.
 * A factory passed uncalled (`heNormal` for `heNormal()`) is a HyperParameterError naming `field`:
 * recognised by its rejecting the shape as its options (a HyperParameterError naming `options`), or
 * by identity for `constant`, `ones` and `zeros`. Every other error the initializer throws is
 * rethrown unchanged.
 */
export function makeVariable(field: string, init: Initializer, shape: number[]): tf.Variable {
  if (typeof init !== 'function')
    throw new HyperParameterError(field, `${field} must be a function (shape, dtype) => tf.Tensor such as heNormal() or zeros(), got ${describeValue(init)}`);
  if (PLAIN_FACTORIES.has(init)) throw new HyperParameterError(field, uncalled(field, init.name));
  let value: unknown;
  try {
    value = init([...shape], 'float32');
  } catch (e) {
    if (e instanceof HyperParameterError && e.field === 'options')
      throw new HyperParameterError(field, `${uncalled(field, init.name || 'factory')} (called with the shape [${shape.join(', ')}], it said: ${e.message})`);
    throw e;
  }
  if (typeof value === 'function')
    throw new HyperParameterError(
      field,
      `${field} returned a function, not a tensor: pass the initializer, not its factory (heNormal({ seed: 1 }), not heNormal)`,
    );
  if (!(value instanceof tf.Tensor)) throw new HyperParameterError(field, `${field} must return a tf.Tensor, got ${describeValue(value)}`);
  try {
    if (!tf.util.arraysEqual(value.shape, shape))
      throw new HyperParameterError(field, `${field} returned shape [${value.shape.join(', ')}] for requested shape [${shape.join(', ')}]`);
    if (value.dtype !== 'float32') throw new HyperParameterError(field, `${field} returned dtype ${value.dtype}: parameters must be float32`);
    return tf.variable(value, true);
  } finally {
    value.dispose();
  }
}

/** Builds variables in order, releasing those already made when a later one fails. */
export function buildVariables<K extends string>(makers: readonly (readonly [K, () => tf.Variable])[]): Record<K, tf.Variable> {
  const made: [K, tf.Variable][] = [];
  try {
    for (const [key, make] of makers) made.push([key, make()]);
  } catch (e) {
    for (const [, v] of made) v.dispose();
    throw e;
  }
  return Object.fromEntries(made) as Record<K, tf.Variable>;
}

/** The stream of a module's seed that its parts' seeds are drawn from (any fixed number would do). */
const CHILD_STREAM = 14;

/**
 * `n` seeds for the parts of a module (its kernels, projections, dropouts, sub-layers), drawn from
 * the module's own seed, so that modules seeded 1, 2, 3 … share no numbers (seed + k would).
 */
export function childSeeds(seed: number, n: number): number[] {
  const rng = Xoshiro128.fromSeed(seed, CHILD_STREAM);
  return Array.from({ length: n }, () => rng.nextUint32());
}

/** An optional `activation` option: `{ fn: null, name: 'linear' }` when absent, else the resolved function and its name. */
export function optionalActivation(spec: unknown): { fn: ((x: tf.Tensor) => tf.Tensor) | null; name: string } {
  return spec === undefined ? { fn: null, name: 'linear' } : resolveActivation(spec, 'activation');
}

/**
 * The initializer of option `field` of module `what`, or the default `fallback(seed)` seeded by
 * `seed`; a `seed` given with the initializer is a HyperParameterError naming `seed` (it would be
 * ignored: `example` shows how to seed the initializer instead).
 */
export function seededInitializer(
  what: string,
  field: string,
  given: unknown,
  seed: unknown,
  fallback: (seed: number) => Initializer,
  example: string,
): Initializer {
  const init = optionOr(field, given, undefined);
  if (seed !== undefined && init !== undefined)
    throw new HyperParameterError(
      'seed',
      `${what}: seed seeds the default ${field === 'kernelInitializer' ? 'kernel ' : ''}initializer and would be ignored with ${field}; seed the initializer instead, e.g. ${example}`,
    );
  return (init as Initializer | undefined) ?? fallback(resolveSeed(seed, what));
}

/** The `biasInitializer` option (default `zeros()`); one given with `useBias: false` is a HyperParameterError naming it. */
export function biasInitializer(what: string, given: unknown, useBias: boolean): Initializer {
  const init = optionOr('biasInitializer', given, zeros());
  if (!useBias && given !== undefined)
    throw new HyperParameterError('biasInitializer', `${what}: biasInitializer would be ignored with useBias: false; drop one of them`);
  return init as Initializer;
}

/** The options `kernelAndBias` reads. */
export interface KernelBiasOptions {
  readonly kernelInitializer?: unknown;
  readonly biasInitializer?: unknown;
  readonly seed?: unknown;
}

/**
 * The `{ kernel, bias }` (or `{ kernel }` without bias) of a dense or convolution layer `what`: the
 * kernel from `kernelInitializer` (default `glorotUniform({ seed })`), the bias from
 * `biasInitializer` (default zeros), both checked as `seededInitializer` and `biasInitializer` do.
 */
export function kernelAndBias(what: string, o: KernelBiasOptions, useBias: boolean, kernelShape: number[], biasShape: number[]): Record<string, tf.Variable> {
  const kernelInit = seededInitializer(
    what,
    'kernelInitializer',
    o.kernelInitializer,
    o.seed,
    (seed) => glorotUniform({ seed }),
    'kernelInitializer: heNormal({ seed: 1 })',
  );
  const biasInit = biasInitializer(what, o.biasInitializer, useBias);
  return buildVariables([
    ['kernel', () => makeVariable('kernelInitializer', kernelInit, kernelShape)],
    ...(useBias ? ([['bias', () => makeVariable('biasInitializer', biasInit, biasShape)]] as const) : []),
  ]);
}
