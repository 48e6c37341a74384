import { checkOptions, HyperParameterError } from '@gradkit/core';
import { checkInteger, checkNumber, orDefault } from './validate.js';

/** Options of `fitSteps`: the `model.fit` arguments that decide how many optimizer steps it takes. @example `{ samples: 60000, batchSize: 64, epochs: 10, validationSplit: 0.1 }` */
export interface FitStepsOptions {
  /** Samples given to `model.fit` (the first dimension of `x`), the validation split included (an integer ≥ 1). */
  readonly samples: number;
  /** `model.fit`'s `batchSize` (an integer ≥ 1; default 32, as tfjs). */
  readonly batchSize?: number;
  /** `model.fit`'s `epochs` (an integer ≥ 1; default 1, as tfjs). */
  readonly epochs?: number;
  /** `model.fit`'s `validationSplit` (in [0, 1); default 0). Leave it out when you pass `validationData`, which tfjs uses instead. */
  readonly validationSplit?: number;
  /** `model.fit`'s `initialEpoch` (an integer in [0, epochs); default 0): a resumed fit runs epochs − initialEpoch epochs. */
  readonly initialEpoch?: number;
}

/**
 * The number of optimizer steps a tfjs-layers `model.fit(x, y, { batchSize, epochs, validationSplit,
 * initialEpoch })` takes, for schedules that need the total (`cosineDecay`'s `decaySteps`,
 * `oneCycle`'s `totalSteps` …): (epochs − initialEpoch) · ⌈trainSamples / batchSize⌉, with
 * trainSamples = ⌊samples · (1 − validationSplit)⌋ computed in float64 exactly as tfjs-layers does.
 *
 * tfjs-layers 4.22, `LayersModel.fit` (src/engine/training.ts; dist/engine/training.js in the package): `splitAt = Math.floor(inputs[0].shape[0]
 * * (1 - args.validationSplit))` samples are trained on when 0 < validationSplit < 1; `fitLoop` runs
 * epochs `initialEpoch … epochs − 1`, each over `makeBatches(numTrainSamples, batchSize)`
 * (training_tensors.ts: batches of `batchSize`, the last one shorter), one optimizer step per batch.
 * The floor is taken of the float64 product, so 90 samples with `validationSplit: 0.3` train on 62
 * (90 · 0.7 = 62.99999999999999), not 63. PyTorch has no `fit`; its `OneCycleLR(epochs,
 * steps_per_epoch)` multiplies the same way.
 *
 * @throws UnknownOptionError for another option (`batch_size` suggests `batchSize`,
 *   `validation_split` `validationSplit`); HyperParameterError naming the field: `samples`,
 *   `batchSize` or `epochs` not an integer ≥ 1, `validationSplit` outside [0, 1) or leaving no
 *   training sample, `initialEpoch` not an integer in [0, epochs).
 * @example
 * ```ts
 * const totalSteps = fitSteps({ samples: xs.shape[0], batchSize: 64, epochs: 10, validationSplit: 0.1 });
 * model.compile({ optimizer: toTfOptimizer(adamw({ learningRate: oneCycle({ maxValue: 1e-3, totalSteps }) })), loss: 'categoricalCrossentropy' });
 * await model.fit(xs, ys, { batchSize: 64, epochs: 10, validationSplit: 0.1 });
 * ```
 */
export function fitSteps(options: FitStepsOptions): number {
  checkOptions('fitSteps', options, ['samples', 'batchSize', 'epochs', 'validationSplit', 'initialEpoch'], {
    example: 'fitSteps({ samples: 60000, batchSize: 64, epochs: 10 })',
    required: true,
  });
  const samples = checkInteger('samples', options.samples, 1);
  const batchSize = checkInteger('batchSize', orDefault(options.batchSize, 32), 1);
  const epochs = checkInteger('epochs', orDefault(options.epochs, 1), 1);
  const validationSplit = checkNumber('validationSplit', orDefault(options.validationSplit, 0), { min: 0, max: 1, maxExclusive: true });
  const initialEpoch = checkInteger('initialEpoch', orDefault(options.initialEpoch, 0), 0);
  if (initialEpoch >= epochs)
    throw new HyperParameterError('initialEpoch', `initialEpoch must be less than epochs (${epochs}): model.fit would run no epoch, got ${initialEpoch}`);
  // tfjs-layers: `Math.floor(inputs[0].shape[0] * (1 - args.validationSplit))`, only for 0 < split < 1.
  const trainSamples = validationSplit > 0 ? Math.floor(samples * (1 - validationSplit)) : samples;
  if (trainSamples === 0)
    throw new HyperParameterError(
      'validationSplit',
      `validationSplit ${validationSplit} of ${samples} samples leaves no sample to train on (tfjs keeps ⌊samples · (1 − validationSplit)⌋ = 0): lower it or pass more samples`,
    );
  const steps = (epochs - initialEpoch) * Math.ceil(trainSamples / batchSize);
  if (!Number.isSafeInteger(steps)) throw new HyperParameterError('samples', `fitSteps: ${steps} steps is beyond the integers a number holds exactly`);
  return steps;
}
