import './builtins.js';
import './kernels/register.js';

export { type AccumulateState, accumulate } from './accumulate.js';
export { type AdabeliefOptions, type AdabeliefState, adabelief, type ResolvedAdabeliefOptions } from './adabelief.js';
export { type AdadeltaOptions, type AdadeltaState, adadelta, type ResolvedAdadeltaOptions } from './adadelta.js';
export { type AdafactorOptions, type AdafactorState, adafactor, factoredDims, type ResolvedAdafactorOptions } from './adafactor.js';
export { type AdagradOptions, type AdagradState, adagrad, type ResolvedAdagradOptions } from './adagrad.js';
export { type AdamOptions, type AdamState, adam, type ResolvedAdamOptions } from './adam.js';
export { type AdamaxOptions, type AdamaxState, adamax, type ResolvedAdamaxOptions } from './adamax.js';
export { adamw } from './adamw.js';
export { type AddDecayedWeightsState, addDecayedWeights, type ResolvedAddDecayedWeightsOptions, type WeightDecayMask } from './add-decayed-weights.js';
export {
  type AdemamixOptions,
  type AdemamixState,
  type AdemamixWarmupOptions,
  ademamix,
  ademamixWarmup,
  type ResolvedAdemamixOptions,
} from './ademamix.js';
export { type AdoptOptions, type AdoptState, adopt, type ResolvedAdoptOptions } from './adopt.js';
export { type CautiousState, cautious, type ResolvedCautiousOptions } from './cautious.js';
export {
  type DefinedOptions,
  type DefinedState,
  defineOptimizer,
  type NumericDefaults,
  type OptimizerDefinition,
  type OptimizerStepContext,
} from './define-optimizer.js';
export { type EmaParamsOptions, type EmaParamsState, emaParams, type ResolvedEmaParamsOptions } from './ema-params.js';
export { type LambOptions, type LambState, lamb, type ResolvedLambOptions } from './lamb.js';
export { type LarsOptions, type LarsState, lars, type ResolvedLarsOptions } from './lars.js';
export { type LionOptions, type LionState, lion, type ResolvedLionOptions } from './lion.js';
export { type LookaheadOptions, type LookaheadState, lookahead, type ResolvedLookaheadOptions } from './lookahead.js';
export { type Mask, type MaskedState, masked } from './masked.js';
export {
  type MuonAdjustLr,
  type MuonMatrixState,
  type MuonOptions,
  type MuonState,
  muon,
  type ResolvedMuonMatrixOptions,
  type ResolvedMuonOptions,
} from './muon.js';
export { type NadamOptions, type NadamState, nadam, type ResolvedNadamOptions } from './nadam.js';
export { type NewtonSchulzOptions, newtonSchulz } from './newton-schulz.js';
export { type ProdigyOptions, type ProdigyState, prodigy, type ResolvedProdigyOptions } from './prodigy.js';
export { type RadamOptions, type RadamState, type ResolvedRadamOptions, radam } from './radam.js';
export { type OptimizerFactory, optimizerFromConfig, optimizerNames, optimizerToConfig, registerOptimizer } from './registry.js';
export { type ResolvedRmspropOptions, type RmspropOptions, type RmspropState, rmsprop } from './rmsprop.js';
export { type ScaleOptions, type ScaleState, scale } from './scale.js';
export { type ResolvedScaleByAdamOptions, type ScaleByAdamOptions, type ScaleByAdamState, scaleByAdam } from './scale-by-adam.js';
export {
  type ResolvedScaleByLearningRateOptions,
  type ScaleByLearningRateOptions,
  type ScaleByLearningRateState,
  scaleByLearningRate,
} from './scale-by-learning-rate.js';
export {
  type ResolvedScheduleFreeAdamWOptions,
  type ScheduleFreeAdamWOptions,
  type ScheduleFreeAdamWState,
  scheduleFreeAdamW,
} from './schedule-free-adamw.js';
export { type ResolvedScheduleFreeSgdOptions, type ScheduleFreeSgdOptions, type ScheduleFreeSgdState, scheduleFreeSgd } from './schedule-free-sgd.js';
export { type ResolvedSgdOptions, type SgdOptions, type SgdState, sgd } from './sgd.js';
export { TransformOptimizer, toTfOptimizer } from './tf-optimizer.js';
export { type ResolvedTraceOptions, type TraceOptions, type TraceState, trace } from './trace.js';
