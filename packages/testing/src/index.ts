export { backendInfo, currentBackend } from './backend.js';
export { AssertionError, type CloseOptions, expectClose, type NestedNumbers, type Numeric } from './expect-close.js';
export { expectNoLeaks, type NoLeakOptions } from './expect-no-leaks.js';
export { expectFusedParity, type FusedParityOptions, PARITY_SHAPES, spread } from './fused-parity.js';
export { expectTypedRejection, type HostileCase, type HostileContext, type HostileOutcome, hostileCases, type WatchedOptimizer } from './hostile.js';
export { smallOutputMatMul } from './small-output-matmul.js';
export { type GradkitTaskMeta, type HarnessState, harnessState, type ModuleBackendMeta } from './state.js';
export { backendTolerance, DEFAULT_TOLERANCES, type Tolerance } from './tolerance.js';
