// Gradient flow through time: from the step taps of recurrent layers, ‖∂L/∂hₜ‖ over t and the
// vanishing/exploding-through-time findings. (Stub: filled in by the temporal work of issue 15.)

import type { Remedies } from './remedies.js';
import type { Finding, TemporalProfile } from './report.js';
import type { DiagnoseInput } from './rules.js';

/** The temporal profile of each recurrent layer among the taps (undefined when there is none). */
export function temporalProfiles(_input: DiagnoseInput): TemporalProfile[] | undefined {
  return undefined;
}

/** The through-time findings of the profiles. */
export function temporalFindings(_input: DiagnoseInput, _profiles: readonly TemporalProfile[] | undefined, _remedies: Remedies): Finding[] {
  return [];
}
