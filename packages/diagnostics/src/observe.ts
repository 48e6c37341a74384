// Turns the user's trees and taps into statistics requests (validated, in input-to-output order), and
// the statistics read back into a GradientReport. Not part of the public surface.
import {
  checkSameTensorType,
  flatten,
  type GradTree,
  HyperParameterError,
  type ParamTree,
  type TapRecord,
  TreeMismatchError,
  ValueError,
  zip,
} from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import type { ActivationKind, ActivationReport, GradientReport, LayerReport } from './report.js';
import { diagnose } from './rules.js';
import { activationLayout, launchStats, type PendingStats, readStats, type StatsRequest, type StatsRow } from './stats.js';
import type { DiagnosticsThresholds } from './thresholds.js';

/**
 * Activations to analyse: the `taps` of core's `withTaps` (activation and gradient per name), or
 * plain activation tensors by name. Names are reported as given, in insertion order (input to output).
 *
 * @example
 * ```ts
 * const { result, taps } = withTaps(valueAndGrad(loss))(params);
 * await inspectGradients(result.grads, { params, activations: taps });
 * ```
 */
export type ActivationsInput = Readonly<Record<string, TapRecord | tf.Tensor>>;

/**
 * How to read each tapped activation: one kind for all, or a kind per tap name (missing names and
 * `'auto'` are inferred, see `ActivationReport.kind`).
 *
 * @example
 * ```ts
 * { activationKinds: 'relu' } // or { activationKinds: { 'layers.0': 'tanh', 'layers.1': 'relu' } }
 * ```
 */
export type ActivationKinds = ActivationKind | 'auto' | Readonly<Record<string, ActivationKind | 'auto'>>;

/** What one observation looks at (see `inspectGradients`). @example `{ grads, params, activations: taps }` */
export interface ObservationInput {
  /** The gradients, a tree with the parameters' structure. */
  readonly grads: GradTree;
  /** The parameters (for ‖θ‖ and the ratios); same structure, shapes and dtypes as `grads`. */
  readonly params?: ParamTree;
  /** This step's updates (what is added to the parameters), for the update-to-parameter ratio. */
  readonly updates?: GradTree;
  /** Tapped activations (from `withTaps`), for dead units, saturation and ∂L/∂h. */
  readonly activations?: ActivationsInput;
  /** How to read the activations (default `'auto'`). */
  readonly activationKinds?: ActivationKinds;
  /** The training step, recorded in the report. */
  readonly step?: number;
}

const KINDS = ['relu', 'sigmoid', 'tanh', 'linear', 'auto'];

interface Meta {
  readonly layers: { name: string; shape: number[]; size: number }[];
  readonly hasParams: boolean;
  readonly hasUpdates: boolean;
  readonly taps: { name: string; shape: number[]; hasGrad: boolean; kind: ActivationKind | 'auto' }[];
  readonly step?: number;
  readonly thresholds: DiagnosticsThresholds;
  readonly backend: string;
}

/** An observation whose statistics are being computed on the device. */
export interface Launched {
  readonly meta: Meta;
  readonly pending: PendingStats;
}

function liveTensor(what: string, path: string, value: unknown): tf.Tensor {
  if (!(value instanceof tf.Tensor))
    throw new TreeMismatchError(path, `${what} at '${path || '(root)'}' is ${value === null ? 'null' : typeof value}, not a tensor`);
  if (value.isDisposed) throw new TreeMismatchError(path, `${what} at '${path || '(root)'}' was already disposed`);
  return value;
}

function kindFor(kinds: ActivationKinds | undefined, name: string): ActivationKind | 'auto' {
  const k = kinds === undefined ? 'auto' : typeof kinds === 'string' ? kinds : (kinds[name] ?? 'auto');
  if (!KINDS.includes(k)) throw new HyperParameterError('activationKinds', `activation kind '${String(k)}' for '${name}' is not one of ${KINDS.join(', ')}`);
  return k;
}

/**
 * Validates the input and queues every statistic on the device (synchronously: the caller may
 * dispose its tensors as soon as this returns). Nothing is read back here.
 */
