// A hand-made StepProfile for the renderer's tests (not part of the package's surface).
import type { StepProfile } from './types.js';

/** A wasm optimizer step: 10 ms of kernels, 70% of them in the backward pass. */
export const SAMPLE_PROFILE: StepProfile = {
  format: 'gradkit-step-profile',
  version: 1,
  target: 'optimizer',
  backend: 'wasm',
  fastPaths: true,
  timing: 'wall-clock',
  settings: { warmup: 2, steps: 5, timedSteps: 10 },
  stepMs: { median: 12, p10: 11.5, p90: 13 },
  profiledStepMs: 15,
  kernelMs: 10,
  phases: { forward: { ms: 2, calls: 3, bytes: 131076 }, backward: { ms: 7, calls: 6, bytes: 4 }, update: { ms: 1, calls: 1, bytes: 0 } },
  kernels: [
    { name: 'BatchMatMul', phase: 'backward', calls: 1, ms: 6, bytes: 65536, shapes: '[128,64]·[128,256]' },
    { name: 'Relu', phase: 'forward', calls: 1, ms: 1.5, bytes: 131072, shapes: '[128,256]' },
    { name: 'Sum', phase: 'forward', calls: 1, ms: 0.5, bytes: 4, shapes: '[128,256]' },
  ],
  customOps: [],
  notes: ['kernel times are wall-clock times'],
};
