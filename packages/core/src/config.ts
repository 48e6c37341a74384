// Configs: transformations, chains and schedules as plain JSON, built by name from registries that
// each package fills when it is imported (optimizers, clipping, schedules …).
import { GradkitError, HyperParameterError } from './errors.js';
import type { Schedule } from './hyper.js';
import { suggestOption } from './options.js';
import { chain, type GradientTransformation, isTransformation } from './transform.js';

/** A transformation as JSON: its registered name and its options. @example `{ name: 'adamw', learningRate: 3e-4, weightDecay: 0.05 }` */
export interface TransformationConfig {
  /** The registered name, e.g. `'adamw'` or `'clipByGlobalNorm'`. */
  readonly name: string;
  /** The options (numbers, booleans, strings, schedule configs, nested transformation configs). */
  readonly [option: string]: unknown;
}

/** A chain as JSON. @example `{ chain: [{ name: 'clipByGlobalNorm', maxNorm: 1 }, { name: 'adamw', learningRate: 1e-3 }] }` */
export interface ChainConfig {
  /** The parts, in order. */
  readonly chain: readonly TransformConfig[];
}

/** A transformation or a chain as JSON. @example `{ chain: [{ name: 'clipByGlobalNorm', maxNorm: 1 }, { name: 'sgd', learningRate: 0.1 }] }` */
export type TransformConfig = TransformationConfig | ChainConfig;

/** A schedule as JSON: its registered name and its options. @example `{ schedule: 'cosineDecay', initial: 0.1, decaySteps: 1000 }` */
export interface ScheduleConfig {
  /** The registered name, e.g. `'warmupCosineDecay'`. */
  readonly schedule: string;
  /** The schedule's options (numbers, or nested schedule configs for `joinSchedules`). */
  readonly [option: string]: unknown;
}

/** How a registered transformation is built from its config's options. @example `(o) => clipByGlobalNorm(o.maxNorm as number)` */
export type TransformationFactory = (options: Record<string, unknown>) => GradientTransformation;

/** How a registered schedule is built from its config's options. @example `(o) => cosineDecay(o as CosineDecayOptions)` */
export type ScheduleFactory = (options: Record<string, unknown>) => Schedule;

/** Options of `registerTransformation` and `registerSchedule`. @example `{ replace: true }` */
export interface RegisterOptions {
  /** Replace a factory registered under the same name (default false: that is an error). */
  readonly replace?: boolean;
  /**
   * The package registering its own built-ins (e.g. `'@gradkit/optimizers'`). A second copy of the
   * same package may register them again; anyone else needs `replace`.
   */
  readonly builtinOf?: string;
  /**
   * Options whose values are plain data, passed to the factory as they are (a mask or labels tree
   * whose keys may be `name` or `schedule`), instead of being read as nested configs.
   */
  readonly dataKeys?: readonly string[];
}

interface Entry<F> {
  readonly factory: F;
  readonly builtinOf?: string;
  readonly dataKeys?: readonly string[];
}

const transformations = new Map<string, Entry<TransformationFactory>>();
const schedules = new Map<string, Entry<ScheduleFactory>>();

/** Where each package's names come from, for the hint when a config names one that is not loaded. */
const PACKAGE_OF: Readonly<Record<string, string>> = {
  clipByValue: '@gradkit/clipping',
  clipByNorm: '@gradkit/clipping',
  clipByGlobalNorm: '@gradkit/clipping',
  adaptiveGradClip: '@gradkit/clipping',
  zeroNans: '@gradkit/clipping',
  applyIfFinite: '@gradkit/clipping',
  reduceOnPlateau: '@gradkit/schedules',
  monitorGradients: '@gradkit/diagnostics',
};

function register<F>(kind: string, registry: Map<string, Entry<F>>, name: string, factory: F, options: RegisterOptions = {}): void {
  if (typeof name !== 'string' || name === '') throw new HyperParameterError('name', `a ${kind} needs a non-empty name`);
  if (typeof factory !== 'function') throw new HyperParameterError('factory', `register${kind}('${name}', factory): factory must be a function`);
  const existing = registry.get(name);
  const sameBuiltin = existing?.builtinOf !== undefined && existing.builtinOf === options.builtinOf;
  if (existing && !options.replace && !sameBuiltin)
    throw new GradkitError(
      'DUPLICATE_NAME',
      `a ${kind} named '${name}' is registered already${existing.builtinOf ? ` (by ${existing.builtinOf})` : ''}: choose another name, or pass { replace: true } to replace it`,
    );
  registry.set(name, { factory, ...(options.builtinOf ? { builtinOf: options.builtinOf } : {}), ...(options.dataKeys ? { dataKeys: options.dataKeys } : {}) });
}

