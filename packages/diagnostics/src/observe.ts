// Turns the user's trees and taps into statistics requests (validated, in input-to-output order), and
// the statistics read back into a GradientReport. Not part of the public surface.
import {
  alignLeaves,
  checkOptions,
  checkSameTensorType,
  describeValue,
  flatten,
  type GradientTransformation,
  type GradTree,
  HyperParameterError,
  type ParamTree,
  suggestOption,
  type TapRecord,
  TreeMismatchError,
  UnknownOptionError,
  ValueError,
} from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';

import type { AttentionInput } from './attention.js';
import { chainNames } from './remedies.js';
import type { ActivationKind, ActivationReport, GradientReport, LayerReport } from './report.js';
import { type DiagnoseInput, diagnose } from './rules.js';
import { activationLayout, launchStats, type PendingStats, readStats, type StatsRequest, type StatsRow } from './stats.js';
import { attentionTap, stepTap } from './tap-names.js';
import type { DiagnosticsThresholds } from './thresholds.js';

const isProbsTap = (name: string) => attentionTap(name)?.part === 'probs';

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
  /** The transformation training runs: remedies it already applies are not offered. */
  readonly transform?: GradientTransformation;
}

const KINDS = ['relu', 'sigmoid', 'tanh', 'linear', 'auto'];
const NUMERIC = ['float32', 'int32'];

interface Meta {
  readonly layers: { name: string; shape: number[]; size: number }[];
  readonly hasParams: boolean;
  readonly hasUpdates: boolean;
  readonly taps: { name: string; shape: number[]; hasGrad: boolean; kind: ActivationKind | 'auto' }[];
  readonly step?: number;
  readonly thresholds: DiagnosticsThresholds;
  readonly backend: string;
  readonly inChain: readonly string[];
}

/** An observation whose statistics are being computed on the device. */
export interface Launched {
  readonly meta: Meta;
  readonly pending: PendingStats;
}

/** `value` as a live float32/int32 tensor, or a typed error naming `path` (`field` for a bare leaf). */
function liveTensor(what: string, path: string, value: unknown, field: string): tf.Tensor {
  const name = path === '' ? field : path;
  if (!(value instanceof tf.Tensor)) throw new TreeMismatchError(name, `${what} at '${name}' is ${describeValue(value)}, not a tensor`);
  if (value.isDisposed) throw new TreeMismatchError(name, `${what} at '${name}' was already disposed: observe before disposing it`);
  if (!NUMERIC.includes(value.dtype))
    throw new ValueError(name, `${what} at '${name}' has dtype ${value.dtype}: only float32 (or int32) tensors have statistics`);
  return value;
}

/** Throws a ValueError naming `field` unless `value` is a tree: a tensor, an array or a plain object. */
function checkTree(field: string, value: unknown): void {
  if (value instanceof tf.Tensor || Array.isArray(value)) return;
  plainObject(field, value, 'a tree of tensors (a tensor, an array or a plain object, e.g. { dense: { kernel, bias } })');
}

/** A plain object (not an array, a tensor or a class instance), or a typed error naming `field`. */
function plainObject(field: string, value: unknown, expected: string): Record<string, unknown> {
  const proto = value !== null && typeof value === 'object' ? Object.getPrototypeOf(value) : undefined;
  if (proto !== Object.prototype && proto !== null) throw new ValueError(field, `${field} must be ${expected}, got ${describeValue(value)}`);
  return value as Record<string, unknown>;
}

function kindFor(kinds: ActivationKinds | undefined, name: string): ActivationKind | 'auto' {
  const k = kinds === undefined ? 'auto' : typeof kinds === 'string' ? kinds : (kinds[name] ?? 'auto');
  if (!KINDS.includes(k)) throw new HyperParameterError('activationKinds', `activation kind '${String(k)}' for '${name}' is not one of ${KINDS.join(', ')}`);
  return k;
}

/**
 * Checks `activationKinds`: one kind, or an object of tap names to kinds. Given the taps of an
 * observation (`tapNames`) and the tap names seen in earlier ones (`seen`), a name that is none of
 * them, while some of `tapNames` get no kind from the object, is taken for a misspelling of one of
 * those (its kind would be ignored): an UnknownOptionError naming it, suggesting the closest. A name
 * of a tap that is absent from this observation but was seen before, or any name when every tap has
 * a kind, is fine: the set of taps may vary from one observation to the next.
 */
