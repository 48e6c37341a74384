// Attention statistics and the attention-logit-growth finding. (Stub: filled in by issue 15's attention work.)

import type { Remedies } from './remedies.js';
import type { AttentionStats, Finding } from './report.js';
import type { DiagnoseInput } from './rules.js';

/** The attention statistics of each attention layer among the taps (undefined when there is none). */
export function attentionStats(_input: DiagnoseInput): AttentionStats[] | undefined {
  return undefined;
}

/** The attention findings of the statistics. */
export function attentionFindings(_input: DiagnoseInput, _stats: readonly AttentionStats[] | undefined, _remedies: Remedies): Finding[] {
  return [];
}
