// Argument checks shared by the schedules (internal: not exported from index.ts). Pure: no tfjs.
import { checkHyper, HyperParameterError, type HyperRange, type Schedule } from '@gradkit/core';

/** Non-negative values: what every schedule's values must be (learning rates, momenta, decays …). */
export const NON_NEGATIVE: HyperRange = { min: 0 };
/** Strictly positive values. */
export const POSITIVE: HyperRange = { min: 0, minExclusive: true };

/** Throws unless `options` is an object; `example` shows a correct call. */
export function checkOptions(name: string, options: unknown, example: string): void {
  if (options === null || typeof options !== 'object') throw new HyperParameterError('options', `${name} needs an options object, e.g. ${example}`);
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
 * `overflowField`, the option that let it grow).
 */
export function schedule(name: string, f: (step: number) => number, overflowField = 'step'): Schedule {
  return (step: number) => {
    if (typeof step !== 'number' || !Number.isInteger(step) || step < 0)
      throw new HyperParameterError('step', `${name}: the step must be an integer ≥ 0 (steps count from 0), got ${describe(step)}`);
    const v = f(step);
    if (!Number.isFinite(v))
      throw new HyperParameterError(overflowField, `${name}: the value at step ${step} is ${v}, not a finite number (check ${overflowField})`);
    return v;
  };
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'function') return 'a function';
  return String(value);
}
