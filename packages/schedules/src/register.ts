// Registers every schedule for configs (`scheduleFromConfig`, `{ schedule: 'cosineDecay', … }` as a
// hyper-parameter in `transformationFromConfig`), and reduceOnPlateau as a transformation. Each
// schedule carries the config that rebuilds it (`scheduleConfigOf`).
import { checkOptions, registerSchedule, registerTransformation, type Schedule, type ScheduleFactory } from '@gradkit/core';
import { constant } from './constant.js';
import { cosineDecay } from './cosine-decay.js';
import { exponentialDecay } from './exponential-decay.js';
import { inverseTimeDecay } from './inverse-time-decay.js';
import { joinSchedules } from './join-schedules.js';
import { linearWarmup } from './linear-warmup.js';
import { oneCycle } from './one-cycle.js';
import { piecewiseConstant } from './piecewise-constant.js';
import { polynomialDecay } from './polynomial-decay.js';
import { type ReduceOnPlateauOptions, reduceOnPlateau } from './reduce-on-plateau.js';
import { stepDecay } from './step-decay.js';
import { warmupCosineDecay } from './warmup-cosine-decay.js';

const BUILTIN = { builtinOf: '@gradkit/schedules' } as const;

/** Schedules that take one options object: the config's options are that object (each checks its own keys). */
const WITH_OPTIONS: Record<string, (options: never) => Schedule> = {
  cosineDecay,
  exponentialDecay,
  inverseTimeDecay,
  linearWarmup,
  oneCycle,
  piecewiseConstant,
  polynomialDecay,
  stepDecay,
  warmupCosineDecay,
};
for (const [name, make] of Object.entries(WITH_OPTIONS)) registerSchedule(name, ((o) => make(o as never)) as ScheduleFactory, BUILTIN);

registerSchedule(
  'constant',
  (o) => constant(checkOptions('constant config', o, ['value'], { example: "{ schedule: 'constant', value: 0.1 }", required: true }).value as number),
  BUILTIN,
);
registerSchedule(
  'joinSchedules',
  (o) => {
    const { schedules, boundaries } = checkOptions('joinSchedules config', o, ['schedules', 'boundaries'], {
      example:
        "{ schedule: 'joinSchedules', schedules: [{ schedule: 'constant', value: 0.1 }, { schedule: 'cosineDecay', initial: 0.1, decaySteps: 900 }], boundaries: [100] }",
      required: true,
    });
    return joinSchedules(schedules as Schedule[], boundaries as number[]);
  },
  BUILTIN,
);
registerTransformation('reduceOnPlateau', (o) => reduceOnPlateau(o as ReduceOnPlateauOptions), BUILTIN);
