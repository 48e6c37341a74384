import {
  describeValue,
  type GradientTransformation,
  type GradTree,
  map,
  type ParamTree,
  StateError,
  type TransformResult,
  TreeMismatchError,
  type UpdateExtras,
} from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import { wholeNumber } from './checks.js';
import type { GradientMonitor } from './monitor.js';
import { type RecorderOptions, recorderFor } from './recorder.js';
import { alias } from './stats.js';
import type { DiagnosticsThresholds } from './thresholds.js';

/**
 * Options of `monitorGradients`: how often to report, where reports go, and any threshold of the
 * rules (`DiagnosticsThresholds`).
 *
 * @example
 * ```ts
 * monitorGradients({ every: 10, onReport: (r) => console.log(formatText(r)), explodingNorm: 100 });
 * ```
 */
export interface MonitorGradientsOptions extends RecorderOptions {
  /** Report every `every` steps (steps 0, every, 2·every …). Default 1. */
  readonly every?: number;
  /**
   * The monitor to record into (its history, trends and thresholds); by default a new one built from
   * these options (then give no other monitor setting here: a threshold, `historyLimit`,
   * `activationKinds` or `commitTimeout`). `onReport` is this transformation's own either way.
   */
  readonly monitor?: GradientMonitor;
  /** Called when reading statistics back or `onReport` fails (default: `console.error`). Training is never interrupted. */
  readonly onError?: (error: unknown) => void;
}

/** `monitorGradients`'s resolved options (the transformation's `options`). @example `monitorGradients({ every: 5 }).options.every // 5` */
export interface ResolvedMonitorGradientsOptions extends DiagnosticsThresholds {
  /** Report every `every` steps. */
  readonly every: number;
}

/** State of `monitorGradients`: the step count. @example `{ count: 12 }` */
export interface MonitorGradientsState {
  readonly [key: string]: number;
  /** Steps taken. */
  readonly count: number;
}

/**
 * The transformation `monitorGradients` returns, with its monitor and a way to wait for the reports.
 *
 * @example
 * ```ts
 * const mon = monitorGradients({ every: 10 });
 * // … train with chain(mon, adam()) …
 * await mon.flush();
 * console.log(mon.monitor.history.length);
 * ```
 */
export interface MonitorGradientsTransformation extends GradientTransformation<MonitorGradientsState, ResolvedMonitorGradientsOptions> {
  /** The monitor the reports are recorded in (history, trends). */
  readonly monitor: GradientMonitor;
  /** Resolves once every report scheduled so far has been delivered. */
  flush(): Promise<void>;
}

/**
 * A transformation for `chain` that passes the gradients through unchanged (bit for bit) and every
 * `every` steps diagnoses them, as `inspectGradients` does with the parameters the runner passes:
 * per-layer statistics, verdict, findings, plus the monitor's trend rule. Put it first in the chain
 * to see the raw gradients: `chain(monitorGradients({ every: 10, onReport }), clipByGlobalNorm(1), adam())`.
 *
 * It never blocks the step: the statistics are queued on the device inside `update` (a few fused
 * reductions into one small tensor, kept past the runner's `tf.tidy`, with the gradients' buffers
 * shared, not copied, until then), read back asynchronously, and `onReport(report)` is called when
 * they arrive; everything kept is then released. Only steps that took effect are reported: inside
 * an `Optimizer`, a step that fails (a later part of the chain or a fused kernel throws) is neither
 * recorded in the monitor's history nor passed to `onReport` (it waits for `UpdateExtras.committed`).
 * It reads the learning rate of the chain it sits in (the first part with a `learningRate`
 * hyper-parameter, a schedule evaluated at the step: `learningRateOf`), so that a schedule's decay
 * is not a small-updates finding. A transformation sees neither taps nor the final updates: for dead units, saturation and
 * update-to-parameter ratios, call `GradientMonitor.observe` with them. Put it first in the chain: it
 * is an observer, so the `Optimizer` keeps a fused kernel for the rest of the chain (elsewhere in a
 * chain it forces the reference path).
 *
 * No PyTorch/optax equivalent; it plays the role of logging `p.grad.norm()` per layer in a training loop.
 *
 * @throws UnknownOptionError for an option it does not take (a mistyped threshold: "did you mean");
 *   HyperParameterError for an `every` that is not a whole number ≥ 1, a threshold out of range, an
 *   `onReport`/`onError` that is not a function, a `monitor` that is not a GradientMonitor, or
 *   monitor settings given beside a `monitor` (they belong to that monitor).
 * @example
 * ```ts
 * const mon = monitorGradients({ every: 10, onReport: (r) => console.log(r.step, r.verdict) });
 * const opt = new Optimizer(params, chain(mon, sgd({ learningRate: 0.1 })));
 * for (let i = 0; i < 100; i++) await opt.minimize(loss);
 * await mon.flush();
 * ```
 */
