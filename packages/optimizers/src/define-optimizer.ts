import {
  checkOptions,
  defineHyperParams,
  type GradientTransformation,
  type GradTree,
  type HyperParam,
  HyperParameterError,
  type HyperRange,
  type HyperSpec,
  map,
  type ParamTree,
  type TransformResult,
  type Tree,
} from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import { flag, type OptionKeys, requireParams, slotLeaves, slotsOf, stepLeaves } from './internal.js';
import { registerOptimizer } from './registry.js';

/** The numeric options of an optimizer definition (numbers, or Schedules at run time). @example `{ learningRate: 1e-3, beta: 0.9 }` */
export type NumericDefaults = Readonly<Record<string, number>>;

/** What `step` of an optimizer definition receives for one parameter tensor. @example `({ grad, slots, hyper }) => ({ update: tf.mul(grad, -hyper.learningRate), slots })` */
export interface OptimizerStepContext<N extends NumericDefaults, S extends string> {
  /** The parameter's gradient. */
  readonly grad: tf.Tensor;
  /** The parameter's current value. */
  readonly param: tf.Tensor;
  /** This parameter's state buffers, by slot name. */
  readonly slots: Readonly<Record<S, tf.Tensor>>;
  /** Every numeric option resolved at this step (schedules evaluated). */
  readonly hyper: Readonly<Record<keyof N, number>>;
  /** The step being taken, counted from 0 (`t = step + 1` in bias corrections). */
  readonly step: number;
}

/** The definition of an optimizer plugin, for `defineOptimizer`. @example see `defineOptimizer` */
export interface OptimizerDefinition<N extends NumericDefaults, S extends string> {
  /** Name of the optimizer: the transformation's `name`, the key in `optimizerFromConfig` and in saved state. */
  readonly name: string;
  /** Default value of every numeric option (each may be overridden by a number or a Schedule). */
  readonly defaults: N;
  /** Allowed range of each numeric option; values outside get a HyperParameterError naming the option. */
  readonly ranges?: { readonly [K in keyof N]?: HyperRange };
  /** Names of the per-parameter state buffers (each starts filled with `initial[slot]`, default 0, shaped like its parameter). */
  readonly slots: readonly S[];
  /** Initial value of each slot's buffers (default 0), e.g. `{ v: 1e-6 }`. */
  readonly initial?: Readonly<Partial<Record<S, number>>>;
  /** One step for one parameter: returns the update (added to the parameter) and the new buffers. */
  step(context: OptimizerStepContext<N, S>): { update: tf.Tensor; slots: Readonly<Record<S, tf.Tensor>> };
  /** Replace an optimizer registered under the same name (default false: a name that is taken is an error). */
  readonly replace?: boolean;
}

const DEFINITION_KEYS: OptionKeys<OptimizerDefinition<NumericDefaults, string>> = {
  name: true,
  defaults: true,
  ranges: true,
  slots: true,
  initial: true,
  step: true,
  replace: true,
};
const EXAMPLE = "defineOptimizer({ name: 'signum', defaults: { learningRate: 1e-3 }, slots: ['m'], step })";

const isRecord = (x: unknown): x is Record<string, unknown> => x !== null && typeof x === 'object' && !Array.isArray(x);

/** Checks an optimizer definition before anything is registered: every field, its type, and that ranges, initial values and defaults agree. */
function checkDefinition(definition: OptimizerDefinition<NumericDefaults, string>): void {
  const d = checkOptions('defineOptimizer', definition, Object.keys(DEFINITION_KEYS), { example: EXAMPLE, required: true });
  if (typeof d.name !== 'string' || d.name === '') throw new HyperParameterError('name', `defineOptimizer needs a non-empty name, e.g. ${EXAMPLE}`);
  if (!isRecord(d.defaults) || Object.keys(d.defaults).length === 0)
    throw new HyperParameterError('defaults', `defineOptimizer('${d.name}'): defaults must be an object of numbers, e.g. { learningRate: 1e-3 }`);
  if (!Array.isArray(d.slots) || d.slots.some((s) => typeof s !== 'string' || s === '' || s === 'count') || new Set(d.slots).size !== d.slots.length)
    throw new HyperParameterError('slots', `defineOptimizer('${d.name}'): slots must be an array of distinct names other than 'count', e.g. ['m', 'v']`);
  if (typeof d.step !== 'function')
    throw new HyperParameterError('step', `defineOptimizer('${d.name}'): step must be a function ({ grad, param, slots, hyper, step }) => ({ update, slots })`);
  const keys = Object.keys(d.defaults);
  if (d.ranges !== undefined) checkOptions(`defineOptimizer('${d.name}') ranges`, d.ranges, keys, { example: '{ learningRate: { min: 0 } }' });
  if (d.initial !== undefined) {
    checkOptions(`defineOptimizer('${d.name}') initial`, d.initial, d.slots, { example: `{ ${d.slots[0] ?? 'm'}: 0 }` });
    for (const [slot, v] of Object.entries(d.initial))
      if (typeof v !== 'number' || !Number.isFinite(v))
        throw new HyperParameterError(slot, `initial value of slot '${slot}' must be a finite number, got ${String(v)}`);
  }
  flag('replace', d.replace, false);
  // Each default must be valid in its range: checked once here, so a bad definition fails where it is written.
  defineHyperParams<string>(Object.fromEntries(keys.map((k) => [k, [d.defaults[k] as number, d.ranges?.[k] ?? {}] as HyperSpec])));
}

