export { applyRemedy, savableOptimizer } from './apply-remedy.js';
export { type HessianEigenOptions, type HessianEigenResult, hessianTopEigenvalue } from './curvature.js';
export { diagnoseModel } from './diagnose-model.js';
export type {
  CurvatureEstimate,
  DiagnoseOptions,
  DoctorData,
  DoctorProgress,
  DoctorSettings,
  DoctorTarget,
  GradkitModelTarget,
  LayersModelLike,
  ModelDiagnosis,
  RemediedModel,
  RemedyAction,
  RemedyOutcome,
  RemedyTrial,
  SpikeStats,
  TryRemediesOptions,
} from './doctor-types.js';
export { edgeOfStabilityFinding } from './edge-of-stability.js';
export { type FormatTextOptions, formatText } from './format-text.js';
export { type GradCheckElement, type GradCheckLeaf, type GradCheckOptions, type GradCheckResult, gradCheck } from './grad-check.js';
export { type HtmlOptions, toHTML } from './html.js';
export { resolveLoss } from './infer-loss.js';
export { type InspectOptions, inspectGradients } from './inspect.js';
export { fromJSON, type ReportCollection, type ReportConfig, type ReportDocument, toJSON } from './json.js';
export { type GradientCallback, type GradientCallbackOptions, gradientCallback, type ModelWithOptimizer } from './layers-callback.js';
export { GradientMonitor, type GradientMonitorOptions, type MonitorObservation, type MonitorTrends, reportTrends } from './monitor.js';
export {
  type MonitorGradientsOptions,
  type MonitorGradientsState,
  type MonitorGradientsTransformation,
  monitorGradients,
  type ResolvedMonitorGradientsOptions,
} from './monitor-gradients.js';
export type { ActivationKinds, ActivationsInput } from './observe.js';
export type { ProbeInput } from './probe.js';
export { type FormatProfileOptions, formatProfile } from './profile/format-profile.js';
export { profileStep } from './profile/profile-step.js';
export type {
  KernelRow,
  KernelTiming,
  LayersModelTarget,
  LossTarget,
  OptimizerTarget,
  PhaseTotals,
  ProfileStepOptions,
  ProfileTarget,
  StepPhase,
  StepProfile,
  TrainableModel,
} from './profile/types.js';
export { REMEDY_NAMES, type RemedyName, remedyAction, remedyActions } from './remedy-actions.js';
export type {
  ActivationKind,
  ActivationReport,
  AttentionStats,
  Finding,
  FindingKind,
  GradientReport,
  LayerReport,
  TemporalProfile,
  Verdict,
} from './report.js';
export { DEFAULT_THRESHOLDS, type DiagnosticsThresholds } from './thresholds.js';
export { tryRemedies } from './try-remedies.js';
