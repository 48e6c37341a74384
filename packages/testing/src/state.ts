// What the harness's setup file learnt about the backend of this test file, shared with the helpers.
// Kept on globalThis so that a second copy of this module (say, one imported through a different
// path) sees the same state.
import type { BackendInfo, BackendName } from '@gradkit/core';

/** The harness's view of the backend a test file runs on. @example `harnessState().backend // 'wasm'` */
export interface HarnessState {
  /** The backend this vitest project is for (its name), or null outside the harness. */
  backend: BackendName | null;
  /** What `useBackend` started, once the setup file's `beforeAll` has run. */
  info: BackendInfo | null;
  /** Why the backend could not start, when its tests are skipped (never set under CI=true). */
  unavailable: string | null;
}

const KEY = Symbol.for('gradkit.testing.harness');

/** The shared harness state (created on first use). @example `harnessState().info?.simd` */
export function harnessState(): HarnessState {
  const g = globalThis as { [KEY]?: HarnessState };
  g[KEY] ??= { backend: null, info: null, unavailable: null };
  return g[KEY];
}

/**
 * The metadata the setup file attaches to each test module (`task.meta.gradkit`) for the summary
 * reporter. Plain JSON: it crosses from the test worker to the main process.
 */
export interface ModuleBackendMeta {
  /** The backend the project asked for. */
  backend: string;
  /** What actually started (absent when it could not start). */
  info?: BackendInfo;
  /** Why it could not start, when the module's tests were skipped. */
  unavailable?: string;
}

/**
 * The fields the harness adds to vitest's task metadata: `gradkit` on test modules (by the setup
 * file's `beforeAll`), `gradkitTensorsLeft` on tests that left tensors allocated. Plain JSON.
 */
export interface GradkitTaskMeta {
  gradkit?: ModuleBackendMeta;
  gradkitTensorsLeft?: number;
  /** On hostile-input tests (`hostileCases`): how the bad input was met. */
  gradkitHostile?: 'typed' | 'misnamed' | 'changed' | 'raw' | 'silent';
}