export function monitorGradients(options: MonitorGradientsOptions = {}): MonitorGradientsTransformation {
  const example = 'monitorGradients({ every: 10, onReport: (r) => console.log(r.verdict) })';
  const recorder = recorderFor('monitorGradients', options, ['every'], { example });
  const every = wholeNumber('every', recorder.options.every, 1, 1, 'report every that many steps');
  const monitor = recorder.monitor;
  return {
    name: 'monitorGradients',
    options: { ...monitor.thresholds, every },
    // Updates are the gradients and the state is a host count: at the head of a chain the Optimizer
    // keeps its fused kernel for the rest of the chain.
    observer: true,
    monitor,
    flush: () => recorder.flush(),
    init: (): MonitorGradientsState => ({ count: 0 }),
    update(grads: GradTree, state: MonitorGradientsState, params?: ParamTree, extras?: UpdateExtras): TransformResult<MonitorGradientsState> {
      const count = (state as Partial<MonitorGradientsState> | null)?.count;
      if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 0)
        throw new StateError('count', `monitorGradients: the state must be { count } as init() returned it, got count ${describeValue(count)}`);
      const updates = map(grads, (g, path) => {
        if (!(g instanceof tf.Tensor) || g.isDisposed)
          throw new TreeMismatchError(path || 'grads', `gradient at '${path || 'grads'}' is ${describeValue(g)}, not a live tensor`);
        return g;
      });
      if (count % every === 0) {
        const committed = extras?.committed;
        const learningRate = extras?.transform === undefined ? undefined : learningRateOf(extras.transform, count);
        recorder.observe({
          grads,
          ...(params === undefined ? {} : { params }),
          ...(learningRate === undefined ? {} : { learningRate }),
          step: count,
          ...(committed === undefined ? {} : { committed }),
          ...(extras?.transform === undefined ? {} : { transform: extras.transform }),
        });
      }
      return { updates: map(updates, alias), state: { count: count + 1 } };
    },
  };
}

/**
 * The learning rate of the first part of `transform` (depth first: a chain's parts, a wrapper's inner,
 * partition's groups) whose hyper-parameters at `step` have a finite `learningRate` ≥ 0 (a schedule
 * evaluated, as `Optimizer.hyperParams()` does); undefined when none has one.
 */
export function learningRateOf(transform: GradientTransformation, step: number): number | undefined {
  let rate: number | undefined;
  try {
    rate = (transform.hyperParams?.(step) as Record<string, unknown> | undefined)?.learningRate as number | undefined;
  } catch {
    rate = undefined; // a part that cannot say: look further
  }
  if (typeof rate === 'number' && Number.isFinite(rate) && rate >= 0) return rate;
  const inner = [...(transform.parts ?? []), ...(transform.inner ? [transform.inner] : []), ...Object.values(transform.groups?.transforms ?? {})];
  for (const t of inner) {
    const found = learningRateOf(t, step);
    if (found !== undefined) return found;
  }
  return undefined;
}