/**
 * Registers a transformation factory under `name`, so configs (`transformationFromConfig`,
 * `optimizerFromConfig`) and saved settings can name it. Packages register their built-ins when
 * imported; registering a name that exists already is an error unless `{ replace: true }`.
 *
 * @throws GradkitError (code `DUPLICATE_NAME`) for a name taken, HyperParameterError for a bad name or factory.
 * @example
 * ```ts
 * registerTransformation('scaleBy', (o) => scaleBy(o.factor as number));
 * ```
 */
export function registerTransformation(name: string, factory: TransformationFactory, options: RegisterOptions = {}): void {
  register('Transformation', transformations, name, factory, options);
}

/**
 * Registers a schedule factory under `name`, for `{ schedule: name, ...options }` in configs.
 * `@gradkit/schedules` registers its own when imported.
 *
 * @throws GradkitError (code `DUPLICATE_NAME`) for a name taken without `{ replace: true }`.
 * @example
 * ```ts
 * registerSchedule('halving', (o) => withConfig((t) => (o.initial as number) / 2 ** t, { schedule: 'halving', ...o }));
 * ```
 */
export function registerSchedule(name: string, factory: ScheduleFactory, options: RegisterOptions = {}): void {
  register('Schedule', schedules, name, factory, options);
}

/**
 * The names registered for configs, sorted.
 *
 * @example
 * ```ts
 * registeredNames('transformation'); // ['adabelief', 'adadelta', …, 'clipByGlobalNorm', …]
 * ```
 */
export function registeredNames(kind: 'transformation' | 'schedule'): string[] {
  return [...(kind === 'schedule' ? schedules : transformations).keys()].sort();
}

/**
 * Gives a schedule the config that rebuilds it, so that a transformation using it can be written out
 * as JSON (`transformationToConfig`). Returns the same function.
 *
 * @example
 * ```ts
 * const lr = withConfig((t: number) => 0.1 * 0.5 ** t, { schedule: 'halving', initial: 0.1 });
 * ```
 */
export function withConfig<S extends Schedule>(schedule: S, config: ScheduleConfig): S {
  Object.defineProperty(schedule, 'config', { value: Object.freeze({ ...config }), enumerable: false });
  return schedule;
}

/** The config a schedule was built from (see `withConfig`), or undefined. @example `scheduleConfigOf(cosineDecay({ initial: 0.1, decaySteps: 100 }))?.schedule // 'cosineDecay'` */
export function scheduleConfigOf(schedule: Schedule): ScheduleConfig | undefined {
  return (schedule as Schedule & { config?: ScheduleConfig }).config;
}

const isPlainObject = (x: unknown): x is Record<string, unknown> =>
  x !== null && typeof x === 'object' && !Array.isArray(x) && [Object.prototype, null].includes(Object.getPrototypeOf(x));

function unknownName(kind: string, name: unknown, known: string[], where: string): GradkitError {
  const n = String(name);
  const pkg = Object.hasOwn(PACKAGE_OF, n) ? PACKAGE_OF[n] : undefined;
  const s = typeof name === 'string' ? suggestOption(name, known) : undefined;
  const hint = pkg ? `: it is in ${pkg}; import that package before building the config` : s ? ` (did you mean '${s.key}'?)` : '';
  return new HyperParameterError(where, `unknown ${kind} '${n}' at '${where}'${hint}; known: ${known.join(', ')}`, 'UNKNOWN_NAME');
}

/** Builds the values of a config's options: schedule and transformation configs become objects, recursively. */
function buildValue(value: unknown, where: string): unknown {
  if (Array.isArray(value)) return value.map((v, i) => buildValue(v, `${where}.${i}`));
  if (!isPlainObject(value)) return value;
  if (typeof value.schedule === 'string') return scheduleFromConfig(value as ScheduleConfig, where);
  if (Array.isArray(value.chain) || typeof value.name === 'string') return transformationFromConfig(value as TransformConfig, where);
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, buildValue(v, `${where}.${k}`)]));
}

/**
 * Builds a schedule from `{ schedule: name, ...options }` (the options of that schedule; nested
 * schedule configs for `joinSchedules`).
 *
 * @throws HyperParameterError (code `UNKNOWN_NAME`) for an unknown name; the schedule's own errors for bad options.
 * @example
 * ```ts
 * const lr = scheduleFromConfig({ schedule: 'cosineDecay', initial: 0.1, decaySteps: 1000 });
 * ```
 */
export function scheduleFromConfig(config: ScheduleConfig, where = 'schedule'): Schedule {
  if (!isPlainObject(config) || typeof config.schedule !== 'string')
    throw new HyperParameterError(
      where,
      `a schedule config is { schedule: name, ...options }, e.g. { schedule: 'cosineDecay', initial: 0.1, decaySteps: 1000 }`,
    );
  const { schedule: name, ...options } = config;
  const entry = schedules.get(name);
  if (!entry) throw unknownName('schedule', name, registeredNames('schedule'), where);
  return entry.factory(buildValue(options, where) as Record<string, unknown>);
}

