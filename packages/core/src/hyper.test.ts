import { describe, expect, it } from 'vitest';
import { HyperParameterError } from './errors.js';
import { checkHyper, defineHyperParams, resolveHyper } from './hyper.js';

describe('hyper-parameters', () => {
  const positive = { min: 0, minExclusive: true };

  it('accepts numbers in range and evaluates schedules at a step', () => {
    expect(checkHyper('learningRate', 0.1, positive)).toBe(0.1);
    expect(resolveHyper('learningRate', (t) => 0.1 / (1 + t), 9, positive)).toBeCloseTo(0.01, 12);
  });

  it('rejects zero, negative, NaN and infinite values, naming the field and range', () => {
    for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => checkHyper('learningRate', bad, positive)).toThrow(HyperParameterError);
    }
    expect(() => checkHyper('learningRate', -1, positive)).toThrow(/learningRate must be in \(0, ∞\), got -1/);
    expect(() => checkHyper('beta1', 1, { min: 0, max: 1, maxExclusive: true })).toThrow(/beta1 must be in \[0, 1\), got 1/);
  });

  it('lets a schedule decay to exactly 0 where a constant must be > 0', () => {
    expect(resolveHyper('learningRate', (t) => (t < 3 ? 0.1 : 0), 3, positive)).toBe(0);
    expect(() => resolveHyper('learningRate', () => -1e-9, 3, positive)).toThrow(/must be in \[0, ∞\)/);
    expect(() => checkHyper('learningRate', 0, positive)).toThrow(HyperParameterError);
  });

  it('checks schedules at step 0 when built and at every step when resolved', () => {
    expect(() => checkHyper('learningRate', () => -1, positive)).toThrow(/schedule value at step 0/);
    const sched = (t: number) => (t < 5 ? 0.1 : Number.NaN);
    expect(checkHyper('learningRate', sched, positive)).toBe(sched);
    expect(() => resolveHyper('learningRate', sched, 5, positive)).toThrow(/learningRate must be a finite number \(schedule value at step 5\), got NaN/);
    try {
      resolveHyper('learningRate', sched, 7, positive);
      expect.unreachable();
    } catch (e) {
      expect((e as HyperParameterError).field).toBe('learningRate');
    }
  });
});

describe('defineHyperParams', () => {
  const positive = { min: 0, minExclusive: true };
  const unit = { min: 0, max: 1, maxExclusive: true };

  it('validates every option once and resolves them at a step', () => {
    const h = defineHyperParams({ learningRate: [(t: number) => 0.1 / (1 + t), positive], beta: [0.9, unit] });
    expect(h.options.beta).toBe(0.9);
    expect(h.at(4)).toEqual({ learningRate: 0.1 / 5, beta: 0.9 });
  });

  it('names the offending option, at construction or at the step where a schedule leaves its range', () => {
    expect(() => defineHyperParams({ learningRate: [0.1, positive], beta: [1, unit] })).toThrow(/beta must be in \[0, 1\), got 1/);
    const h = defineHyperParams({ beta: [(t: number) => (t < 2 ? 0.5 : 1), unit] });
    expect(() => h.at(2)).toThrow(/beta must be in \[0, 1\) \(schedule value at step 2\), got 1/);
  });

  it('rejects numbers that float32 cannot hold (finite in float64, Infinity or 0 in the tensors)', () => {
    expect(() => checkHyper('learningRate', 1e39, { min: 0, minExclusive: true })).toThrow(/representable in float32/);
    expect(() => checkHyper('epsilon', 1e-50, { min: 0, minExclusive: true })).toThrow(/representable in float32/);
    expect(() => resolveHyper('learningRate', () => -3.5e38, 4)).toThrow(/schedule value at step 4/);
    // a schedule decaying below float32's normal range reaches 0 (1e-3·0.95^1569 ≈ 1e-38), as in the tensors
    expect(resolveHyper('learningRate', (t) => 1e-3 * 0.95 ** t, 1569, { min: 0, minExclusive: true })).toBe(0);
    expect(() => resolveHyper('learningRate', (t) => 1e-3 * 0.95 ** t, 1569, { min: 1e-30 })).toThrow(/must be in/);
    expect(checkHyper('epsilon', 1e-30, { min: 0 })).toBe(1e-30);
    expect(checkHyper('x', 0)).toBe(0);
    expect(checkHyper('x', 3.4e38)).toBe(3.4e38);
  });
});
