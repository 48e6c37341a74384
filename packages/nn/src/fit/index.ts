export type { BatchLogs, EpochLogs, FitCallback, FitRun, History } from './callbacks.js';
export { type CheckpointDestination, type CheckpointOptions, checkpoint } from './checkpoint.js';
export { type EarlyStopping, type EarlyStoppingOptions, earlyStopping } from './early-stopping.js';
export { fit } from './fit.js';
export { accuracy, type Metric, type MetricFn } from './metrics.js';
export type { MonitorMode } from './monitored.js';
export type { FitData, FitOptions, GradientObservation, GradientObserver, NonFiniteLoss } from './options.js';
export { type ProgressBarOptions, type ProgressStream, progressBar } from './progress-bar.js';
