// The probe fit shared by diagnoseModel and tryRemedies: a short fit of a model copy, watched by a
// GradientMonitor, on batches in a seeded order, with the loss before and after.
import { flatten, type GradientTransformation, hasEvalPoint, Optimizer, type ParamTree, StateError, unflatten, valueAndGrad, withTaps } from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import type { DoctorData, DoctorProgress, DoctorSettings, DoctorTarget, GradkitModelTarget, LayersModelLike, ModelDiagnosis } from './doctor-types.js';
import { firstRecurrentLayer, inputGradientNorms, inputTemporal } from './input-gradients.js';
import { gradientCallback, type ModelWithOptimizer } from './layers-callback.js';
import { GradientMonitor } from './monitor.js';
import { batchOrder, constantLoss, evalLoss, gatherBatch, headOf, PROBE_SAMPLES } from './probe-fit-data.js';
import { fitVerdict, spikeStats } from './probe-fit-verdict.js';
import type { GradientReport } from './report.js';
import { sortFindings, verdictOf } from './rules.js';
import { MEAN_PREDICTED_LOSSES, withNoProgress } from './stalled.js';
import type { DiagnosticsThresholds } from './thresholds.js';
import { originalWeightNames, withOriginalNames } from './weight-names.js';

/**
 * One probe fit: a target (already a copy for tfjs-layers models: it is compiled and trained in
 * place), how to train it, the data.
 *
 * - A tfjs-layers target is compiled with `settings.loss.value` and `optimizer` (a tf.Optimizer,
 *   which the caller keeps and disposes), then trained by `trainOnBatch`.
 * - A gradkit target (`{ module, loss }`) cannot be copied (its `apply` uses its own variables): its
 *   parameters and buffers are trained in place by core's `Optimizer` with `optimizer` (a gradkit
 *   transformation) and put back to the values they had at the start when the fit ends (the module
 *   is left as it was; a snapshot of its variables is held meanwhile).
 */
export interface ProbeFitSpec {
  readonly target: DoctorTarget;
  /** tf.Optimizer for tfjs-layers targets; a gradkit transformation for gradkit targets. */
  readonly optimizer: tf.Optimizer | GradientTransformation;
  readonly settings: DoctorSettings;
  readonly data: DoctorData;
  /** Shown in progress (`'baseline'`, a remedy's name). */
  readonly phase: string;
  readonly onProgress?: (progress: DoctorProgress) => void;
}

/** What a probe fit measured: the measured part of a diagnosis. */
export type ProbeFitResult = Pick<ModelDiagnosis, 'verdict' | 'findings' | 'reports' | 'losses' | 'initialLoss' | 'finalLoss' | 'spikes'>;

type LossFn = (prediction: tf.Tensor, y: tf.Tensor) => tf.Scalar;

/** Whether `target` is a gradkit `{ module, loss }` target (else a tfjs-layers model). */
export const isGradkitTarget = (target: DoctorTarget): target is GradkitModelTarget =>
  typeof (target as Partial<GradkitModelTarget>).module === 'object' && typeof (target as Partial<GradkitModelTarget>).loss === 'function';

/** A loss tensor as a scalar: itself, or the mean of its elements. */
const meanScalar = (t: tf.Tensor): tf.Scalar => (t.rank === 0 ? (t as tf.Scalar) : tf.mean(t));

/**
 * Trains `spec.target` for `spec.settings.budget` steps of `settings.batchSize` samples, in the batch
 * order `batchOrder(n, batchSize, budget, seed)` (the same batches for every call with the same
 * settings and data), watched by a GradientMonitor that reports every `settings.every` steps (for a
 * tfjs-layers model through `gradientCallback` with a probe batch of the first 64 samples, so that
 * the layers' dead and saturated fractions are seen; for a gradkit module with its taps). For a
 * tfjs-layers model with a recurrent layer and a `[batch, time, features]` input, each report also
 * gets ‖∂L/∂xₜ‖ per time step on the probe batch (before the step: `inputGradientNorms`) and the
 * through-time findings of that profile.
 *
 * Measures the loss of every step, `initialLoss` and `finalLoss` (the mean loss over the first 1,024
 * samples, in inference mode, before and after the fit; after it at the optimizer's evaluation point
 * for optimizers that keep one, e.g. schedule-free through `toTfOptimizer`), the loss-spike statistics
 * (`spikeStats`) and the verdict over the fit (`fitVerdict`: non-finite if any step or report is,
 * else the majority verdict of the later half of the reports). A step whose loss is NaN or infinite
 * makes the verdict `nonfinite` (no throw); the fit ends after `NONFINITE_PATIENCE` such steps in a
 * row (weights gone NaN give nothing else), so that an optimizer that skips such steps (the `guard`
 * remedy, `applyIfFinite`) is measured over the whole budget. Leaves no tensors behind.
 *
 * @example
 * ```ts
 * const copy = copyLayersModel(model);
 * const optimizer = tf.train.adam(1e-3);
 * const r = await probeFit({ target: copy, optimizer, settings, data, phase: 'baseline' });
 * optimizer.dispose();
 * copy.dispose();
 * ```
 */
