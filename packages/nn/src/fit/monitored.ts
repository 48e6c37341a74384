import { describeValue, HyperParameterError, suggestOption } from '@gradkit/core';

/** Whether a smaller or a larger value of a monitored log is better. */
export type MonitorMode = 'min' | 'max' | 'auto';

/** A log key watched by a callback, and which way is better. */
export interface Monitored {
  readonly key: string;
  readonly mode: 'min' | 'max';
}

/** Checks `monitor` and `mode`; `'auto'` is `'max'` for accuracies, else `'min'` (Keras's rule). */
export function monitored(monitor: unknown, mode: unknown): Monitored {
  if (typeof monitor !== 'string' || monitor === '')
    throw new HyperParameterError('monitor', `monitor must be a log key such as 'valLoss', 'loss' or 'valAccuracy', got ${describeValue(monitor)}`);
  if (mode !== 'min' && mode !== 'max' && mode !== 'auto')
    throw new HyperParameterError('mode', `mode must be 'min', 'max' or 'auto', got ${describeValue(mode)}`);
  return { key: monitor, mode: mode === 'auto' ? (/acc/i.test(monitor) ? 'max' : 'min') : mode };
}

/** Throws (naming `monitor`) when the fit's logs will not have the monitored key: `val_loss` suggests `valLoss`. */
export function checkMonitoredKey(what: string, key: string, logKeys: readonly string[]): void {
  if (logKeys.includes(key)) return;
  const s = suggestOption(key, logKeys);
  const hint = key.startsWith('val') && !logKeys.includes('valLoss') ? ' (this fit has no validation: give validation or validationSplit)' : '';
  throw new HyperParameterError(
    'monitor',
    `${what}: monitor '${key}' is not a key of this fit's logs${s ? ` (did you mean '${s.key}'?)` : ''}${hint}; the logs have ${logKeys.join(', ')}`,
  );
}

/** Whether `current` improves on `best` by more than `minDelta` (Keras's test). */
export function improves(current: number, best: number, mode: 'min' | 'max', minDelta: number): boolean {
  return mode === 'min' ? current < best - minDelta : current > best + minDelta;
}
