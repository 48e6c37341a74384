// STUB (issue 17, owner: helper "remedies").
import type { DoctorTarget, RemedyTrial, TryRemediesOptions } from './doctor-types.js';

/**
 * Tries each remedy on a copy of the model from the same initial weights for the same budget, and
 * ranks them by the measured outcome beside the untouched baseline.
 *
 * @example
 * ```ts
 * const t = await tryRemedies(model, { data, budget: 100 });
 * console.log(t.recommended?.name ?? 'nothing to change');
 * ```
 */
export async function tryRemedies(target: DoctorTarget, options: TryRemediesOptions): Promise<RemedyTrial> {
  void target;
  void options;
  throw new Error('tryRemedies: not implemented yet');
}
