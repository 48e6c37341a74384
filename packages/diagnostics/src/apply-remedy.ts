// STUB (issue 17, owner: helper "remedies").
import type { DoctorSettings, DoctorTarget, RemediedModel, RemedyAction } from './doctor-types.js';

/**
 * Applies one remedy to a copy of `target` (the target is not changed): the remedied model and the
 * optimizer to train it with.
 *
 * @example
 * ```ts
 * const { target: fixed, optimizer } = applyRemedy(model, diagnosis.remedies[0], diagnosis.settings);
 * ```
 */
export function applyRemedy(target: DoctorTarget, action: RemedyAction, settings: DoctorSettings): RemediedModel {
  void target;
  void action;
  void settings;
  throw new Error('applyRemedy: not implemented yet');
}
