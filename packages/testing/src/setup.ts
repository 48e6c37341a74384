// The harness's setup file: vitest runs it before every test file, in each backend project. It starts
// the project's backend (`provide: { gradkitBackend }` in the root vitest.config.ts), records what
// started for the summary reporter, and tracks the tensors each test leaves allocated.
//
// When WebGPU cannot start (no adapter, no SwiftShader), the file's tests are skipped with the reason,
// except under CI=true, where that is a failure: CI must prove the webgpu path.
import { type BackendName, isBackendName, useBackend } from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeAll, beforeEach, inject } from 'vitest';
import { isCI } from './ci.js';
import { type GradkitTaskMeta, harnessState } from './state.js';

declare module 'vitest' {
  interface ProvidedContext {
    /** The backend of the vitest project (set by the root vitest.config.ts). */
    gradkitBackend: BackendName;
  }
}

const state = harnessState();
const requested = inject('gradkitBackend');
if (!isBackendName(requested)) {
  throw new Error(
    `@gradkit/testing's setup file needs provide: { gradkitBackend: 'cpu' | 'wasm' | 'webgpu' } in the vitest project, got ${JSON.stringify(requested)}`,
  );
}
state.backend = requested;

// The backend starts before the test file is collected, so that module-level code of test files
// (tensors made once for the whole file, `describe.skipIf(currentBackend() === …)`) runs on it.
try {
  state.info = await useBackend(requested);
} catch (e) {
  const reason = (e as Error).message;
  if (requested !== 'webgpu') throw new Error(`the ${requested} backend did not start: ${reason}`);
  if (isCI()) throw new Error(`WebGPU could not start, and CI=true requires the webgpu tests to run: ${reason}`);
  state.unavailable = reason;
  // Every test of the file is skipped (beforeEach below); cpu lets its module-level code still load.
  await useBackend('cpu');
}

beforeAll((file) => {
  (file.meta as GradkitTaskMeta).gradkit = state.unavailable
    ? { backend: requested, unavailable: state.unavailable }
    : { backend: requested, info: JSON.parse(JSON.stringify(state.info)) };
});

let tensorsAtStart = 0;

beforeEach((context) => {
  if (state.unavailable) context.skip(`webgpu could not start: ${state.unavailable}`);
  tensorsAtStart = tf.memory().numTensors;
});

afterEach((context) => {
  if (state.unavailable || !state.info) return;
  const left = tf.memory().numTensors - tensorsAtStart;
  if (left > 0) (context.task.meta as GradkitTaskMeta).gradkitTensorsLeft = left;
});
