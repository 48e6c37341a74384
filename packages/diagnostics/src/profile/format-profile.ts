import { checkOptions, describeValue, ValueError } from '@gradkit/core';
import { wholeNumber } from '../checks.js';
import { fmt, pct } from '../format-number.js';
import type { KernelRow, StepPhase, StepProfile } from './types.js';

/**
 * Options of `formatProfile`.
 *
 * @example
 * ```ts
 * formatProfile(profile, { top: 5 });
 * ```
 */
export interface FormatProfileOptions {
  /** How many kernels to list, slowest first (default 15). */
  readonly top?: number;
}

const PHASES: readonly StepPhase[] = ['forward', 'backward', 'update'];

/** `131072` → `128 KiB`. */
function bytesText(b: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let v = b;
  let u = 0;
  while (Math.abs(v) >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${fmt(v)} ${units[u]}`;
}

/** Lines of a table whose columns are padded to their widest cell; `right` marks the right-aligned ones. */
function aligned(rows: readonly (readonly string[])[], right: readonly boolean[]): string[] {
  const width = (j: number) => Math.max(...rows.map((r) => (r[j] ?? '').length));
  const widths = right.map((_, j) => width(j));
  return rows.map((r) =>
    r
      .map((c, j) => (right[j] ? c.padStart(widths[j] as number) : c.padEnd(widths[j] as number)))
      .join('  ')
      .trimEnd(),
  );
}

function isProfile(x: unknown): x is StepProfile {
  const p = x as Partial<StepProfile> | null;
  return (
    p !== null &&
    typeof p === 'object' &&
    p.format === 'gradkit-step-profile' &&
    typeof p.stepMs?.median === 'number' &&
    PHASES.every((ph) => typeof p.phases?.[ph]?.ms === 'number') &&
    Array.isArray(p.kernels) &&
    Array.isArray(p.customOps)
  );
}

/**
 * Renders a `StepProfile` as a text table for terminals: the step time, the phase totals (time per
 * step, share of kernel time, calls, bytes), then the `top` slowest kernels with their share of
 * kernel time, and the profile's notes. Read it top down: the phase with the largest share is
 * where the step goes, and its first kernels are what to speed up (or to report).
 *
 * @throws ValueError naming `profile` when it is not what `profileStep` returns; UnknownOptionError
 *   for an option it does not take; HyperParameterError for a `top` that is not a whole number ≥ 1.
 * @example
 * ```ts
 * console.log(formatProfile(await profileStep({ model, x, y }), { top: 10 }));
 * // step 12.1 ms (p10 11.8, p90 12.9) · profiled 19.4 ms · kernels 10.2 ms …
 * ```
 */
export function formatProfile(profile: StepProfile, options?: FormatProfileOptions): string {
  if (!isProfile(profile)) throw new ValueError('profile', `formatProfile takes what profileStep returns, got ${describeValue(profile)}`);
  const o = checkOptions('formatProfile', options, ['top'], { example: 'formatProfile(profile, { top: 10 })' });
  const top = wholeNumber('top', o.top, 15, 1, 'kernels to list');
  const p = profile;
  const share = (ms: number) => pct(p.kernelMs > 0 ? ms / p.kernelMs : Number.NaN);
  const gpu = p.dispatches !== undefined || p.submits !== undefined ? ` · per step: ${fmt(p.dispatches)} dispatches, ${fmt(p.submits)} submits` : '';
  const lines = [
    `${p.target} step on ${p.backend} (fast paths ${p.fastPaths ? 'on' : 'off'}; ${p.settings.steps} profiled, ${p.settings.timedSteps} timed, ${p.settings.warmup} warmup steps)`,
    `step ${fmt(p.stepMs.median)} ms (p10 ${fmt(p.stepMs.p10)}, p90 ${fmt(p.stepMs.p90)}) · profiled ${fmt(p.profiledStepMs)} ms · kernels ${fmt(p.kernelMs)} ms${gpu}`,
    '',
    ...aligned(
      [
        ['phase', 'ms/step', 'share', 'calls', 'bytes'],
        ...PHASES.map((ph) => [ph, fmt(p.phases[ph].ms), share(p.phases[ph].ms), fmt(p.phases[ph].calls), bytesText(p.phases[ph].bytes)]),
      ],
      [false, true, true, true, true],
    ),
    '',
  ];
  const shown = p.kernels.slice(0, top);
  const dispatches = shown.some((k) => k.dispatches !== undefined);
  const row = (k: KernelRow) => [
    k.name,
    k.phase,
    fmt(k.ms),
    share(k.ms),
    fmt(k.calls),
    ...(dispatches ? [fmt(k.dispatches)] : []),
    bytesText(k.bytes),
    k.shapes,
  ];
  lines.push(
    `top ${shown.length} of ${p.kernels.length} kernels`,
    ...aligned(
      [['kernel', 'phase', 'ms/step', '% kernels', 'calls', ...(dispatches ? ['dispatches'] : []), 'bytes', 'input shapes'], ...shown.map(row)],
      [false, false, true, true, true, ...(dispatches ? [true] : []), true, false],
    ),
  );
  if (p.notes.length > 0) lines.push('', ...p.notes.map((n) => `note: ${n}`));
  return lines.join('\n');
}