/**
 * Builds a transformation from plain JSON: `{ name, ...options }` for one registered transformation,
 * `{ chain: [...] }` for a chain. Option values may be schedule configs (`{ schedule: name, … }`)
 * and nested transformation configs (`inner` of a wrapper). Unknown names and unknown options are
 * errors, never ignored.
 *
 * @throws HyperParameterError (code `UNKNOWN_NAME`) naming the config path of an unknown name; the
 *   factory's own errors (unknown or bad options).
 * @example
 * ```ts
 * const tx = transformationFromConfig({
 *   chain: [
 *     { name: 'clipByGlobalNorm', maxNorm: 1 },
 *     { name: 'adamw', learningRate: { schedule: 'warmupCosineDecay', peak: 1e-3, warmupSteps: 100, decaySteps: 1000 } },
 *   ],
 * });
 * ```
 */
export function transformationFromConfig(config: TransformConfig, where = 'config'): GradientTransformation {
  if (!isPlainObject(config))
    throw new HyperParameterError(
      where,
      `a config is { name, ...options } or { chain: [...] }, e.g. { name: 'adam', learningRate: 1e-3 }; got ${String(config)}`,
    );
  if (Object.hasOwn(config, 'chain')) {
    const { chain: parts, ...rest } = config as unknown as ChainConfig;
    const extra = Object.keys(rest)[0];
    if (extra !== undefined)
      throw new HyperParameterError(`${where}.${extra}`, `a chain config has only 'chain' (an array of configs), not '${extra}'`, 'UNKNOWN_OPTION');
    if (!Array.isArray(parts) || parts.length === 0) throw new HyperParameterError(`${where}.chain`, 'chain must be a non-empty array of configs');
    return chain(...parts.map((p, i) => transformationFromConfig(p, `${where}.chain.${i}`)));
  }
  const { name, ...options } = config as TransformationConfig;
  const entry = typeof name === 'string' ? transformations.get(name) : undefined;
  if (!entry) throw unknownName('transformation', name, registeredNames('transformation'), `${where}.name`);
  const data = entry.dataKeys ?? [];
  const built = Object.fromEntries(Object.entries(options).map(([k, v]) => [k, data.includes(k) ? v : buildValue(v, `${where}.${k}`)]));
  return entry.factory(built);
}

/** A transformation's option value as JSON, or a HyperParameterError naming `where`. */
function valueToConfig(value: unknown, where: string): unknown {
  if (typeof value === 'function') {
    const config = scheduleConfigOf(value as Schedule);
    if (config) return Object.fromEntries(Object.entries(config).map(([k, v]) => [k, valueToConfig(v, `${where}.${k}`)]));
    throw new HyperParameterError(
      where,
      `'${where}' is a function without a config (a schedule not made by @gradkit/schedules, or a predicate): it cannot be written as JSON`,
    );
  }
  if (Array.isArray(value)) return value.map((v, i) => valueToConfig(v, `${where}.${i}`));
  if (isTransformation(value)) return transformationToConfig(value, where);
  if (isPlainObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, valueToConfig(v, `${where}.${k}`)]));
  if (value === null || ['number', 'string', 'boolean'].includes(typeof value)) return value;
  throw new HyperParameterError(
    where,
    `'${where}' holds ${typeof value === 'object' ? 'an object that is not plain data' : `a ${typeof value}`}: it cannot be written as JSON`,
  );
}

/**
 * The JSON config of a transformation or chain, which `transformationFromConfig` turns back into an
 * equivalent transformation: `{ name, ...options }`, `{ chain: [...] }`, schedules as their configs.
 *
 * @throws HyperParameterError naming the option that cannot be written (a predicate, a schedule
 *   without config) or a transformation whose name is not registered.
 * @example
 * ```ts
 * const json = JSON.stringify(transformationToConfig(chain(clipByGlobalNorm(1), adamw({ learningRate: 3e-4 }))));
 * ```
 */
export function transformationToConfig(tx: GradientTransformation, where = 'config'): TransformConfig {
  if (!isTransformation(tx)) throw new HyperParameterError(where, 'transformationToConfig needs a gradient transformation');
  if (tx.parts) return { chain: tx.parts.map((p, i) => transformationToConfig(p, `${where}.chain.${i}`)) };
  if (!transformations.has(tx.name)) throw unknownName('transformation', tx.name, registeredNames('transformation'), `${where}.name`);
  const options = valueToConfig(tx.options, where) as Record<string, unknown>;
  return { name: tx.name, ...options };
}
