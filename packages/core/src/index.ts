import './register.js';

export { type GradsOf, grad, type ValueAndGrads, valueAndGrad } from './autograd.js';
export { AUTO_ORDER, BACKEND_PACKAGES, type BackendName, isBackendName } from './backend/names.js';
export { type BackendChoice, type BackendInfo, type UseBackendOptions, useBackend } from './backend/use-backend.js';
export { type CheckpointContents, type LoadedCheckpoint, loadCheckpoint, saveCheckpoint } from './checkpoint/checkpoint.js';
export { onRestore, runRestoreHooks } from './checkpoint/restore-hooks.js';
export {
  type ChainConfig,
  type RegisterOptions,
  registeredNames,
  registerSchedule,
  registerTransformation,
  type ScheduleConfig,
  type ScheduleFactory,
  scheduleConfigOf,
  scheduleFromConfig,
  type TransformationConfig,
  type TransformationFactory,
  type TransformConfig,
  transformationFromConfig,
  transformationToConfig,
  withConfig,
} from './config.js';
export * from './errors.js';
export { evalParams, hasEvalPoint, type PointMode, trainParams } from './eval-point.js';
export { type FastPath, fastPaths, fastPathsEnabled, setFastPaths } from './fast-paths/index.js';
export {
  checkHyper,
  checkNumberOption,
  defineHyperParams,
  type HyperParam,
  type HyperParams,
  type HyperRange,
  type HyperSpec,
  resolveHyper,
  type Schedule,
} from './hyper.js';
export {
  chooseWasmVariant,
  tfjsWasmMemory,
  type WasmBuilds,
  type WasmVariant,
  wasmKernelCache,
  wasmScratch,
  wasmSimdSupported,
} from './kernels/wasm.js';
export {
  GPU_BUFFER_USAGE,
  GPU_SHADER_STAGE_COMPUTE,
  type GpuBindGroupEntry,
  type GpuBinding,
  type GpuBindingKind,
  type GpuBuffer,
  type GpuDevice,
  type GpuEncoder,
  type GpuHandle,
  type GpuPass,
  type GpuPipeline,
  getOrCreate,
  gpuBindGroup,
  gpuBufferOf,
  gpuPipeline,
  type WebGpuBackend,
} from './kernels/webgpu.js';
export type { ApplyOptions, Module } from './module.js';
export { type FusedKernelArgs, type FusedKernelConfig, findFusedKernel, registerFusedKernel, unregisterFusedKernel } from './optimizer/fused.js';
export { Optimizer, type OptimizerOptions, type SavedOptimizerState, type StepExtras, type StepPath } from './optimizer/optimizer.js';
export { decodeSavedTensor, encodeSavedTensor, type SavedTensor } from './optimizer/state-codec.js';
export { type CheckOptionsSettings, checkOptions, describeValue, optionOr, suggestOption, unknownOption } from './options.js';
export { type PartitionLabels, type PartitionState, partition } from './partition.js';
export { randomSeed, resolveSeed, Xoshiro128 } from './random.js';
export { setToZero } from './set-to-zero.js';
export { type TapRecord, type Taps, tap, withTaps } from './taps.js';
export {
  applyUpdates,
  assertTransformation,
  chain,
  checkSameTensorType,
  type EvalPoint,
  type GradientTransformation,
  isTransformation,
  type StateLeaf,
  type StateTree,
  type TransformationGroups,
  type TransformResult,
  type UpdateExtras,
} from './transform.js';
export { alignLeaves, assertSameStructure, flatten, type GradTree, map, type ParamTree, paths, type Tree, type TreeEntry, unflatten, zip } from './tree.js';
