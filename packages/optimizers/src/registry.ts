import {
  checkOptions,
  type GradientTransformation,
  HyperParameterError,
  type RegisterOptions,
  registerTransformation,
  type TransformConfig,
  transformationFromConfig,
  transformationToConfig,
} from '@gradkit/core';

/** A factory of gradient transformations from an options object, as registered by name. @example `(o) => sgd(o as SgdOptions)` */
export type OptimizerFactory = (options: object) => GradientTransformation;

/** The names registered as optimizers (the built-ins, `registerOptimizer`, `defineOptimizer`). */
const optimizers = new Set<string>();

const REGISTER_KEYS = ['replace', 'builtinOf'];

/**
 * Registers an optimizer factory under `name` in core's config registry (`registerTransformation`),
 * so that `optimizerFromConfig`, `transformationFromConfig` and saved settings can name it.
 * `defineOptimizer` registers its optimizers itself. A name that is registered already (a built-in
 * such as `'adam'`, or your own) is an error unless `{ replace: true }`.
 *
 * @throws GradkitError (code `DUPLICATE_NAME`) for a name taken without `{ replace: true }`;
 *   HyperParameterError for an empty name, a factory that is not a function, or a `replace` that is
 *   not a boolean; UnknownOptionError for another option.
 * @example
 * ```ts
 * registerOptimizer('myOptimizer', (o) => myOptimizer(o as MyOptions));
 * registerOptimizer('adam', (o) => myAdam(o as AdamOptions), { replace: true }); // replaces the built-in
 * ```
 */
export function registerOptimizer(name: string, factory: OptimizerFactory, options: RegisterOptions = {}): void {
  checkOptions('registerOptimizer', options, REGISTER_KEYS, { example: "registerOptimizer('myOptimizer', factory, { replace: true })" });
  if (options.replace !== undefined && typeof options.replace !== 'boolean')
    throw new HyperParameterError('replace', `registerOptimizer: replace must be true or false, got ${String(options.replace)}`);
  registerTransformation(name, factory as (options: Record<string, unknown>) => GradientTransformation, options);
  optimizers.add(name);
}

/**
 * The names registered as optimizers (built-ins, `registerOptimizer`, `defineOptimizer`), sorted.
 * Configs can also name the building blocks and other packages' transformations: core's
 * `registeredNames('transformation')` lists them all.
 *
 * @example
 * ```ts
 * optimizerNames(); // ['adabelief', 'adadelta', 'adafactor', 'adagrad', 'adam', …]
 * ```
 */
export function optimizerNames(): string[] {
  return [...optimizers].sort();
}

/**
 * Builds an optimizer (or any registered transformation, or a chain) from plain JSON: core's
 * `transformationFromConfig`. `{ name, ...options }` names a registered transformation;
 * `{ chain: [...] }` chains configs; an option's value may be a schedule config
 * (`{ schedule: 'cosineDecay', … }`, registered by `@gradkit/schedules` or `registerSchedule`). An
 * unknown name or option is an error with the closest suggestion, never ignored.
 *
 * @throws HyperParameterError (code `UNKNOWN_NAME`) naming the config path of an unknown name;
 *   UnknownOptionError for an unknown option; the optimizer's own errors for bad values.
 * @example
 * ```ts
 * const tx = optimizerFromConfig({ name: 'adamw', learningRate: 3e-4, weightDecay: 0.05 });
 * const clipped = optimizerFromConfig({
 *   chain: [{ name: 'clipByGlobalNorm', maxNorm: 1 }, { name: 'adamw', learningRate: { schedule: 'cosineDecay', initial: 1e-3, decaySteps: 1000 } }],
 * });
 * ```
 */
export function optimizerFromConfig(config: TransformConfig): GradientTransformation {
  return transformationFromConfig(config);
}

/**
 * The JSON config of an optimizer, building block or chain, which `optimizerFromConfig` turns back
 * into an equivalent transformation: core's `transformationToConfig` (`{ name, ...options }` from the
 * transformation's `options`, `{ chain: [...] }`, schedules as their configs).
 *
 * @throws HyperParameterError naming the option that cannot be written as JSON (a predicate mask, a
 *   schedule without a config) or a transformation whose name is not registered.
 * @example
 * ```ts
 * const json = JSON.stringify(optimizerToConfig(adamw({ learningRate: 3e-4 })));
 * const again = optimizerFromConfig(JSON.parse(json)); // the same options
 * ```
 */
export function optimizerToConfig(tx: GradientTransformation): TransformConfig {
  return transformationToConfig(tx);
}