export async function probeFit(spec: ProbeFitSpec): Promise<ProbeFitResult> {
  return isGradkitTarget(spec.target) ? fitGradkit(spec, spec.target) : fitLayers(spec, spec.target);
}

/** Non-finite step losses in a row after which a fit ends: weights gone NaN give nothing else, a skipped batch does not last. */
export const NONFINITE_PATIENCE = 5;

/** Whether the last `NONFINITE_PATIENCE` step losses are all NaN or infinite. */
function stalledOnNonFinite(losses: readonly number[]): boolean {
  return losses.length >= NONFINITE_PATIENCE && losses.slice(-NONFINITE_PATIENCE).every((l) => !Number.isFinite(l));
}

/** The result of a fit from its reports and step losses (with the no-progress rule when the constant prediction's loss is known). */
function finish(
  reports: readonly GradientReport[],
  losses: number[],
  initialLoss: number,
  finalLoss: number,
  th: DiagnosticsThresholds,
  constant?: number,
): ProbeFitResult {
  const { verdict, findings } = withNoProgress(fitVerdict(reports, losses), reports, finalLoss, constant, losses.length);
  return { verdict, findings, reports, losses, initialLoss, finalLoss, spikes: spikeStats(losses, th) };
}

/**
 * The loss a compiled tfjs-layers model trains with (its first `lossFunctions` entry: a Sequential's
 * is on its inner model), as a scalar mean over the batch.
 */