export function launchObservation(input: ObservationInput, thresholds: DiagnosticsThresholds): Launched {
  if (input === null || typeof input !== 'object') throw new ValueError('grads', 'pass the gradients: inspectGradients(grads, { params })');
  const { grads, params, updates, activations, activationKinds } = input;
  if (input.step !== undefined && (!Number.isInteger(input.step) || input.step < 0))
    throw new HyperParameterError('step', `step must be a non-negative integer, got ${String(input.step)}`);
  if (typeof activationKinds === 'object' && activationKinds !== null) for (const name of Object.keys(activationKinds)) kindFor(activationKinds, name);
  else kindFor(activationKinds, '');
  const pairs = params === undefined ? undefined : zip(params, grads);
  const gradEntries = pairs === undefined ? flatten(grads) : pairs.map(({ path, b }) => ({ path, value: b }));
  const gradLeaves = gradEntries.map(({ path, value }) => liveTensor('gradient', path, value));
  if (gradLeaves.length === 0) throw new ValueError('grads', 'the gradient tree has no tensors: nothing to inspect');
  const paramLeaves = pairs?.map(({ path, a }, i) => {
    const p = liveTensor('parameter', path, a);
    checkSameTensorType(path, p, gradLeaves[i], 'gradient');
    return p;
  });
  const updateLeaves =
    updates === undefined
      ? undefined
      : zip(grads, updates).map(({ path, a, b }) => {
          checkSameTensorType(path, a as tf.Tensor, liveTensor('update', path, b), 'update');
          return b as tf.Tensor;
        });
  const tapEntries = Object.entries(activations ?? {}).map(([name, record]) => {
    const rec = record instanceof tf.Tensor ? { activation: record, grad: undefined } : (record as TapRecord | null);
    if (rec === null || typeof rec !== 'object') throw new ValueError(name, `activation '${name}' is neither a tensor nor a tap record { activation, grad? }`);
    const activation = liveTensor('activation', name, rec.activation);
    const grad = rec.grad === undefined ? undefined : liveTensor('activation gradient', name, rec.grad);
    if (grad && !tf.util.arraysEqual(grad.shape, activation.shape))
      throw new ValueError(name, `the gradient of tap '${name}' has shape [${grad.shape.join(', ')}], its activation [${activation.shape.join(', ')}]`);
    return { name, activation, grad };
  });
  const requests: StatsRequest[] = [
    ...gradLeaves.map((tensor) => ({ tensor, profile: 'full' as const })),
    ...(paramLeaves ?? []).map((tensor) => ({ tensor, profile: 'norm' as const })),
    ...(updateLeaves ?? []).map((tensor) => ({ tensor, profile: 'norm' as const })),
    ...tapEntries.map(({ activation }) => ({ tensor: activation, profile: 'activation' as const })),
    ...tapEntries.flatMap(({ grad }) => (grad ? [{ tensor: grad, profile: 'full' as const }] : [])),
  ];
  const pending = launchStats(requests, thresholds.saturationMargin);
  return {
    pending,
    meta: {
      layers: gradEntries.map(({ path }, i) => ({ name: path, shape: [...(gradLeaves[i] as tf.Tensor).shape], size: (gradLeaves[i] as tf.Tensor).size })),
      hasParams: paramLeaves !== undefined,
      hasUpdates: updateLeaves !== undefined,
      taps: tapEntries.map(({ name, activation, grad }) => ({
        name,
        shape: [...activation.shape],
        hasGrad: grad !== undefined,
        kind: kindFor(activationKinds, name),
      })),
      ...(input.step === undefined ? {} : { step: input.step }),
      thresholds,
      backend: tf.getBackend(),
    },
  };
}

const norm = (row: StatsRow | undefined) => Math.sqrt((row?.sumSq as number) ?? 0);
const ratio = (a: number, b: number | undefined) => (b === undefined || b === 0 ? undefined : a / b);

