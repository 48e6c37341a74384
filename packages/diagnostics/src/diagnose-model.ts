// diagnoseModel: the doctor's diagnosis of a user's model on the user's data, from a short probe fit
// on a copy (a tfjs-layers model) or from the module's own variables put back afterwards (gradkit).
import { flatten, ValueError } from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import { hessianTopEigenvalue } from './curvature.js';
import { checkDiagnoseInput } from './doctor-checks.js';
import { transformationFor, trialOptimizer } from './doctor-optimizer.js';
import type {
  CurvatureEstimate,
  DiagnoseOptions,
  DoctorData,
  DoctorSettings,
  DoctorTarget,
  GradkitModelTarget,
  LayersModelLike,
  ModelDiagnosis,
} from './doctor-types.js';
import { edgeOfStabilityFinding } from './edge-of-stability.js';
import { copyLayersModel } from './layers-model.js';
import { compiledLossOf, isGradkitTarget, type ProbeFitResult, probeFit, snapshot } from './probe-fit.js';
import { headOf } from './probe-fit-data.js';
import { remedyActions } from './remedy-actions.js';
import { sortFindings } from './rules.js';

/** Samples of the batch the curvature is measured on (the first ones of the data). */
const CURVATURE_SAMPLES = 256;

/** The curvature, or nothing when the loss is not finite at the weights (the fit then says `nonfinite`). */
async function curvatureOrNothing(measure: () => Promise<CurvatureEstimate>): Promise<CurvatureEstimate | undefined> {
  try {
    return await measure();
  } catch (e) {
    if (e instanceof ValueError && e.what === 'loss') return undefined;
    throw e;
  }
}

/**
 * Diagnoses a model on the user's data: a short probe fit from the model's current weights, with the
 * full diagnostics, and the remedies as code that apply to it.
 *
 * How: the settings are resolved (`settings` says where each came from: the loss by `resolveLoss`,
 * the optimizer and rate from the options, else the model's compiled optimizer, else adam at 1e-3),
 * then a tfjs-layers model is copied (`copyLayersModel`: the same classes, config and weights),
 * compiled with that loss and a fresh optimizer of that kind and rate (gradkit's, with tf.train's
 * defaults, through `toTfOptimizer`: the one every trial of `tryRemedies` uses), probe-fit for `budget`
 * steps (`probeFit`: seeded batches, a GradientMonitor report every `every` steps with the layers'
 * activations on a probe batch, ‖∂L/∂xₜ‖ per time step for recurrent models with a
 * `[batch, time, features]` input), and disposed. A gradkit `{ module, loss }` target is trained in
 * place by core's Optimizer with the gradkit transformation of that kind and rate, and its parameters
 * and buffers are put back to their values at the start. Either way the model passed in is not
 * changed: weights, compiled loss and optimizer (its state included) are as they were.
 *
 * The verdict is the fit's (see `probeFit`: non-finite if any step is, else the majority verdict of
 * the later half of the reports; a fit stuck at the best constant prediction's loss while the gradient
 * decays 100× from the last weight layer to the first is vanishing, with a `noProgress` finding). With `curvature: true`, the top Hessian eigenvalue λmax of the loss
 * on the first 256 samples at the initial weights (`hessianTopEigenvalue`) and the edge-of-stability
 * ratio η·λmax/2 (Cohen et al. 2021) are added, and the `edgeOfStability` finding of
 * `edgeOfStabilityFinding` when the ratio is above 1 for plain SGD (a warning: the verdict stays the
 * fit's). `remedies` are `remedyActions(target, diagnosis)`.
 *
 * No PyTorch/Keras equivalent: the closest are Cockpit's and W&B's gradient panels, which show the
 * statistics of a run but do not run one.
 *
 * @throws HyperParameterError / UnknownOptionError for bad options (an unknown key, a bad budget,
 *   rate, optimizer or loss name …); ValueError naming `data.x` / `data.y` for data that does not fit
 *   the model (sample counts, shapes, NaN or Infinity), `target` for a model it cannot take; all
 *   before anything runs. A fit that turns NaN is a `nonfinite` diagnosis, not an error.
 * @example
 * ```ts
 * const d = await diagnoseModel(model, { data: { x, y }, budget: 100 });
 * console.log(d.verdict, d.findings.map((f) => f.kind), d.initialLoss, '→', d.finalLoss);
 * ```
 */
