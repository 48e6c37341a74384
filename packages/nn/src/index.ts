export { type Act, type ActOptions, act } from './act.js';
export { type Batches, type BatchOptions, batches, type Dataset } from './batches.js';
export { type Dense, type DenseOptions, type DenseParams, type DenseParamsNoBias, dense } from './dense.js';
export { type Dropout, type DropoutOptions, dropout } from './dropout.js';
export type { ActivationSpec } from './internal/activation.js';
export { nameScope } from './name-scope.js';
export { l1Penalty, l2Penalty, type PenaltyOptions } from './penalties.js';
export { type ProjectedResidualParams, type Residual, type ResidualOptions, type ResidualParams, residual } from './residual.js';
export { type Sequential, type SequentialParams, sequential } from './sequential.js';
