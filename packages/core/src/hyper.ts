import { HyperParameterError } from './errors.js';
import { describeValue } from './options.js';

/**
 * A schedule: the value of a hyper-parameter at optimizer step `step` (counted from 0). Pure and
 * cheap; evaluated on the host once per step. `@gradkit/schedules` builds them.
 *
 * @example
 * ```ts
 * const halfEvery100: Schedule = (step) => 0.1 * 0.5 ** Math.floor(step / 100);
 * ```
 */
export type Schedule = (step: number) => number;

/** A numeric hyper-parameter: a constant or a schedule. @example `sgd({ learningRate: cosineDecay({ initial: 0.1, decaySteps: 1000 }) })` */
export type HyperParam = number | Schedule;

/** The allowed range of a hyper-parameter, for `resolveHyper` and `checkHyper`. @example `{ min: 0, minExclusive: true }` */
export interface HyperRange {
  /** Smallest allowed value. */
  readonly min?: number;
  /** Largest allowed value. */
  readonly max?: number;
  /** Whether `min` itself is excluded (e.g. a learning rate must be > 0). */
  readonly minExclusive?: boolean;
  /** Whether `max` itself is excluded (e.g. betas must be < 1). */
  readonly maxExclusive?: boolean;
}

function describeRange(r: HyperRange): string {
  const lo = r.min === undefined ? '(-∞' : `${r.minExclusive ? '(' : '['}${r.min}`;
  const hi = r.max === undefined ? '∞)' : `${r.max}${r.maxExclusive ? ')' : ']'}`;
  return `${lo}, ${hi}`;
}

/** The largest finite float32. */
const F32_MAX = 3.4028234663852886e38;
/** The smallest positive normal float32: below it a value loses precision on every backend and may be flushed to 0. */
const F32_MIN_NORMAL = 1.1754943508222875e-38;

function checkNumber(field: string, v: number, range: HyperRange, context: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new HyperParameterError(field, `${field} must be a finite number${context}, got ${describeValue(v)}`);
  const abs = Math.abs(v);
  if (abs > F32_MAX || (abs !== 0 && abs < F32_MIN_NORMAL))
    throw new HyperParameterError(
      field,
      `${field} must be representable in float32 (the tensors' precision): 0, or between 1.2e-38 and 3.4e38 in magnitude${context}, got ${v}`,
    );
  const { min, max, minExclusive, maxExclusive } = range;
  const below = min !== undefined && (minExclusive ? v <= min : v < min);
  const above = max !== undefined && (maxExclusive ? v >= max : v > max);
  if (below || above) throw new HyperParameterError(field, `${field} must be in ${describeRange(range)}${context}, got ${v}`);
  return v;
}

/**
 * Validates a plain number option (never a schedule): finite, representable in float32, and in `range`.
 *
 * @throws HyperParameterError naming `field`, for anything else (a function, a string, NaN …).
 * @example
 * ```ts
 * const eps = checkNumberOption('epsilon', options.epsilon ?? 1e-5, { min: 0, minExclusive: true });
 * ```
 */
export function checkNumberOption(field: string, value: unknown, range: HyperRange = {}): number {
  return checkNumber(field, value as number, range, '');
}

/**
 * Validates a hyper-parameter when a transformation is built: a number must be finite and in
 * `range`; a schedule is checked at step 0 (and again at every step by `resolveHyper`).
 *
 * @throws HyperParameterError naming `field`.
 * @example
 * ```ts
 * const lr = checkHyper('learningRate', options.learningRate, { min: 0, minExclusive: true });
 * ```
 */
export function checkHyper<T extends HyperParam>(field: string, value: T, range: HyperRange = {}): T {
  if (typeof value === 'function') resolveHyper(field, value, 0, range);
  else checkNumber(field, value as number, range, '');
  return value;
}

/**
 * The value of a hyper-parameter at `step`, validated against `range`: constants are returned as
 * they are, schedules are called. A schedule may reach an exclusive lower bound of 0 (a learning rate
 * annealed to 0), which a constant may not.
 *
 * @throws HyperParameterError naming `field` when the value is not finite or out of range.
 * @example
 * ```ts
 * resolveHyper('learningRate', (t) => 0.1 / (1 + t), 9, { min: 0 }); // 0.01
 * ```
 */
export function resolveHyper(field: string, value: HyperParam, step: number, range: HyperRange = {}): number {
  if (typeof value === 'function') {
    // A schedule may decay to exactly 0 where constants must be > 0 (a learning rate annealed to 0, as PyTorch allows).
    const scheduled = range.min === 0 && range.minExclusive ? { ...range, minExclusive: false } : range;
    // A schedule that decays below float32's normal range (a long exponential decay) reaches 0 there.
    const v = value(step);
    const flushed = typeof v === 'number' && v !== 0 && Math.abs(v) < F32_MIN_NORMAL ? 0 : v;
    return checkNumber(field, flushed, scheduled, ` (schedule value at step ${step})`);
  }
  return checkNumber(field, value, range, '');
}

/** A numeric option for `defineHyperParams`: its value (number or Schedule, defaults applied) and its range. @example `[options.beta1 ?? 0.9, { min: 0, max: 1, maxExclusive: true }]` */
export type HyperSpec = readonly [value: HyperParam, range: HyperRange];

/** What `defineHyperParams` returns: the validated options, and their values at any step. @example `const { options, at } = defineHyperParams({ … })` */
export interface HyperParams<K extends string> {
  /** The options as given (numbers or schedules), validated; for a transformation's `options`. */
  readonly options: Readonly<Record<K, HyperParam>>;
  /** Every option resolved and validated at `step`; for a transformation's `hyperParams` and `update`. */
  at(step: number): Readonly<Record<K, number>>;
}

/**
 * Validates a transformation's numeric options once (`checkHyper`) and gives a resolver for any step
 * (`resolveHyper`), so each option's range is written once.
 *
 * @throws HyperParameterError naming the first option that is not finite or out of range.
 * @example
 * ```ts
 * const h = defineHyperParams({
 *   learningRate: [options.learningRate ?? 1e-3, { min: 0, minExclusive: true }],
 *   beta1: [options.beta1 ?? 0.9, { min: 0, max: 1, maxExclusive: true }],
 * });
 * return { name: 'myAdam', options: h.options, hyperParams: h.at, init, update: (g, s) => { const { learningRate } = h.at(s.count); … } };
 * ```
 */
export function defineHyperParams<K extends string>(spec: Readonly<Record<K, HyperSpec>>): HyperParams<K> {
  const keys = Object.keys(spec) as K[];
  const options = Object.fromEntries(keys.map((k) => [k, checkHyper(k, spec[k][0], spec[k][1])])) as Record<K, HyperParam>;
  return { options, at: (step) => Object.fromEntries(keys.map((k) => [k, resolveHyper(k, options[k], step, spec[k][1])])) as Record<K, number> };
}
