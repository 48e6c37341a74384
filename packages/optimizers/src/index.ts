import './kernels/register.js';

export { type ResolvedSgdOptions, type SgdOptions, type SgdState, sgd } from './sgd.js';
export { type AccumulateState, accumulate } from './accumulate.js';
export { type DefinedOptions, type DefinedState, defineOptimizer, type NumericDefaults, type OptimizerDefinition, type OptimizerStepContext } from './define-optimizer.js';
export { type Mask, type MaskedState, masked } from './masked.js';
export { type OptimizerFactory, optimizerFromConfig, optimizerNames, registerOptimizer } from './registry.js';
export { TransformOptimizer, toTfOptimizer } from './tf-optimizer.js';
