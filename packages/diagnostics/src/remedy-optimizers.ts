// The doctor's optimizer (a tfjs name and a rate: `DoctorSettings.optimizer`, built by
// doctor-optimizer.ts) spelled as code for the remedies' `code`: gradkit's call and tfjs's.
import { OPTIMIZER_NAMES } from './doctor-optimizer.js';

const GRADKIT: Readonly<Record<string, (lr: string) => string>> = {
  sgd: (lr) => `sgd({ learningRate: ${lr} })`,
  momentum: (lr) => `sgd({ learningRate: ${lr}, momentum: 0.9 })`,
  adam: (lr) => `adam({ learningRate: ${lr} })`,
  adamax: (lr) => `adamax({ learningRate: ${lr} })`,
  rmsprop: (lr) => `rmsprop({ learningRate: ${lr} })`,
  adagrad: (lr) => `adagrad({ learningRate: ${lr} })`,
  adadelta: (lr) => `adadelta({ learningRate: ${lr} })`,
};

/** Whether `name` is one of the doctor's optimizer kinds. */
export const isOptimizerName = (name: string): boolean => OPTIMIZER_NAMES.includes(name);

/** The gradkit call as text (`adam({ learningRate: 0.001 })`), the rate written as given; `yourOptimizer` for an unknown kind. */
export function gradkitCallOf(name: string, learningRate: string): string {
  return isOptimizerName(name) ? (GRADKIT[name] as (lr: string) => string)(learningRate) : 'yourOptimizer';
}

/** The tfjs call as text (`tf.train.adam(0.001)`; momentum's 0.9 as doctor-optimizer.ts gives it). */
export function tfCallOf(name: string, learningRate: string): string {
  return name === 'momentum' ? `tf.train.momentum(${learningRate}, 0.9)` : `tf.train.${name}(${learningRate})`;
}

/** A number for code and titles: at most 4 significant digits. */
export function numberText(x: number): string {
  return String(Number(x.toPrecision(4)));
}
