import { checkOptions, describeValue, HyperParameterError, optionOr } from '@gradkit/core';
import type { BatchLogs, EpochLogs, FitCallback, FitRun } from './callbacks.js';

/** Where `progressBar` writes: `process.stderr`, or anything with `write` (and `isTTY` for the live bar). @example `process.stderr` */
export interface ProgressStream {
  /** Writes text (no newline added). */
  write(text: string): unknown;
  /** Whether it is a terminal: then the epoch's line is redrawn in place (`\r`) as batches end. */
  readonly isTTY?: boolean;
}

/** Options of `progressBar`. @example `{ stream: process.stdout, interval: 200 }` */
export interface ProgressBarOptions {
  /** Where to write (default: `process.stderr` in Node; in a browser, one `console.log` line per epoch). */
  readonly stream?: ProgressStream;
  /** Least milliseconds between two redraws of the live bar (default 100; 0 redraws after every batch). */
  readonly interval?: number;
  /** Characters of the bar (default 30). */
  readonly width?: number;
}

/** Marks the callbacks made by `progressBar`, so `fit`'s `verbose: 1` does not add a second one. */
export const PROGRESS_BAR: unique symbol = Symbol.for('gradkit.nn.progressBar') as never;

/** A value as Keras prints logs: 4 decimals, or 3 significant digits in exponent form when small. */
export function formatValue(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  return v !== 0 && Math.abs(v) < 1e-3 ? v.toExponential(2) : v.toFixed(4);
}

/** A duration: `850ms`, `12s`, `3m05s`, `1h02m`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

const logsText = (logs: Readonly<Record<string, number>>) =>
  Object.entries(logs)
    .map(([k, v]) => `${k} ${formatValue(v)}`)
    .join('  ');

function defaultStream(): ProgressStream {
  const proc = (globalThis as { process?: { stderr?: ProgressStream } }).process;
  if (proc?.stderr && typeof proc.stderr.write === 'function') return proc.stderr;
  return { write: (text: string) => console.log(text.replace(/\n$/, '')), isTTY: false };
}

/**
 * A `fit` callback that shows training progress, Keras's `verbose=1`. On a terminal (`isTTY`) one
 * line per epoch is redrawn in place as batches end:
 * `Epoch 3/10  12/32 [=========>....................]  ETA 2s  loss 0.4123  accuracy 0.8125`
 * (running means over the epoch so far); when the epoch ends it becomes
 * `Epoch 3/10  32/32 [==============================]  3s 94ms/step  loss 0.3977  accuracy 0.8300  valLoss 0.4102  valAccuracy 0.8100`.
 * Elsewhere (a file, a pipe, CI logs) only that final line is written, once per epoch; in a
 * browser it goes to `console.log`. `fit` adds one itself with `verbose: 1` (its default).
 *
 * @throws HyperParameterError naming `stream`, `interval` or `width` for a bad value.
 * @example
 * ```ts
 * await fit({ model, loss, optimizer, data, epochs: 5, batchSize: 32, verbose: 0, callbacks: [progressBar({ stream: process.stdout })] });
 * ```
 */
export function progressBar(options: ProgressBarOptions = {}): FitCallback {
  const o = checkOptions('progressBar', options, ['stream', 'interval', 'width'], { example: 'progressBar({ stream: process.stdout })' });
  const stream = optionOr('stream', o.stream, undefined) ?? defaultStream();
  if (stream === null || typeof stream !== 'object' || typeof stream.write !== 'function')
    throw new HyperParameterError('stream', `stream must have a write(text) method (process.stderr, a file stream), got ${describeValue(stream)}`);
  const interval = optionOr('interval', o.interval, 100);
  if (typeof interval !== 'number' || !(interval >= 0) || !Number.isFinite(interval))
    throw new HyperParameterError('interval', `interval must be a number of milliseconds ≥ 0, got ${describeValue(interval)}`);
  const width = optionOr('width', o.width, 30);
  if (!Number.isInteger(width) || width < 1) throw new HyperParameterError('width', `width must be a positive integer, got ${describeValue(width)}`);
  const live = stream.isTTY === true;

  let epochNow = 0;
  let started = 0;
  let drawn = 0;
  let batches = 0;
  let samples = 0;
  let sums: Record<string, number> = {};
  const bar = (done: number, total: number) => {
    const filled = Math.floor((width * done) / total);
    const body = done >= total ? '='.repeat(width) : `${'='.repeat(Math.max(0, filled - 1))}${filled > 0 ? '>' : ''}${'.'.repeat(width - filled)}`;
    return `[${body}]`;
  };
  const head = (run: FitRun, done: number) =>
    `Epoch ${epochNow + 1}/${run.epochs}  ${String(done).padStart(String(run.stepsPerEpoch).length)}/${run.stepsPerEpoch}`;

  return {
    [PROGRESS_BAR]: true,
    onEpochBegin(epoch: number) {
      epochNow = epoch;
      started = Date.now();
      drawn = 0;
      batches = 0;
      samples = 0;
      sums = {};
    },
    onBatchEnd(batch: number, logs: BatchLogs, run: FitRun) {
      batches = batch + 1;
      if (!live) return;
      const { size, ...values } = logs;
      samples += size;
      for (const [k, v] of Object.entries(values)) sums[k] = (sums[k] ?? 0) + v * size;
      const now = Date.now();
      if (batches < run.stepsPerEpoch && drawn > 0 && now - drawn < interval) return;
      drawn = now;
      const eta = ((now - started) / batches) * (run.stepsPerEpoch - batches);
      const means = Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, v / samples]));
      stream.write(`\r${head(run, batches)} ${bar(batches, run.stepsPerEpoch)}  ETA ${formatDuration(eta)}  ${logsText(means)}\x1b[K`);
    },
    onEpochEnd(_epoch: number, logs: EpochLogs, run: FitRun) {
      const took = Date.now() - started;
      const perStep = `${formatDuration(took)} ${formatDuration(took / Math.max(1, batches))}/step`;
      const line = `${head(run, batches)}${live ? ` ${bar(batches, run.stepsPerEpoch)}` : ''}  ${perStep}  ${logsText(logs)}`;
      stream.write(live ? `\r${line}\x1b[K\n` : `${line}\n`);
    },
  } as FitCallback;
}
