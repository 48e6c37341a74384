import type { Schedule } from '@gradkit/core';
import { checkInteger, checkNumber, checkScheduleOptions, orDefault, POSITIVE, schedule } from './validate.js';

/** Options of `oneCycle` (PyTorch's `OneCycleLR`). @example `{ maxValue: 0.1, totalSteps: 1000 }` */
export interface OneCycleOptions {
  /** The peak value (finite, > 0), reached at the end of the first phase. */
  readonly maxValue: number;
  /** Steps in the cycle (an integer ≥ 1); from step `totalSteps − 1` on the value stays at its last value. */
  readonly totalSteps: number;
  /** Fraction of the cycle spent increasing (in [0, 1]; default 0.3). */
  readonly pctStart?: number;
  /** The value at step 0 is `maxValue / divFactor` (> 0; default 25). */
  readonly divFactor?: number;
  /** The final value is `maxValue / divFactor / finalDivFactor` (> 0; default 1e4). */
  readonly finalDivFactor?: number;
}

/**
 * The 1cycle policy (Smith & Topin 2017, "Super-Convergence"), cosine annealing in two phases:
 * from η_max/divFactor up to η_max until step `pctStart·totalSteps − 1`, then down to
 * η_max/divFactor/finalDivFactor at step `totalSteps − 1`. In each phase ηₜ = end + (start − end)/2·(1 +
 * cos(π·pct)), pct running from 0 to 1 over the phase.
 *
 * PyTorch: `OneCycleLR(opt, max_lr, total_steps, pct_start, anneal_strategy='cos', div_factor,
 * final_div_factor, three_phase=False)`, with exactly its phase boundaries, step for step over steps
 * 0 … total_steps − 1 (momentum cycling is not part of this schedule: pass a second schedule to
 * the momentum). Differences: after the last step PyTorch raises, here the value stays at its
 * step-(totalSteps − 1) value; where PyTorch divides by zero (`pctStart·totalSteps = 1`) step 0
 * gets `maxValue`. optax: `cosine_onecycle_schedule`.
 *
 * @throws HyperParameterError naming the field: `maxValue`, `divFactor` or `finalDivFactor` not
 *   finite and > 0, `totalSteps` not an integer ≥ 1, `pctStart` outside [0, 1]; the schedule throws
 *   one naming 'step' for a step that is not an integer ≥ 0.
 * @example
 * ```ts
 * const opt = new Optimizer(params, sgd({ learningRate: oneCycle({ maxValue: 0.1, totalSteps: 1000 }), momentum: 0.9 }));
 * ```
 */
export function oneCycle(options: OneCycleOptions): Schedule {
  checkScheduleOptions(
    'oneCycle',
    options,
    ['maxValue', 'totalSteps', 'pctStart', 'divFactor', 'finalDivFactor'],
    'oneCycle({ maxValue: 0.1, totalSteps: 1000 })',
  );
  const maxValue = checkNumber('maxValue', options.maxValue, POSITIVE);
  const totalSteps = checkInteger('totalSteps', options.totalSteps, 1);
  const pctStart = checkNumber('pctStart', orDefault(options.pctStart, 0.3), { min: 0, max: 1 });
  const divFactor = checkNumber('divFactor', orDefault(options.divFactor, 25), POSITIVE);
  const finalDivFactor = checkNumber('finalDivFactor', orDefault(options.finalDivFactor, 1e4), POSITIVE);
  const initialValue = maxValue / divFactor;
  const minValue = initialValue / finalDivFactor;
  // PyTorch's _schedule_phases for three_phase=False.
  const phases = [
    { endStep: pctStart * totalSteps - 1, start: initialValue, end: maxValue },
    { endStep: totalSteps - 1, start: maxValue, end: minValue },
  ];
  const anneal = (start: number, end: number, pct: number) => end + ((start - end) / 2) * (Math.cos(Math.PI * pct) + 1);
  return schedule({ schedule: 'oneCycle', maxValue, totalSteps, pctStart, divFactor, finalDivFactor }, (t) => {
    const step = Math.min(t, totalSteps - 1);
    let startStep = 0;
    for (const [i, phase] of phases.entries()) {
      if (step <= phase.endStep || i === phases.length - 1) {
        const length = phase.endStep - startStep;
        return anneal(phase.start, phase.end, length === 0 ? 1 : (step - startStep) / length);
      }
      startStep = phase.endStep;
    }
    /* c8 ignore next */
    return minValue;
  });
}