export function checkActivationKinds(kinds: unknown, tapNames: readonly string[] = [], seen: ReadonlySet<string> = new Set()): void {
  if (kinds === undefined || typeof kinds === 'string') {
    kindFor(kinds as ActivationKinds | undefined, '');
    return;
  }
  const byName = plainObject('activationKinds', kinds, `one of ${KINDS.join(', ')}, or an object of tap names to kinds`);
  const names = Object.keys(byName);
  for (const name of names) kindFor(byName as ActivationKinds, name);
  const unnamed = tapNames.filter((t) => !Object.hasOwn(byName, t));
  if (unnamed.length === 0) return;
  const typo = names.find((name) => !tapNames.includes(name) && !seen.has(name));
  if (typo === undefined) return;
  const s = suggestOption(typo, unnamed);
  throw new UnknownOptionError(
    typo,
    `activationKinds: no tap is named '${typo}', in this observation or an earlier one${s ? ` (did you mean '${s.key}'?)` : ''}; taps without a kind: ${unnamed.join(', ')}`,
    tapNames,
    s?.key,
  );
}

/** The taps as (name, activation, gradient?), validated. */
function tapEntries(activations: unknown): { name: string; activation: tf.Tensor; grad: tf.Tensor | undefined }[] {
  if (activations === undefined) return [];
  const byName = plainObject('activations', activations, 'an object of tap names to tensors or tap records { activation, grad? } (the taps of withTaps)');
  return Object.entries(byName).map(([name, record]) => {
    if (record instanceof tf.Tensor) return { name, activation: liveTensor('activation', name, record, name), grad: undefined };
    const rec = plainObject(name, record, `a tensor or a tap record { activation, grad? } (tap '${name}')`) as TapRecord;
    checkOptions(`tap '${name}'`, rec, ['activation', 'grad'], { example: '{ activation, grad } (a record of withTaps)' });
    const activation = liveTensor('activation', name, rec.activation, name);
    const grad = rec.grad === undefined ? undefined : liveTensor('activation gradient', name, rec.grad, name);
    if (grad && !tf.util.arraysEqual(grad.shape, activation.shape))
      throw new ValueError(name, `the gradient of tap '${name}' has shape [${grad.shape.join(', ')}], its activation [${activation.shape.join(', ')}]`);
    return { name, activation, grad };
  });
}

/**
 * Validates the input and queues every statistic on the device (synchronously: the caller may
 * dispose its tensors as soon as this returns). Nothing is read back here. Trees are paired by key:
 * the layers follow the parameters' order when they are given (else the gradients'), and the
 * gradients and updates are matched to them path by path, whatever their own key order. `seenTaps`: the
 * tap names of earlier observations (a monitor's), for the `activationKinds` check.
 */
export function launchObservation(input: ObservationInput, thresholds: DiagnosticsThresholds, seenTaps?: ReadonlySet<string>): Launched {
  if (input === null || typeof input !== 'object') throw new ValueError('grads', 'pass the gradients: inspectGradients(grads, { params })');
  const { grads, params, updates, activationKinds } = input;
  checkTree('grads', grads);
  if (params !== undefined) checkTree('params', params);
  if (updates !== undefined) checkTree('updates', updates);
  if (input.step !== undefined && (typeof input.step !== 'number' || !Number.isSafeInteger(input.step) || input.step < 0))
    throw new HyperParameterError('step', `step must be a non-negative integer, got ${describeValue(input.step)}`);
  const order: ParamTree = params === undefined ? grads : params;
  const entries = flatten(order);
  const gradLeaves = (params === undefined ? entries.map((e) => e.value) : alignLeaves(params, grads)).map((g, i) =>
    liveTensor('gradient', (entries[i] as { path: string }).path, g, 'grads'),
  );
  if (gradLeaves.length === 0) throw new ValueError('grads', 'the gradient tree has no tensors: nothing to inspect');
  const paramLeaves =
    params === undefined
      ? undefined
      : entries.map(({ path, value }, i) => {
          const p = liveTensor('parameter', path, value, 'params');
          checkSameTensorType(path, p, gradLeaves[i], 'gradient');
          return p;
        });
  const updateLeaves =
    updates === undefined
      ? undefined
      : alignLeaves(order, updates).map((u, i) => {
          const path = (entries[i] as { path: string }).path;
          const t = liveTensor('update', path, u, 'updates');
          checkSameTensorType(path, gradLeaves[i] as tf.Tensor, t, 'update');
          return t;
        });
  const taps = tapEntries(input.activations);
  checkActivationKinds(
    activationKinds,
    taps.map((t) => t.name),
    seenTaps,
  );
  const inChain = input.transform === undefined ? [] : chainNames(input.transform);
  const requests: StatsRequest[] = [
    ...gradLeaves.map((tensor) => ({ tensor, profile: 'full' as const })),
    ...(paramLeaves ?? []).map((tensor) => ({ tensor, profile: 'norm' as const })),
    ...(updateLeaves ?? []).map((tensor) => ({ tensor, profile: 'norm' as const })),
    ...taps.map(({ activation }) => ({ tensor: activation, profile: 'activation' as const })),
    ...taps.flatMap(({ grad }) => (grad ? [{ tensor: grad, profile: 'full' as const }] : [])),
    // The entropy of attention weights: one more value each, read back with the rest.
    ...taps.flatMap(({ name, activation }) => (isProbsTap(name) ? [{ tensor: activation, profile: 'entropy' as const }] : [])),
  ];
  const pending = launchStats(requests, thresholds.saturationMargin);
  return {
    pending,
    meta: {
      layers: entries.map(({ path }, i) => ({ name: path, shape: [...(gradLeaves[i] as tf.Tensor).shape], size: (gradLeaves[i] as tf.Tensor).size })),
      hasParams: paramLeaves !== undefined,
      hasUpdates: updateLeaves !== undefined,
      taps: taps.map(({ name, activation, grad }) => ({
        name,
        shape: [...activation.shape],
        hasGrad: grad !== undefined,
        kind: kindFor(activationKinds, name),
      })),
      ...(input.step === undefined ? {} : { step: input.step }),
      thresholds,
      backend: tf.getBackend(),
      inChain,
    },
  };
}