export function compiledLossOf(model: LayersModelLike): LossFn {
  type WithLosses = { lossFunctions?: readonly ((yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor)[]; model?: WithLosses };
  const m = model as unknown as WithLosses;
  const fn = (m.lossFunctions ?? m.model?.lossFunctions)?.[0];
  if (typeof fn !== 'function')
    throw new StateError('model', 'the compiled model has no loss function: probeFit needs a tfjs-layers model (compile sets its loss)');
  return (prediction, y) => meanScalar(fn(y, prediction));
}

/** `report` with the through-time profile and findings of ‖∂L/∂xₜ‖ (`norms`) at its step. */
function withInputTemporal(report: GradientReport, norms: readonly number[] | undefined, layer: string): GradientReport {
  if (norms === undefined) return report;
  const { profile, findings } = inputTemporal(layer, norms, report.thresholds, true);
  if (profile === undefined) return report;
  const all = sortFindings([...report.findings, ...findings]);
  return { ...report, temporal: [...(report.temporal ?? []), profile], findings: all, verdict: verdictOf(all) };
}

/** Evaluates at the optimizer's evaluation point, when it keeps one (a gradkit adapter's `eval(model)`/`train(model)`). */
async function atEvalPoint<T>(optimizer: unknown, model: LayersModelLike, run: () => Promise<T>): Promise<T> {
  const o = optimizer as { eval?: (m: unknown) => void; train?: (m: unknown) => void };
  if (typeof o.eval !== 'function' || typeof o.train !== 'function') return run();
  o.eval(model);
  try {
    return await run();
  } finally {
    o.train(model);
  }
}

async function fitLayers(spec: ProbeFitSpec, model: LayersModelLike): Promise<ProbeFitResult> {
  const { settings, data } = spec;
  const optimizer = spec.optimizer as tf.Optimizer;
  model.compile({ optimizer, loss: settings.loss.value });
  const loss = compiledLossOf(model);
  const forward = (x: tf.Tensor) => model.apply(x, { training: false }) as tf.Tensor;
  const sequence = model.inputs.length === 1 && model.inputs[0]?.shape.length === 3 && data.x.dtype === 'float32';
  const recurrent = sequence ? firstRecurrentLayer(model.layers) : undefined;
  const probe = headOf(data, PROBE_SAMPLES);
  const inputNorms = new Map<number, number[]>();
  const losses: number[] = [];
  try {
    const cb = gradientCallback({ model: model as unknown as ModelWithOptimizer, every: settings.every, probe: probe.x });
    const initialLoss = await evalLoss(forward, loss, data);
    cb.onTrainBegin();
    try {
      for (const [step, indices] of batchOrder(data.x.shape[0] as number, settings.batchSize, settings.budget, settings.seed).entries()) {
        if (recurrent !== undefined && step % settings.every === 0) inputNorms.set(step, await inputGradientNorms(forward, loss, probe.x, probe.y));
        const batch = gatherBatch(data, indices);
        let out: number | number[];
        try {
          out = await model.trainOnBatch(batch.x, batch.y);
        } finally {
          tf.dispose([batch.x, batch.y]);
        }
        const value = Array.isArray(out) ? (out[0] as number) : out;
        losses.push(value);
        spec.onProgress?.({ phase: spec.phase, step: step + 1, total: settings.budget, loss: value });
        if (stalledOnNonFinite(losses)) break;
      }
    } finally {
      await cb.onTrainEnd();
      cb.detach();
    }
    const finalLoss = await atEvalPoint(optimizer, model, () => evalLoss(forward, loss, data));
    const names = originalWeightNames(model);
    const reports = cb.monitor.history.map((r) =>
      withOriginalNames(recurrent === undefined ? r : withInputTemporal(r, inputNorms.get(r.step ?? -1), recurrent), names),
    );
    const constant = MEAN_PREDICTED_LOSSES.has(settings.loss.value) ? await constantLoss(loss, data) : undefined;
    return finish(reports, losses, initialLoss, finalLoss, cb.monitor.thresholds, constant);
  } finally {
    tf.dispose([probe.x, probe.y]);
  }
}

/** Copies of a module's parameters and buffers, and how to put them back. */
export function snapshot(module: GradkitModelTarget['module']): { restore(): void; dispose(): void } {
  const trees = [module.params, (module as { buffers?: ParamTree }).buffers ?? {}];
  const variables = trees.flatMap((t) => flatten(t).map((e) => e.value as tf.Variable));
  const saved = variables.map((v) => tf.keep(tf.clone(v)));
  return {
    restore: () => {
      for (const [i, v] of variables.entries()) v.assign(saved[i] as tf.Tensor);
    },
    dispose: () => tf.dispose(saved),
  };
}

async function fitGradkit(spec: ProbeFitSpec, target: GradkitModelTarget): Promise<ProbeFitResult> {
  const { settings, data } = spec;
  const { module } = target;
  const transform = spec.optimizer as GradientTransformation;
  const loss: LossFn = (prediction, y) => meanScalar(target.loss(prediction, y));
  const forward = (x: tf.Tensor) => module.apply(x, { training: false });
  const saved = snapshot(module);
  const monitor = new GradientMonitor();
  const losses: number[] = [];
  const observations: Promise<unknown>[] = [];
  let opt: Optimizer | undefined;
  try {
    opt = new Optimizer(module.params, transform);
    const initialLoss = await evalLoss(forward, loss, data);
    for (const [step, indices] of batchOrder(data.x.shape[0] as number, settings.batchSize, settings.budget, settings.seed).entries()) {
      const batch = gatherBatch(data, indices);
      const objective = () => loss(module.apply(batch.x, { training: true }), batch.y);
      let value: number;
      try {
        if (step % settings.every === 0) {
          const { loss: observedLoss, observed } = await observedStep(opt, objective, monitor, step);
          observed.catch(() => undefined); // awaited after the fit; this only keeps Node from calling it unhandled early
          observations.push(observed);
          value = observedLoss;
        } else value = await opt.minimize(objective);
      } finally {
        tf.dispose([batch.x, batch.y]);
      }
      losses.push(value);
      spec.onProgress?.({ phase: spec.phase, step: step + 1, total: settings.budget, loss: value });
      if (stalledOnNonFinite(losses)) break;
    }
    await Promise.all(observations); // a report that could not be made is an error of the doctor's, not of the model
    const evalPoint = hasEvalPoint(transform);
    if (evalPoint) opt.eval();
    const finalLoss = await evalLoss(forward, loss, data);
    if (evalPoint) opt.train();
    return finish(monitor.history, losses, initialLoss, finalLoss, monitor.thresholds);
  } finally {
    opt?.dispose();
    saved.restore();
    saved.dispose();
  }
}

/** One step whose gradients, parameters, update and taps the monitor observes; returns the step's loss and the observation. */
async function observedStep(
  opt: Optimizer,
  objective: () => tf.Scalar,
  monitor: GradientMonitor,
  step: number,
): Promise<{ loss: number; observed: Promise<unknown> }> {
  const params = opt.params;
  const {
    result: { value, grads },
    taps,
  } = withTaps(valueAndGrad(objective))(params);
  const leaves = () => flatten(params).map((e) => e.value as tf.Tensor);
  const before = leaves().map((p) => tf.clone(p));
  let updates: ParamTree | undefined;
  try {
    const loss = (await value.data())[0] as number;
    opt.step(grads);
    const diffs = tf.tidy(() => leaves().map((p, i) => tf.sub(p, before[i] as tf.Tensor)));
    updates = unflatten(params, diffs);
    return { loss, observed: monitor.observe({ grads, params, updates, taps, loss, step }) };
  } finally {
    tf.dispose([value, grads as tf.TensorContainer, taps as unknown as tf.TensorContainer, before, updates as tf.TensorContainer]);
  }
}
