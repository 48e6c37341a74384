// STUB (issue 17, owner: helper "remedies").
import type { DoctorTarget, ModelDiagnosis, RemedyAction } from './doctor-types.js';

/**
 * The remedies as code for a diagnosis of `target`: one action per remedy that answers a finding,
 * with its parameters measured on this model, and those that cannot be applied with why.
 *
 * @example
 * ```ts
 * const actions = remedyActions(model, diagnosis);
 * ```
 */
export function remedyActions(target: DoctorTarget, diagnosis: Omit<ModelDiagnosis, 'remedies'>): RemedyAction[] {
  void target;
  void diagnosis;
  return [];
}