/** The options of an optimizer made by `defineOptimizer`: any subset of its numeric options, numbers or Schedules. @example `{ learningRate: cosineDecay({ initial: 1e-3, decaySteps: 1000 }) }` */
export type DefinedOptions<N extends NumericDefaults> = { readonly [K in keyof N]?: HyperParam };

/** State of an optimizer made by `defineOptimizer`: the step count and one tree per slot. @example `{ count: 3, m: { w: mW } }` */
export type DefinedState<S extends string> = { readonly count: number } & { readonly [K in S]: Tree<tf.Tensor> };

/**
 * Defines an optimizer plugin from a per-tensor step rule and registers it by name (so
 * `optimizerFromConfig({ name })` and saved state can name it). The result is a factory of
 * `GradientTransformation`s with validated options (numbers or Schedules), slots mirroring the
 * parameters (zeros unless `initial` says otherwise), a host step count, and `hyperParams(step)` so fused kernels can be
 * registered for it later.
 *
 * Everything is checked strictly, before anything is registered: the definition's own keys (a typo
 * such as `default` is an UnknownOptionError), its name, slots, step, ranges and initial values, and
 * each default against its range; the options of the optimizers it makes accept exactly the keys of
 * `defaults` (`signum({ lr })` suggests `learningRate`). A name that is registered already (a
 * built-in such as `'adam'`, or an earlier definition) is an error unless the definition says
 * `replace: true` (for hot reload, or to replace a built-in on purpose). Each step rule gets the
 * gradient, parameter and slots of one parameter, paired by path. (For a sign, prefer comparisons,
 * `tf.sub(tf.cast(tf.greater(m, 0), 'float32'), tf.cast(tf.less(m, 0), 'float32'))`: tfjs-wasm's
 * `tf.sign` returns 0 for |m| below about 5e-7.)
 *
 * @throws UnknownOptionError for an unknown key of the definition (or of `ranges`, `initial`);
 *   HyperParameterError naming `name`, `defaults`, `slots`, `step`, `replace` or an option whose
 *   default is out of its range; GradkitError (code `DUPLICATE_NAME`) for a name taken without
 *   `replace: true`.
 *
 * @example
 * ```ts
 * // Signum (Bernstein et al. 2018): m ← βm + (1−β)g; update = −η·sign(m)
 * export const signum = defineOptimizer({
 *   name: 'signum',
 *   defaults: { learningRate: 1e-3, beta: 0.9 },
 *   ranges: { learningRate: { min: 0, minExclusive: true }, beta: { min: 0, max: 1, maxExclusive: true } },
 *   slots: ['m'],
 *   step: ({ grad, slots, hyper }) => {
 *     const m = tf.add(tf.mul(slots.m, hyper.beta), tf.mul(grad, 1 - hyper.beta));
 *     return { update: tf.mul(tf.sign(m), -hyper.learningRate), slots: { m } };
 *   },
 * });
 * const opt = new Optimizer(params, signum({ learningRate: 1e-2 }));
 * ```
 */
export function defineOptimizer<N extends NumericDefaults, S extends string>(
  definition: OptimizerDefinition<N, S>,
): (options?: DefinedOptions<N>) => GradientTransformation<DefinedState<S>, Readonly<Record<keyof N, HyperParam>>> {
  checkDefinition(definition as unknown as OptimizerDefinition<NumericDefaults, string>);
  const { name, defaults, slots } = definition;
  const ranges: { readonly [K in keyof N]?: HyperRange } = definition.ranges ?? {};
  const keys = Object.keys(defaults) as (keyof N & string)[];
  const factory = (options?: DefinedOptions<N>) => {
    const given = checkOptions<DefinedOptions<N>>(name, options, keys, { example: `${name}({ ${keys[0]}: … })` });
    const numeric = defineHyperParams<string>(Object.fromEntries(keys.map((k) => [k, [given[k] ?? (defaults[k] as number), ranges[k] ?? {}] as HyperSpec])));
    return {
      name,
      options: numeric.options as Readonly<Record<keyof N, HyperParam>>,
      hyperParams: numeric.at,
      init: (params: ParamTree) =>
        ({
          count: 0,
          ...Object.fromEntries(slots.map((s) => [s, map(params, (p) => tf.fill(p.shape, definition.initial?.[s] ?? 0, 'float32'))])),
        }) as DefinedState<S>,
      update(grads: GradTree, state: DefinedState<S>, params?: ParamTree): TransformResult<DefinedState<S>> {
        const p = slotLeaves(grads, requireParams(name, params, 'needs the parameters'));
        const hyper = numeric.at(state.count) as Readonly<Record<keyof N, number>>;
        const r = stepLeaves(grads, slotsOf(state, slots), (grad, current, i) =>
          definition.step({ grad, param: p[i] as tf.Tensor, slots: current, hyper, step: state.count }),
        );
        return { updates: r.updates, state: { count: state.count + 1, ...r.slots } as DefinedState<S> };
      },
    };
  };
  registerOptimizer(name, factory as (options: object) => GradientTransformation, definition.replace ? { replace: true } : {});
  return factory;
}
