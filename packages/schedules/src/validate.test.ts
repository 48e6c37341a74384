import { HyperParameterError, type Schedule } from '@gradkit/core';
import { describe, expect, it } from 'vitest';
import { constant } from './constant.js';
import { cosineDecay } from './cosine-decay.js';
import { exponentialDecay } from './exponential-decay.js';
import { inverseTimeDecay } from './inverse-time-decay.js';
import { joinSchedules } from './join-schedules.js';
import { linearWarmup } from './linear-warmup.js';
import { oneCycle } from './one-cycle.js';
import { piecewiseConstant } from './piecewise-constant.js';
import { polynomialDecay } from './polynomial-decay.js';
import { stepDecay } from './step-decay.js';
import { expectHyperError } from './test-utils.js';
import { warmupCosineDecay } from './warmup-cosine-decay.js';

const ALL: [string, Schedule][] = [
  ['constant', constant(0.1)],
  ['inverseTimeDecay', inverseTimeDecay({ initial: 0.1, decayRate: 0.5 })],
  ['exponentialDecay', exponentialDecay({ initial: 0.1, gamma: 0.9 })],
  ['stepDecay', stepDecay({ initial: 0.1, stepSize: 3 })],
  ['piecewiseConstant', piecewiseConstant({ boundaries: [2], values: [0.1, 0.01] })],
  ['polynomialDecay', polynomialDecay({ initial: 0.1, decaySteps: 10 })],
  ['cosineDecay', cosineDecay({ initial: 0.1, decaySteps: 10 })],
  ['linearWarmup', linearWarmup({ peak: 0.1, warmupSteps: 10 })],
  ['warmupCosineDecay', warmupCosineDecay({ peak: 0.1, warmupSteps: 2, decaySteps: 10 })],
  ['oneCycle', oneCycle({ maxValue: 0.1, totalSteps: 10 })],
  ['joinSchedules', joinSchedules([constant(0.1), constant(0.01)], [5])],
];

describe('every schedule checks its step and returns finite numbers', () => {
  for (const [name, schedule] of ALL) {
    it(`${name}: a step that is not an integer ≥ 0 → HyperParameterError naming 'step'`, () => {
      for (const bad of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '3' as unknown as number, undefined as unknown as number]) {
        expectHyperError(() => schedule(bad), 'step', new RegExp(`${name}: the step must be an integer ≥ 0`));
      }
    });

    it(`${name}: finite, non-negative values over 0 … 1000, and pure (same step, same value)`, () => {
      for (let t = 0; t <= 1000; t++) {
        const v = schedule(t);
        expect(Number.isFinite(v) && v >= 0, `step ${t}: ${v}`).toBe(true);
        expect(schedule(t)).toBe(v);
      }
    });
  }

  it('an options object is required where there are options', () => {
    const makers: [string, () => unknown][] = [
      ['inverseTimeDecay', () => inverseTimeDecay(undefined as never)],
      ['exponentialDecay', () => exponentialDecay(null as never)],
      ['stepDecay', () => stepDecay(3 as never)],
      ['piecewiseConstant', () => piecewiseConstant(undefined as never)],
      ['polynomialDecay', () => polynomialDecay(undefined as never)],
      ['cosineDecay', () => cosineDecay(undefined as never)],
      ['linearWarmup', () => linearWarmup(undefined as never)],
      ['warmupCosineDecay', () => warmupCosineDecay(undefined as never)],
      ['oneCycle', () => oneCycle(undefined as never)],
    ];
    for (const [name, make] of makers) expectHyperError(make, 'options', new RegExp(`${name} needs an options object`));
  });

  it('errors are HyperParameterErrors with the BAD_HYPERPARAMETER code', () => {
    try {
      constant(0.1)(-2);
    } catch (e) {
      expect(e).toBeInstanceOf(HyperParameterError);
      expect((e as HyperParameterError).code).toBe('BAD_HYPERPARAMETER');
    }
    expect.assertions(2);
  });
});