/** The activation kind from the tap's name, or else from its range of values. */
export function inferKind(name: string, row: StatsRow): ActivationKind {
  if (/relu/i.test(name)) return 'relu';
  if (/sigmoid|logistic/i.test(name)) return 'sigmoid';
  if (/tanh/i.test(name)) return 'tanh';
  const { min, max, zeros, nonFinite } = row as { min: number; max: number; zeros: number; nonFinite: number };
  if (nonFinite > 0) return 'linear';
  if (min >= 0 && max <= 1 && zeros === 0) return 'sigmoid';
  if (min < 0 && min >= -1 && max <= 1) return 'tanh';
  if (min >= 0 && zeros > 0) return 'relu';
  return 'linear';
}

/** Turns the statistics read back into layer and activation reports, then applies the rules. */
export function buildReport(meta: Meta, rows: readonly StatsRow[]): GradientReport {
  const L = meta.layers.length;
  let next = 0;
  const take = (n: number) => {
    const out = rows.slice(next, next + n);
    next += n;
    return out;
  };
  const gradRows = take(L);
  const paramRows = meta.hasParams ? take(L) : [];
  const updateRows = meta.hasUpdates ? take(L) : [];
  const actRows = take(meta.taps.length);
  const tapGradRows = take(meta.taps.filter((t) => t.hasGrad).length);
  let globalSq = 0;
  const layers: LayerReport[] = meta.layers.map(({ name, shape, size }, i) => {
    const g = gradRows[i] as { sumSq: number; sum: number; zeros: number; nonFinite: number; maxAbs: number };
    const { sumSq, sum, zeros, nonFinite, maxAbs } = g;
    globalSq += sumSq;
    const mean = size === 0 ? 0 : sum / size;
    const gradNorm = Math.sqrt(sumSq);
    const layer: LayerReport = {
      name,
      shape,
      size,
      isWeight: shape.length >= 2,
      gradNorm,
      gradMean: mean,
      gradStd: size === 0 ? 0 : Math.sqrt(Math.max(0, sumSq / size - mean * mean)),
      gradMaxAbs: maxAbs,
      gradZeroFraction: size === 0 ? 0 : zeros / size,
      nonFinite,
    };
    if (!meta.hasParams) return layer;
    const paramNorm = norm(paramRows[i]);
    const withParams = { ...layer, paramNorm, ...optional('gradToParam', ratio(gradNorm, paramNorm)) };
    if (!meta.hasUpdates) return withParams;
    const updateNorm = norm(updateRows[i]);
    return { ...withParams, updateNorm, ...optional('updateRatio', ratio(updateNorm, paramNorm)) };
  });
  let gradIndex = 0;
  const activations: ActivationReport[] = meta.taps.map(({ name, shape, hasGrad, kind }, i) => {
    const a = actRows[i] as Record<string, number>;
    const size = shape.reduce((x, y) => x * y, 1);
    const [, units] = activationLayout(shape);
    const resolved = kind === 'auto' ? inferKind(name, a) : kind;
    const mean = size === 0 ? 0 : (a.sum as number) / size;
    const saturated = resolved === 'sigmoid' ? a.sigmoidSaturated : resolved === 'tanh' ? a.tanhSaturated : 0;
    const report: ActivationReport = {
      name,
      kind: resolved,
      shape,
      units,
      deadFraction: resolved === 'relu' && units > 0 ? (units - (a.active as number)) / units : 0,
      saturationFraction: size === 0 ? 0 : (saturated as number) / size,
      mean,
      std: size === 0 ? 0 : Math.sqrt(Math.max(0, (a.sumSq as number) / size - mean * mean)),
      min: a.min as number,
      max: a.max as number,
      nonFinite: a.nonFinite as number,
    };
    if (!hasGrad) return report;
    const g = tapGradRows[gradIndex++] as StatsRow;
    return { ...report, gradNorm: norm(g), gradNonFinite: g.nonFinite as number };
  });
  return diagnose({
    step: meta.step,
    globalNorm: Math.sqrt(globalSq),
    layers,
    activations,
    thresholds: meta.thresholds,
    backend: meta.backend,
  });
}

/** `{ [key]: value }` when value is defined, else `{}` (so JSON round trips keep the same keys). */
export function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

/** Reads a launched observation back (one `await data()`) and builds its report. */
export async function finishObservation({ meta, pending }: Launched): Promise<GradientReport> {
  return buildReport(meta, await readStats(pending));
}
