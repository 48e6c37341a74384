import { HyperParameterError, type Schedule, type ScheduleConfig, scheduleConfigOf } from '@gradkit/core';
import { checkBoundaries, schedule } from './validate.js';

/**
 * Joins schedules end to end: `schedules[0]` before `boundaries[0]`, then `schedules[i]` from
 * `boundaries[i − 1]` on, each one seeing the steps counted from its own start
 * (`schedules[i](t − boundaries[i − 1])`).
 *
 * optax: `join_schedules(schedules, boundaries)`; PyTorch: `SequentialLR(opt, schedulers,
 * milestones)`.
 *
 * The joined schedule carries its config (`{ schedule: 'joinSchedules', schedules: [configs…],
 * boundaries }`, for `scheduleFromConfig` and `transformationToConfig`) when every part carries one
 * (every schedule of this package does); with a part of your own, it has none, and writing a
 * transformation that uses it as JSON is an error naming the option.
 *
 * @param schedules - the schedules, in order (functions; wrap a number with `constant`).
 * @param boundaries - the steps where each next schedule starts: `schedules.length − 1` integers ≥ 0,
 *   strictly increasing.
 * @throws HyperParameterError naming 'schedules' (empty, or not functions) or 'boundaries' (not
 *   integers ≥ 0, not strictly increasing, not `schedules.length − 1` of them); the joined schedule
 *   throws one naming 'step' for a step that is not an integer ≥ 0, and one naming 'schedules' when
 *   a part returns something that is not a finite number.
 * @example
 * ```ts
 * // 100 steps of warmup, then a cosine over 900 steps
 * const lr = joinSchedules([linearWarmup({ peak: 0.1, warmupSteps: 100 }), cosineDecay({ initial: 0.1, decaySteps: 900 })], [100]);
 * ```
 */
export function joinSchedules(schedules: readonly Schedule[], boundaries: readonly number[]): Schedule {
  if (!Array.isArray(schedules) || schedules.length === 0) throw new HyperParameterError('schedules', 'schedules must be a non-empty array of schedules');
  schedules.forEach((s, i) => {
    if (typeof s !== 'function')
      throw new HyperParameterError('schedules', `schedules[${i}] must be a schedule, (step) => number, got ${String(s)} (wrap a number with constant(v))`);
  });
  const bounds = checkBoundaries('boundaries', boundaries);
  if (bounds.length !== schedules.length - 1)
    throw new HyperParameterError(
      'boundaries',
      `boundaries must have one entry fewer than schedules (${schedules.length - 1} for ${schedules.length} schedules), got ${bounds.length}`,
    );
  const parts = [...schedules];
  const configs = parts.map((p) => scheduleConfigOf(p));
  const config: ScheduleConfig | string = configs.every((c) => c !== undefined)
    ? { schedule: 'joinSchedules', schedules: configs, boundaries: [...bounds] }
    : 'joinSchedules';
  return schedule(
    config,
    (t) => {
      let i = 0;
      while (i < bounds.length && t >= (bounds[i] as number)) i++;
      const v = (parts[i] as Schedule)(i === 0 ? t : t - (bounds[i - 1] as number));
      if (typeof v !== 'number') throw new HyperParameterError('schedules', `schedules[${i}] returned ${String(v)} at step ${t}, not a number`);
      return v;
    },
    'schedules',
  );
}
