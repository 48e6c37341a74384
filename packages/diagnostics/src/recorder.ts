// What `monitorGradients` and `gradientCallback` share: their options' monitor (the one given, or a
// new one from the monitor settings among their options), and the delivery of its reports to their
// own `onReport` and `onError`.
import { type CheckOptionsSettings, checkOptions, describeValue, HyperParameterError } from '@gradkit/core';
import { checkCallback } from './checks.js';
import { GradientMonitor, type GradientMonitorOptions, MONITOR_KEYS, type MonitorObservation, type ObservationExtras } from './monitor.js';
import type { GradientReport } from './report.js';

/** The options a recording function takes besides its own: every monitor setting, `onReport`, `onError` and `monitor`. */
export interface RecorderOptions extends GradientMonitorOptions {
  /** The monitor to record into; by default a new one built from the monitor settings among the options. */
  readonly monitor?: GradientMonitor;
  /** Called when a report cannot be made or `onReport` throws (default: `console.error`). */
  readonly onError?: (error: unknown) => void;
}

/** A monitor, and the delivery of its reports to a function's `onReport` and `onError`. */
export interface Recorder {
  /** The monitor given as `monitor`, or the one made from the options. */
  readonly monitor: GradientMonitor;
  /** The options, checked (`{}` when absent). */
  readonly options: Readonly<Record<string, unknown>>;
  /** `onError`, or its default (`console.error` with the function's name). */
  readonly onError: (error: unknown) => void;
  /**
   * Observes into the monitor (throwing synchronously as `GradientMonitor.observe` does) and passes
   * the report, once recorded, to `onReport`; a failure goes to `onError`. `extras`: what the caller
   * knows of the model (see `GradientMonitor.observeWith`).
   */
  observe(input: MonitorObservation, extras?: ObservationExtras): void;
  /** Resolves once every observation made so far is recorded (or dropped) and delivered. */
  flush(): Promise<void>;
}

/**
 * The recorder of a function that records into a monitor (`monitorGradients`, `gradientCallback`):
 * checks `options` against the monitor's keys, `monitor`, `onError` and `ownKeys` (an unknown key is
 * an UnknownOptionError naming `what`; `settings` as `checkOptions`), and `onReport` and `onError`, then uses `options.monitor`, or a new `GradientMonitor` built
 * from the monitor settings among `options`. Either way `onReport` is the function's own: it is
 * called with each recorded report, besides the monitor's own `onReport`. With a `monitor` given, a
 * monitor setting (a threshold, `historyLimit`, `activationKinds`, `commitTimeout`) that is not
 * `undefined` is a HyperParameterError naming it: it would be ignored, since the monitor has its own.
 */
export function recorderFor(what: string, options: RecorderOptions | undefined, ownKeys: readonly string[], settings: CheckOptionsSettings): Recorder {
  const o = checkOptions(what, options, [...MONITOR_KEYS, 'monitor', 'onError', ...ownKeys], settings) as Record<string, unknown>;
  checkCallback('onReport', o.onReport, '(report) => void');
  checkCallback('onError', o.onError, '(error) => void');
  const given = MONITOR_KEYS.filter((k) => k !== 'onReport' && o[k] !== undefined);
  const monitor = monitorOf(what, o.monitor, given, o);
  const onReport = o.onReport as ((report: GradientReport) => void) | undefined;
  const onError = (o.onError as ((error: unknown) => void) | undefined) ?? ((e: unknown) => console.error(`${what}:`, e));
  let delivered: Promise<unknown> = Promise.resolve();
  return {
    monitor,
    options: o,
    onError,
    observe(input, extras = {}) {
      const report = monitor.observeWith(input, extras).then((r) => {
        if (r) onReport?.(r);
      });
      delivered = Promise.all([delivered, report.catch(onError)]);
    },
    async flush() {
      await monitor.flush();
      await delivered;
    },
  };
}

function monitorOf(what: string, given: unknown, settings: readonly string[], o: Record<string, unknown>): GradientMonitor {
  if (given === undefined) return new GradientMonitor(Object.fromEntries(settings.map((k) => [k, o[k]])) as GradientMonitorOptions);
  if (!(given instanceof GradientMonitor))
    throw new HyperParameterError('monitor', `monitor must be a GradientMonitor (new GradientMonitor({ … })), got ${describeValue(given)}`);
  const [first] = settings;
  if (first !== undefined)
    throw new HyperParameterError(
      first,
      `${what}: ${first} is a setting of the monitor, and the monitor you passed has its own: create it with new GradientMonitor({ ${first}: … }), or drop monitor`,
    );
  return given;
}
