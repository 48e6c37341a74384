// The doctor's optimizer: which kind and rate the probe fit trains with (the model's compiled
// optimizer's, the options', or the defaults), and a fresh optimizer of that kind for every fit, so
// that the model's own optimizer (and its state) is never touched and the baseline and each remedy
// start alike.
import { describeValue, type GradientTransformation, HyperParameterError, suggestOption } from '@gradkit/core';
import { adadelta, adagrad, adam, adamax, rmsprop, sgd, toTfOptimizer } from '@gradkit/optimizers';
import * as tf from '@tensorflow/tfjs-core';
import type { DoctorSettings } from './doctor-types.js';
import { learningRateOfOptimizer } from './layers-facts.js';

/** The optimizer kinds the doctor takes by name (tfjs's `tf.train.*` names). */
export const OPTIMIZER_NAMES: readonly string[] = ['sgd', 'momentum', 'adam', 'rmsprop', 'adagrad', 'adadelta', 'adamax'];

/** tf.train optimizers' class names → the doctor's kind. */
const KIND_OF_CLASS: Readonly<Record<string, string>> = {
  SGD: 'sgd',
  Momentum: 'momentum',
  Adam: 'adam',
  RMSProp: 'rmsprop',
  Adagrad: 'adagrad',
  Adadelta: 'adadelta',
  Adamax: 'adamax',
};

/** The momentum of `momentum` (tf.train.momentum needs one; Keras' and PyTorch's usual 0.9). */
const MOMENTUM = 0.9;
/** tf.train's ε (tfjs's backend epsilon). */
const TF_EPSILON = 1e-7;

/** Throws a HyperParameterError naming `optimizer` unless `name` is one of `OPTIMIZER_NAMES`. */
export function checkOptimizerName(name: unknown): string {
  if (typeof name === 'string' && OPTIMIZER_NAMES.includes(name)) return name;
  const hint = typeof name === 'string' ? suggestOption(name.toLowerCase(), OPTIMIZER_NAMES) : undefined;
  throw new HyperParameterError(
    'optimizer',
    `optimizer must be one of ${OPTIMIZER_NAMES.join(', ')} (tf.train's names), got ${describeValue(name)}${hint ? ` (did you mean '${hint.key}'?)` : ''}`,
  );
}

/** The default rate of a kind: 1e-2 for sgd and momentum, 1e-3 otherwise (tf.train's adam and rmsprop defaults). */
const defaultRate = (kind: string) => (kind === 'sgd' || kind === 'momentum' ? 1e-2 : 1e-3);

/**
 * The optimizer settings of a probe fit: `name`/`learningRate` when given, else the compiled
 * optimizer's kind and rate (`compiled`: `model.optimizer` of a tfjs-layers model), else adam at 1e-3
 * (1e-2 for sgd). The source is `option` when the kind or the rate was given.
 */
export function resolveOptimizer(
  compiled: tf.Optimizer | null | undefined,
  name: string | undefined,
  learningRate: number | undefined,
): DoctorSettings['optimizer'] {
  let className = '';
  try {
    className = compiled ? compiled.getClassName() : '';
  } catch {
    className = '';
  }
  const compiledKind = KIND_OF_CLASS[className];
  const kind = name ?? compiledKind ?? 'adam';
  const compiledRate = compiledKind !== undefined && compiledKind === kind && compiled ? learningRateOfOptimizer(compiled) : undefined;
  const rate = learningRate ?? compiledRate ?? defaultRate(kind);
  const source = name !== undefined || learningRate !== undefined ? 'option' : compiledKind !== undefined ? 'compiled' : 'default';
  return { value: kind, learningRate: rate, source };
}

/** A fresh tf.train optimizer of the settings' kind and rate, for compiling a remedied model to save (`savableOptimizer`); the caller disposes it. */
export function tfOptimizerFor(settings: DoctorSettings['optimizer']): tf.Optimizer {
  const lr = settings.learningRate;
  switch (checkOptimizerName(settings.value)) {
    case 'sgd':
      return tf.train.sgd(lr);
    case 'momentum':
      return tf.train.momentum(lr, MOMENTUM);
    case 'rmsprop':
      return tf.train.rmsprop(lr);
    case 'adagrad':
      return tf.train.adagrad(lr);
    case 'adadelta':
      return tf.train.adadelta(lr);
    case 'adamax':
      return tf.train.adamax(lr);
    default:
      return tf.train.adam(lr);
  }
}

/**
 * The gradkit transformation of the doctor's optimizer with tf.train's defaults (Adam, Adamax and
 * RMSProp's ε = 1e-7, RMSProp's decay 0.9, Adagrad's initial accumulator 0.1, Adadelta's ρ = 0.95),
 * so that it trains as the model's compiled tf.train optimizer does.
 */
export function transformationFor(settings: DoctorSettings['optimizer']): GradientTransformation {
  const learningRate = settings.learningRate;
  switch (checkOptimizerName(settings.value)) {
    case 'sgd':
      return sgd({ learningRate });
    case 'momentum':
      return sgd({ learningRate, momentum: MOMENTUM });
    case 'rmsprop':
      return rmsprop({ learningRate, alpha: 0.9, epsilon: TF_EPSILON });
    case 'adagrad':
      return adagrad({ learningRate, initialAccumulatorValue: 0.1, epsilon: TF_EPSILON });
    case 'adadelta':
      return adadelta({ learningRate, rho: 0.95, epsilon: TF_EPSILON });
    case 'adamax':
      return adamax({ learningRate, epsilon: TF_EPSILON });
    default:
      return adam({ learningRate, epsilon: TF_EPSILON });
  }
}

/**
 * The optimizer every probe fit of a tfjs-layers model trains with, the baseline's and each
 * remedy's alike: gradkit's transformation (`transformationFor`, or a remedy's chain around it) as a
 * tf.Optimizer (`toTfOptimizer`). One implementation for all trials, so that a remedy that changes
 * nothing (a guard that never fires) measures exactly the baseline's loss.
 */
export function trialOptimizer(transformation: GradientTransformation): tf.Optimizer {
  return toTfOptimizer(transformation);
}
