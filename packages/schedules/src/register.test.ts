import {
  HyperParameterError,
  registeredNames,
  type Schedule,
  scheduleConfigOf,
  scheduleFromConfig,
  transformationFromConfig,
  transformationToConfig,
  UnknownOptionError,
} from '@gradkit/core';
import { describe, expect, it } from 'vitest';
import {
  constant,
  cosineDecay,
  exponentialDecay,
  inverseTimeDecay,
  joinSchedules,
  linearWarmup,
  oneCycle,
  piecewiseConstant,
  polynomialDecay,
  reduceOnPlateau,
  stepDecay,
  warmupCosineDecay,
} from './index.js';
import { valuesOf } from './test-utils.js';

/** One schedule of every kind, with options off their defaults where they have some. */
const SCHEDULES: Record<string, () => Schedule> = {
  constant: () => constant(0.3),
  cosineDecay: () => cosineDecay({ initial: 0.1, decaySteps: 50, final: 0.01 }),
  exponentialDecay: () => exponentialDecay({ initial: 0.1, gamma: 0.9, decaySteps: 7, staircase: true }),
  inverseTimeDecay: () => inverseTimeDecay({ initial: 0.2, decayRate: 0.5, decaySteps: 3 }),
  linearWarmup: () => linearWarmup({ initial: 0.01, peak: 0.1, warmupSteps: 20 }),
  oneCycle: () => oneCycle({ maxValue: 0.5, totalSteps: 80, pctStart: 0.25, divFactor: 10, finalDivFactor: 100 }),
  piecewiseConstant: () => piecewiseConstant({ boundaries: [10, 40], values: [0.1, 0.05, 0.01] }),
  polynomialDecay: () => polynomialDecay({ initial: 0.1, final: 0.001, decaySteps: 60, power: 2 }),
  stepDecay: () => stepDecay({ initial: 0.1, stepSize: 15, gamma: 0.5 }),
  warmupCosineDecay: () => warmupCosineDecay({ initial: 0, peak: 0.1, warmupSteps: 10, decaySteps: 70, final: 0.001 }),
  joinSchedules: () =>
    joinSchedules([linearWarmup({ peak: 0.1, warmupSteps: 10 }), joinSchedules([constant(0.1), cosineDecay({ initial: 0.1, decaySteps: 40 })], [5])], [10]),
};

describe('schedule configs: every schedule carries the JSON that rebuilds it', () => {
  it('every schedule name is registered (builtinOf @gradkit/schedules), and reduceOnPlateau as a transformation', () => {
    expect(registeredNames('schedule')).toEqual(expect.arrayContaining(Object.keys(SCHEDULES)));
    expect(registeredNames('transformation')).toContain('reduceOnPlateau');
  });

  for (const [name, make] of Object.entries(SCHEDULES)) {
    it(`${name}: scheduleFromConfig(JSON of scheduleConfigOf(s)) gives the same value at steps 0 … 119`, () => {
      const s = make();
      const config = scheduleConfigOf(s);
      expect(config?.schedule).toBe(name);
      const rebuilt = scheduleFromConfig(JSON.parse(JSON.stringify(config)));
      expect(valuesOf(rebuilt, 120)).toEqual(valuesOf(s, 120));
      expect(scheduleConfigOf(rebuilt)).toEqual(config);
    });
  }

  it('configs hold every option, defaults filled in (a saved config rebuilds the same schedule if a default changes)', () => {
    expect(scheduleConfigOf(cosineDecay({ initial: 0.1, decaySteps: 100 }))).toEqual({ schedule: 'cosineDecay', initial: 0.1, decaySteps: 100, final: 0 });
    expect(scheduleConfigOf(constant(0.5))).toEqual({ schedule: 'constant', value: 0.5 });
    expect(scheduleConfigOf(joinSchedules([constant(1), constant(2)], [3]))).toEqual({
      schedule: 'joinSchedules',
      schedules: [
        { schedule: 'constant', value: 1 },
        { schedule: 'constant', value: 2 },
      ],
      boundaries: [3],
    });
  });

  it('a config cannot be edited into the schedule: it is frozen, and piecewiseConstant keeps its own copy of the values', () => {
    const values = [0.1, 0.01];
    const s = piecewiseConstant({ boundaries: [5], values });
    values[0] = 9;
    expect(s(0)).toBe(0.1);
    const config = scheduleConfigOf(s) as unknown as { values: number[] };
    expect(Object.isFrozen(config)).toBe(true);
    config.values[0] = 7;
    expect(s(0)).toBe(0.1);
  });

  it('joinSchedules with a part of your own has no config, and writing it out is an error naming the option', () => {
    const mine = (t: number) => 0.1 / (1 + t);
    const joined = joinSchedules([constant(0.1), mine], [10]);
    expect(scheduleConfigOf(joined)).toBeUndefined();
    const tx = reduceOnPlateau();
    expect(() => transformationToConfig({ ...tx, options: { ...tx.options, factor: joined as never } })).toThrow(HyperParameterError);
  });

  it('configs with unknown keys are rejected, PyTorch spellings suggested', () => {
    const unknown = (config: object, field: string, hint: RegExp) => {
      let error: unknown;
      try {
        scheduleFromConfig(config as never);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(UnknownOptionError);
      expect((error as UnknownOptionError).field).toBe(field);
      expect((error as Error).message).toMatch(hint);
    };
    unknown({ schedule: 'cosineDecay', initial: 0.1, T_max: 100 }, 'T_max', /did you mean 'decaySteps'/);
    unknown({ schedule: 'oneCycle', max_lr: 0.1, totalSteps: 100 }, 'max_lr', /did you mean 'maxValue'/);
    unknown({ schedule: 'constant', value: 0.1, extra: 1 }, 'extra', /valid options: value/);
    unknown({ schedule: 'joinSchedules', schedules: [], boundaries: [], milestones: [] }, 'milestones', /valid options: schedules, boundaries/);
  });

  it('reduceOnPlateau round-trips through transformationToConfig / transformationFromConfig, on included', () => {
    const tx = reduceOnPlateau({ on: 'metric', factor: 0.5, patience: 3, cooldown: 1, mode: 'max', threshold: 0.01, thresholdMode: 'abs', minScale: 0.01 });
    const config = JSON.parse(JSON.stringify(transformationToConfig(tx)));
    expect(config).toEqual({ name: 'reduceOnPlateau', ...tx.options });
    const back = transformationFromConfig(config);
    expect(back.name).toBe('reduceOnPlateau');
    expect(back.options).toEqual(tx.options);
    expect(() => transformationFromConfig({ name: 'reduceOnPlateau', min_lr: 1e-4 })).toThrow(/did you mean minScale/);
  });
});
