// STUB (issue 17, owner: helper "diagnose"): the probe fit shared by diagnoseModel and tryRemedies.
import type { GradientTransformation } from '@gradkit/core';
import type * as tf from '@tensorflow/tfjs-core';
import type { DoctorData, DoctorProgress, DoctorSettings, DoctorTarget, SpikeStats } from './doctor-types.js';
import type { Finding, GradientReport, Verdict } from './report.js';

/** One probe fit: a target (already a copy: it is trained in place), how to train it, the data. */
export interface ProbeFitSpec {
  readonly target: DoctorTarget;
  /** tf.Optimizer for tfjs-layers targets; a gradkit transformation for gradkit targets. */
  readonly optimizer: tf.Optimizer | GradientTransformation;
  readonly settings: DoctorSettings;
  readonly data: DoctorData;
  /** Shown in progress (`'baseline'`, a remedy's name). */
  readonly phase: string;
  readonly onProgress?: (progress: DoctorProgress) => void;
}

/** What a probe fit measured. */
export interface ProbeFitResult {
  readonly verdict: Verdict;
  readonly findings: readonly Finding[];
  readonly reports: readonly GradientReport[];
  readonly losses: readonly number[];
  readonly initialLoss: number;
  readonly finalLoss: number;
  readonly spikes: SpikeStats;
}

/** Trains `spec.target` for `spec.settings.budget` steps, watched by a GradientMonitor; same batches for every call with the same settings and data. */
export async function probeFit(spec: ProbeFitSpec): Promise<ProbeFitResult> {
  void spec;
  throw new Error('probeFit: not implemented yet');
}
