export { type Act, type ActOptions, act } from './act.js';
export { avgPool2d } from './avg-pool2d.js';
export { type Batches, type BatchOptions, batches, type Dataset } from './batches.js';
export { type Conv1d, type Conv1dOptions, conv1d } from './conv1d.js';
export { type Conv2d, type Conv2dOptions, conv2d } from './conv2d.js';
export { type Dense, type DenseOptions, type DenseParams, type DenseParamsNoBias, dense } from './dense.js';
export { type Dropout, type DropoutBuffers, type DropoutOptions, dropout } from './dropout.js';
export { type Embedding, type EmbeddingOptions, type EmbeddingParams, embedding } from './embedding.js';
export {
  accuracy,
  type BatchLogs,
  type CheckpointDestination,
  type CheckpointOptions,
  checkpoint,
  type EarlyStopping,
  type EarlyStoppingOptions,
  type EpochLogs,
  earlyStopping,
  type FitCallback,
  type FitData,
  type FitOptions,
  type FitRun,
  fit,
  type GradientObservation,
  type GradientObserver,
  type History,
  type Metric,
  type MetricFn,
  type MonitorMode,
  type NonFiniteLoss,
  type ProgressBarOptions,
  type ProgressStream,
  progressBar,
} from './fit/index.js';
export { flatten } from './flatten.js';
export { globalAvgPool2d, type ShapeModule, type ShapeModuleOptions } from './global-avg-pool2d.js';
export { type Gru, type GruOptions, type GruParams, type GruParamsNoBias, gru } from './gru.js';
export type { ActivationSpec } from './internal/activation.js';
export type { Padding, SpatialSize } from './internal/conv-geometry.js';
export type { ConvLayer, ConvOptions, ConvParams, ConvParamsNoBias } from './internal/conv-types.js';
export type { Pool2d, Pool2dOptions } from './internal/pool-base.js';
export type { Recurrent, RecurrentOptions } from './internal/recurrent-options.js';
export { type BinaryCrossEntropyOptions, binaryCrossEntropyWithLogits } from './losses/binary-cross-entropy-with-logits.js';
export type { Reduction } from './losses/check.js';
export { type MeanSquaredErrorOptions, meanSquaredError } from './losses/mean-squared-error.js';
export { type SoftmaxCrossEntropyOptions, softmaxCrossEntropy } from './losses/softmax-cross-entropy.js';
export { type Lstm, type LstmOptions, type LstmParams, type LstmParamsNoBias, lstm } from './lstm.js';
export { maxPool2d } from './max-pool2d.js';
export {
  type MultiHeadAttention,
  type MultiHeadAttentionBuffers,
  type MultiHeadAttentionOptions,
  type MultiHeadAttentionParams,
  type MultiHeadAttentionParamsNoBias,
  multiHeadAttention,
} from './multi-head-attention.js';
export { nameScope } from './name-scope.js';
export { l1Penalty, l2Penalty, type PenaltyOptions } from './penalties.js';
export { type RecalibrateBatchNormOptions, type RecalibrationBatch, recalibrateBatchNorm } from './recalibrate-batch-norm.js';
export { type ProjectedResidualParams, type Residual, type ResidualOptions, type ResidualParams, residual } from './residual.js';
export { type Sequential, type SequentialParams, sequential } from './sequential.js';
export { type SimpleRnn, type SimpleRnnOptions, type SimpleRnnParams, type SimpleRnnParamsNoBias, simpleRnn } from './simple-rnn.js';
export { syncBuffers } from './sync-buffers.js';
export {
  type BlockNormParams,
  type TransformerBlock,
  type TransformerBlockBuffers,
  type TransformerBlockOptions,
  type TransformerBlockParams,
  transformerBlock,
} from './transformer-block.js';