export async function diagnoseModel(target: DoctorTarget, options: DiagnoseOptions): Promise<ModelDiagnosis> {
  const { settings, data, curvature, onProgress } = await checkDiagnoseInput(target, options);
  const measured = curvature ? await curvatureOrNothing(() => curvatureOf(target, settings, data, onProgress)) : undefined;
  const fit = isGradkitTarget(target)
    ? await probeFit({ target, optimizer: transformationFor(settings.optimizer), settings, data, phase: 'baseline', ...(onProgress ? { onProgress } : {}) })
    : await fitLayersCopy(target, settings, data, onProgress);
  const edge =
    measured !== undefined && Number.isFinite(measured.lambdaMax)
      ? edgeOfStabilityFinding(measured.lambdaMax, settings.optimizer.learningRate, settings.optimizer.value)
      : undefined;
  const diagnosis: Omit<ModelDiagnosis, 'remedies'> = {
    verdict: fit.verdict,
    findings: edge === undefined ? fit.findings : sortFindings([...fit.findings, edge]),
    reports: fit.reports,
    losses: fit.losses,
    initialLoss: fit.initialLoss,
    finalLoss: fit.finalLoss,
    spikes: fit.spikes,
    ...(measured === undefined ? {} : { curvature: measured }),
    settings,
  };
  return { ...diagnosis, remedies: remedyActions(target, diagnosis) };
}

/** The probe fit of a copy of a tfjs-layers model, with a fresh optimizer; both disposed after. */
async function fitLayersCopy(
  model: LayersModelLike,
  settings: DoctorSettings,
  data: DoctorData,
  onProgress: DiagnoseOptions['onProgress'],
): Promise<ProbeFitResult> {
  const copy = copyLayersModel(model);
  const optimizer = trialOptimizer(transformationFor(settings.optimizer));
  try {
    return await probeFit({ target: copy, optimizer, settings, data, phase: 'baseline', ...(onProgress ? { onProgress } : {}) });
  } finally {
    optimizer.dispose();
    copy.dispose();
  }
}

/**
 * λmax of the loss on the first 256 samples at the model's current weights (on a copy of a tfjs-layers
 * model; on a gradkit module's own variables, put back afterwards), and η·λmax/2.
 */
async function curvatureOf(
  target: DoctorTarget,
  settings: DoctorSettings,
  data: DoctorData,
  onProgress: DiagnoseOptions['onProgress'],
): Promise<CurvatureEstimate> {
  onProgress?.({ phase: 'curvature', step: 0, total: 1 });
  const batch = headOf(data, CURVATURE_SAMPLES);
  try {
    const result = isGradkitTarget(target) ? await gradkitCurvature(target, batch) : await layersCurvature(target, settings, batch);
    onProgress?.({ phase: 'curvature', step: 1, total: 1 });
    return { ...result, eosRatio: (settings.optimizer.learningRate * result.lambdaMax) / 2 };
  } finally {
    tf.dispose([batch.x, batch.y]);
  }
}

async function layersCurvature(model: LayersModelLike, settings: DoctorSettings, batch: DoctorData) {
  const copy = copyLayersModel(model);
  try {
    copy.compile({ optimizer: 'sgd', loss: settings.loss.value }); // for its loss function; the string optimizer is the copy's, disposed with it
    const fn = compiledLossOf(copy);
    const loss = () => fn(copy.apply(batch.x, { training: false }) as tf.Tensor, batch.y);
    const variables = copy.trainableWeights.map((w) => w.read() as tf.Variable);
    return await hessianTopEigenvalue(loss, variables);
  } finally {
    copy.dispose();
  }
}

async function gradkitCurvature(target: GradkitModelTarget, batch: DoctorData) {
  const saved = snapshot(target.module);
  try {
    const loss = () => {
      const value = target.loss(target.module.apply(batch.x, { training: false }), batch.y);
      return (value.rank === 0 ? value : tf.mean(value)) as tf.Scalar;
    };
    const variables = flatten(target.module.params).map((e) => e.value as tf.Variable);
    return await hessianTopEigenvalue(loss, variables);
  } finally {
    saved.restore();
    saved.dispose();
  }
}
