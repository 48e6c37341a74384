// STUB (issue 17, owner: helper "diagnose"): replaced by the implementation.
import type { DiagnoseOptions, DoctorTarget, ModelDiagnosis } from './doctor-types.js';

/**
 * Diagnoses a model on the user's data: a short probe fit on a copy from the model's current weights
 * (the model itself is not changed), with the full diagnostics, and the remedies as code that apply.
 *
 * @example
 * ```ts
 * const d = await diagnoseModel(model, { data: { x, y }, budget: 100 });
 * console.log(d.verdict, d.findings.map((f) => f.kind));
 * ```
 */
export async function diagnoseModel(target: DoctorTarget, options: DiagnoseOptions): Promise<ModelDiagnosis> {
  void target;
  void options;
  throw new Error('diagnoseModel: not implemented yet');
}
