// Registers every built-in transformation of this package by name in core's config registry, for
// optimizerFromConfig / transformationFromConfig ({ name, ...options }) and optimizerToConfig: the
// optimizers (which take one options object) and the building blocks (whose positional arguments
// are named by their `options` keys).
import { checkOptions, type GradientTransformation, type HyperParam, registerTransformation } from '@gradkit/core';
import { accumulate } from './accumulate.js';
import { adabelief } from './adabelief.js';
import { adadelta } from './adadelta.js';
import { adafactor } from './adafactor.js';
import { adagrad } from './adagrad.js';
import { adam } from './adam.js';
import { adamax } from './adamax.js';
import { adamw } from './adamw.js';
import { addDecayedWeights, type WeightDecayMask } from './add-decayed-weights.js';
import { ademamix } from './ademamix.js';
import { adopt } from './adopt.js';
import { cautious } from './cautious.js';
import { type EmaParamsOptions, emaParams } from './ema-params.js';
import { lamb } from './lamb.js';
import { lars } from './lars.js';
import { lion } from './lion.js';
import { type LookaheadOptions, lookahead } from './lookahead.js';
import { type Mask, masked } from './masked.js';
import { muon } from './muon.js';
import { nadam } from './nadam.js';
import { prodigy } from './prodigy.js';
import { radam } from './radam.js';
import { registerOptimizer } from './registry.js';
import { rmsprop } from './rmsprop.js';
import { scale } from './scale.js';
import { scaleByAdam } from './scale-by-adam.js';
import { scaleByLearningRate } from './scale-by-learning-rate.js';
import { scheduleFreeAdamW } from './schedule-free-adamw.js';
import { scheduleFreeSgd } from './schedule-free-sgd.js';
import { sgd } from './sgd.js';
import { trace } from './trace.js';

const BUILTIN = { builtinOf: '@gradkit/optimizers' } as const;

const optimizers: Record<string, (options: never) => GradientTransformation> = {
  adabelief,
  adadelta,
  adafactor,
  adagrad,
  adam,
  adamax,
  adamw,
  ademamix,
  adopt,
  lamb,
  lars,
  lion,
  muon,
  nadam,
  prodigy,
  radam,
  rmsprop,
  scheduleFreeAdamW,
  scheduleFreeSgd,
  sgd,
};
/** The names of the built-in optimizers (not the building blocks), as registered here. */
export const BUILTIN_OPTIMIZERS: readonly string[] = Object.keys(optimizers);

for (const [name, factory] of Object.entries(optimizers)) registerOptimizer(name, factory as (options: object) => GradientTransformation, BUILTIN);

/** A building block built from its config's options: exactly `keys`, checked strictly, then spread onto its arguments. */
function block(
  name: string,
  keys: readonly string[],
  example: string,
  build: (o: Record<string, unknown>) => GradientTransformation,
  dataKeys: readonly string[] = [],
): void {
  registerTransformation(name, (o) => build(checkOptions(name, o, keys, { example, required: true })), { ...BUILTIN, dataKeys });
}

block('scale', ['factor'], "{ name: 'scale', factor: -0.1 }", (o) => scale(o.factor as HyperParam));
block('scaleByAdam', ['beta1', 'beta2', 'epsilon', 'epsilonRoot', 'amsgrad'], "{ name: 'scaleByAdam', beta2: 0.99 }", (o) => scaleByAdam(o));
block('scaleByLearningRate', ['learningRate', 'flipSign'], "{ name: 'scaleByLearningRate', learningRate: 0.1 }", ({ learningRate, ...rest }) =>
  scaleByLearningRate(learningRate as HyperParam, rest),
);
block('trace', ['decay', 'nesterov'], "{ name: 'trace', decay: 0.9 }", (o) => trace(o as { decay: HyperParam }));
block(
  'addDecayedWeights',
  ['weightDecay', 'mask'],
  "{ name: 'addDecayedWeights', weightDecay: 1e-4 }",
  (o) => addDecayedWeights(o.weightDecay as HyperParam, (o.mask ?? undefined) as WeightDecayMask | undefined),
  ['mask'],
);
block('accumulate', ['k', 'inner'], "{ name: 'accumulate', k: 4, inner: { name: 'adam' } }", (o) =>
  accumulate(o.k as number, o.inner as GradientTransformation),
);
block(
  'masked',
  ['inner', 'mask'],
  "{ name: 'masked', inner: { name: 'addDecayedWeights', weightDecay: 1e-4 }, mask: { w: true, b: false } }",
  (o) => masked(o.inner as GradientTransformation, o.mask as Mask),
  ['mask'],
);

// Wrappers: `inner` is a nested config ({ name: 'adam', … }), the other keys the wrapper's options.
block('cautious', ['inner'], "{ name: 'cautious', inner: { name: 'lion', learningRate: 1e-4 } }", (o) => cautious(o.inner as GradientTransformation));
block(
  'lookahead',
  ['inner', 'syncPeriod', 'slowStepSize'],
  "{ name: 'lookahead', inner: { name: 'adam' }, syncPeriod: 6, slowStepSize: 0.5 }",
  ({ inner, ...rest }) => lookahead(inner as GradientTransformation, rest as LookaheadOptions),
);
block('emaParams', ['inner', 'decay', 'debias'], "{ name: 'emaParams', inner: { name: 'adamw' }, decay: 0.999 }", ({ inner, ...rest }) =>
  emaParams(inner as GradientTransformation, rest as EmaParamsOptions),
);
