import { describe, expect, it } from 'vitest';
import { constant } from './constant.js';
import { expectHyperError, valuesOf } from './test-utils.js';

describe('constant (optax constant_schedule)', () => {
  it('is the value at every step', () => {
    expect(valuesOf(constant(0.25), 5)).toEqual([0.25, 0.25, 0.25, 0.25, 0.25]);
    expect(constant(0)(1_000_000)).toBe(0);
  });

  it('bad values → HyperParameterError naming value', () => {
    expectHyperError(() => constant(-0.1), 'value', /value must be in \[0, ∞\), got -0\.1/);
    expectHyperError(() => constant(Number.NaN), 'value', /finite number/);
    expectHyperError(() => constant(Number.POSITIVE_INFINITY), 'value', /finite number/);
    expectHyperError(() => constant('0.1' as unknown as number), 'value', /value must be a number, got "0\.1"/);
  });
});
