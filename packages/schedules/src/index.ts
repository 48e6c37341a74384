import './register.js';

export type { Schedule } from '@gradkit/core';
export { constant } from './constant.js';
export { type CosineDecayOptions, cosineDecay } from './cosine-decay.js';
export { type ExponentialDecayOptions, exponentialDecay } from './exponential-decay.js';
export { type FitStepsOptions, fitSteps } from './fit-steps.js';
export { type InverseTimeDecayOptions, inverseTimeDecay } from './inverse-time-decay.js';
export { joinSchedules } from './join-schedules.js';
export { type LinearWarmupOptions, linearWarmup } from './linear-warmup.js';
export { type OneCycleOptions, oneCycle } from './one-cycle.js';
export { type PiecewiseConstantOptions, piecewiseConstant } from './piecewise-constant.js';
export { type PolynomialDecayOptions, polynomialDecay } from './polynomial-decay.js';
export {
  type ReduceOnPlateauOptions,
  type ReduceOnPlateauState,
  type ResolvedReduceOnPlateauOptions,
  reduceOnPlateau,
} from './reduce-on-plateau.js';
export { type StepDecayOptions, stepDecay } from './step-decay.js';
export { type WarmupCosineDecayOptions, warmupCosineDecay } from './warmup-cosine-decay.js';
