import type { Schedule } from '@gradkit/core';
import { describe, expect, it } from 'vitest';
import { constant } from './constant.js';
import { cosineDecay } from './cosine-decay.js';
import { exponentialDecay } from './exponential-decay.js';
import { joinSchedules } from './join-schedules.js';
import { linearWarmup } from './linear-warmup.js';
import { expectHyperError, expectValues, valuesOf } from './test-utils.js';

/** optax `join_schedules` (optax/schedules/_join.py), in float64. */
function optaxJoinSchedules(schedules: ((step: number) => number)[], boundaries: number[]) {
  return (step: number) => {
    let output = (schedules[0] as (s: number) => number)(step);
    boundaries.forEach((boundary, i) => {
      output = step < boundary ? output : (schedules[i + 1] as (s: number) => number)(step - boundary);
    });
    return output;
  };
}

describe('joinSchedules (optax join_schedules)', () => {
  it('each schedule sees the steps counted from its own boundary', () => {
    const seen: number[][] = [[], [], []];
    const spy =
      (i: number, v: number): Schedule =>
      (t) => {
        (seen[i] as number[]).push(t);
        return v;
      };
    const s = joinSchedules([spy(0, 1), spy(1, 2), spy(2, 3)], [3, 5]);
    expect(valuesOf(s, 8)).toEqual([1, 1, 1, 2, 2, 3, 3, 3]);
    expect(seen).toEqual([
      [0, 1, 2],
      [0, 1],
      [0, 1, 2],
    ]);
  });

  it("matches optax's join_schedules over warmup → cosine → exponential tail", () => {
    const w = (t: number) => (t >= 10 ? 0.1 : 0.01 * t); // closed forms, independent of the package
    const c = (t: number) => 0.1 * 0.5 * (1 + Math.cos((Math.PI * Math.min(t, 40)) / 40));
    const e = (t: number) => 0.001 * 0.9 ** t;
    const ours = joinSchedules(
      [linearWarmup({ peak: 0.1, warmupSteps: 10 }), cosineDecay({ initial: 0.1, decaySteps: 40 }), exponentialDecay({ initial: 0.001, gamma: 0.9 })],
      [10, 45],
    );
    const reference = optaxJoinSchedules([w, c, e], [10, 45]);
    expectValues(
      valuesOf(ours, 80),
      Array.from({ length: 80 }, (_, t) => reference(t)),
      { atol: 1e-17 },
    );
  });

  it('one schedule and no boundaries is that schedule', () => {
    expect(valuesOf(joinSchedules([constant(0.2)], []), 3)).toEqual([0.2, 0.2, 0.2]);
  });

  it('a part that returns something that is not a finite number is named', () => {
    const s = joinSchedules([constant(0.1), () => Number.NaN], [2]);
    expect(s(1)).toBe(0.1);
    expectHyperError(() => s(2), 'schedules', /joinSchedules: the value at step 2 is NaN/);
    expectHyperError(() => joinSchedules([constant(0.1), () => '1' as unknown as number], [2])(3), 'schedules', /schedules\[1\] returned 1 at step 3/);
  });

  it('bad arguments → HyperParameterError naming the field', () => {
    expectHyperError(() => joinSchedules([], []), 'schedules', /non-empty/);
    expectHyperError(() => joinSchedules([constant(0.1), 0.01 as never], [5]), 'schedules', /schedules\[1\] must be a schedule.*constant\(v\)/);
    expectHyperError(() => joinSchedules([constant(0.1), constant(0.01)], []), 'boundaries', /one entry fewer than schedules \(1 for 2 schedules\), got 0/);
    expectHyperError(() => joinSchedules([constant(0.1), constant(0.01), constant(0.001)], [5, 5]), 'boundaries', /strictly increasing/);
    expectHyperError(() => joinSchedules([constant(0.1), constant(0.01)], [-5]), 'boundaries');
    expectHyperError(() => joinSchedules([constant(0.1), constant(0.01)], [2.5]), 'boundaries');
  });
});
