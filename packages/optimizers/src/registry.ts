import { type GradientTransformation, HyperParameterError } from '@gradkit/core';

/** A factory of gradient transformations from an options object, as registered by name. @example `(o) => sgd(o as SgdOptions)` */
export type OptimizerFactory = (options: object) => GradientTransformation;

const factories = new Map<string, OptimizerFactory>();

/**
 * Registers an optimizer factory under `name`, for `optimizerFromConfig` (configs, saved settings,
 * command lines). `defineOptimizer` registers its optimizers itself; registering a name again
 * replaces the factory.
 *
 * @example
 * ```ts
 * registerOptimizer('myOptimizer', (o) => myOptimizer(o as MyOptions));
 * ```
 */
export function registerOptimizer(name: string, factory: OptimizerFactory): void {
  if (typeof name !== 'string' || name === '') throw new HyperParameterError('name', 'an optimizer needs a non-empty name');
  factories.set(name, factory);
}

/**
 * The names `optimizerFromConfig` knows, sorted.
 *
 * @example
 * ```ts
 * optimizerNames(); // ['adadelta', 'adagrad', 'adam', …]
 * ```
 */
export function optimizerNames(): string[] {
  return [...factories.keys()].sort();
}

/**
 * Builds an optimizer from a plain config `{ name, ...options }` (the options of that optimizer).
 *
 * @throws HyperParameterError naming `name` (and listing the known names) for an unknown optimizer,
 *   or naming the option that the optimizer rejects.
 * @example
 * ```ts
 * const tx = optimizerFromConfig({ name: 'adamw', learningRate: 3e-4, weightDecay: 0.05 });
 * ```
 */
export function optimizerFromConfig(config: { readonly name: string; readonly [option: string]: unknown }): GradientTransformation {
  if (config === null || typeof config !== 'object')
    throw new HyperParameterError('config', "optimizerFromConfig takes { name, ...options }, e.g. { name: 'adam', learningRate: 1e-3 }");
  const { name, ...options } = config;
  const factory = factories.get(name);
  if (!factory) throw new HyperParameterError('name', `unknown optimizer '${String(name)}': known optimizers are ${optimizerNames().join(', ')}`);
  return factory(options);
}