const norm = (row: StatsRow | undefined) => Math.sqrt((row?.sumSq as number) ?? 0);
const ratio = (a: number, b: number | undefined) => (b === undefined || b === 0 ? undefined : a / b);

/** The activation kind from the tap's name, or else from its range of values (`linear` for attention taps `.logits`, `.probs`). */
export function inferKind(name: string, row: StatsRow): ActivationKind {
  // Attention scores and weights are no unit's output: their range says nothing of dead or saturated units.
  if (attentionTap(name) !== undefined) return 'linear';
  if (/relu/i.test(name)) return 'relu';
  if (/sigmoid|logistic/i.test(name)) return 'sigmoid';
  if (/tanh/i.test(name)) return 'tanh';
  const { min, max, zeros, nonFinite } = row as { min: number; max: number; zeros: number; nonFinite: number };
  if (nonFinite > 0) return 'linear';
  // A recurrent step whose state is still exactly 0 (its inputs so far were zeros, e.g. the blank top
  // rows of a digit read row by row) says nothing about its units: not dead, whatever the cell.
  if (min === 0 && max === 0 && stepTap(name) !== undefined) return 'linear';
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
  const probsTaps = meta.taps.filter((t) => isProbsTap(t.name));
  const entropyRows = take(probsTaps.length);
  let globalSq = 0;
  const layers: LayerReport[] = meta.layers.map(({ name, shape, size }, i) => {
    const g = gradRows[i] as { sumSq: number; sum: number; zeros: number; nonFinite: number; maxAbs: number };
    const { sumSq, sum, zeros, nonFinite, maxAbs } = g;
    globalSq += sumSq;
    const mean = size === 0 ? 0 : sum / size;
    const gradNorm = Math.sqrt(sumSq);
    // Built in place (no spreads: this runs for every layer at every monitored step), keys in this order.
    const layer: Mutable<LayerReport> = {
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
    layer.paramNorm = paramNorm;
    setDefined(layer, 'gradToParam', ratio(gradNorm, paramNorm));
    if (!meta.hasUpdates) return layer;
    const updateNorm = norm(updateRows[i]);
    layer.updateNorm = updateNorm;
    setDefined(layer, 'updateRatio', ratio(updateNorm, paramNorm));
    return layer;
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
  // Mean entropy per row: −Σ p ln p over the tap / Σ p (the number of rows that see a key: each sums to 1).
  const probsEntropy = new Map(
    probsTaps.map(({ name }, i) => {
      const sum = (actRows[meta.taps.findIndex((t) => t.name === name)] as StatsRow).sum as number;
      return [name, sum > 0 ? ((entropyRows[i] as StatsRow).entropy as number) / sum : Number.NaN];
    }),
  );
  const input: DiagnoseInput & AttentionInput = {
    step: meta.step,
    globalNorm: Math.sqrt(globalSq),
    layers,
    activations,
    thresholds: meta.thresholds,
    backend: meta.backend,
    inChain: meta.inChain,
    probsEntropy,
  };
  return diagnose(input);
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** Sets `o[key]` when `value` is defined, else leaves the key out (so JSON round trips keep the same keys). */
function setDefined<T, K extends keyof T>(o: T, key: K, value: T[K] | undefined): void {
  if (value !== undefined) o[key] = value;
}

/** Reads a launched observation back (one `await data()`) and builds its report. */
export async function finishObservation({ meta, pending }: Launched): Promise<GradientReport> {
  return buildReport(meta, await readStats(pending));
}
