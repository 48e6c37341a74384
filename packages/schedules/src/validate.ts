// Argument checks shared by the schedules (internal: not exported from index.ts). Pure: no tfjs.
import { checkHyper, checkOptions, HyperParameterError, type HyperRange, type Schedule, type ScheduleConfig, withConfig } from '@gradkit/core';

/** Non-negative values: what every schedule's values must be (learning rates, momenta, decays …). */
export const NON_NEGATIVE: HyperRange = { min: 0 };
/** Strictly positive values. */
export const POSITIVE: HyperRange = { min: 0, minExclusive: true };

/**
 * The options object of schedule `name`, required, checked to hold only `valid` keys (an
 * UnknownOptionError suggests the closest, PyTorch's `T_max`, `eta_min`, `max_lr` … included);
 * `example` shows a correct call.
 */
export function checkScheduleOptions<O extends object>(name: string, options: O, valid: readonly (keyof O & string)[], example: string): O {
  return checkOptions(name, options, valid, { example, required: true });
}

/** A finite number in `range` (never a schedule: schedules are built from numbers). */
export function checkNumber(field: string, value: unknown, range: HyperRange = {}): number {
  if (typeof value !== 'number') throw new HyperParameterError(field, `${field} must be a number, got ${describe(value)}`);
  return checkHyper(field, value, range);
}

/** An integer ≥ `min`. */
export function checkInteger(field: string, value: unknown, min: number): number {
  checkNumber(field, value);
  if (!Number.isInteger(value) || (value as number) < min)
    throw new HyperParameterError(field, `${field} must be an integer ≥ ${min} (a number of steps), got ${String(value)}`);
  return value as number;
}

/** A boolean. */
export function checkBoolean(field: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new HyperParameterError(field, `${field} must be true or false, got ${describe(value)}`);
  return value;
}

/** Boundaries: an array of integers ≥ 0, strictly increasing. Returns a frozen copy. */
export function checkBoundaries(field: string, value: unknown): readonly number[] {
  if (!Array.isArray(value)) throw new HyperParameterError(field, `${field} must be an array of step numbers, got ${describe(value)}`);
  value.forEach((b, i) => {
    if (typeof b !== 'number' || !Number.isInteger(b) || b < 0)
      throw new HyperParameterError(field, `${field}[${i}] must be an integer ≥ 0 (a step number), got ${describe(b)}`);
    if (i > 0 && b <= value[i - 1])
      throw new HyperParameterError(field, `${field} must be strictly increasing, but ${field}[${i}] = ${b} follows ${field}[${i - 1}] = ${value[i - 1]}`);
  });
  return Object.freeze([...value]) as readonly number[];
}

/**
 * Wraps a closed form into a Schedule that checks its step (an integer ≥ 0, else a
 * HyperParameterError naming 'step') and its result (finite, else a HyperParameterError naming
 * `overflowField`, the option that let it grow), and carries `config` (`{ schedule: name, ...options }`,
 * which `scheduleFromConfig` rebuilds it from), when given.
 */
export function schedule(config: ScheduleConfig | string, f: (step: number) => number, overflowField = 'step'): Schedule {
  const name = typeof config === 'string' ? config : config.schedule;
  const s = (step: number) => {
    if (typeof step !== 'number' || !Number.isInteger(step) || step < 0)
      throw new HyperParameterError('step', `${name}: the step must be an integer ≥ 0 (steps count from 0), got ${describe(step)}`);
    const v = f(step);
    if (!Number.isFinite(v))
      throw new HyperParameterError(overflowField, `${name}: the value at step ${step} is ${v}, not a finite number (check ${overflowField})`);
    return v;
  };
  return typeof config === 'string' ? s : withConfig(s, config);
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'function') return 'a function';
  return String(value);
}

/** `value`, or `fallback` when it is absent (`undefined` only: a `null` is passed on, to be rejected by the check). */
export const orDefault = <T>(value: T | undefined, fallback: T): T => (value === undefined ? fallback : value);
