// A made-up result file for the tests of the tables and the README (report*.test.ts).
import { type BackendResult, FORMAT } from './report.js';

/** A backend's result with nothing measured, machine and source made up, and `fields` set. */
export function madeUpResult(backend: string, fields: Partial<BackendResult> = {}): BackendResult {
  return {
    format: FORMAT,
    backend,
    backendInfo: { name: backend, simd: true, threads: false, fallbacks: [], described: `${backend} described` },
    machine: { os: 'Linux', cpu: 'Made-up CPU', cores: 2, memoryGiB: 8, node: 'v20', tfjs: '4.22.0', loadAverageAtStart: 0 },
    command: 'test',
    source: { commit: 'abc', changed: [] },
    startedAt: new Date(0).toISOString(),
    seconds: 1,
    loadAverageAtEnd: 0,
    overhead: [],
    optimizerStep: { rows: [] },
    endToEnd: null,
    peer: [],
    profiles: [],
    notes: [],
    ...fields,
  } as unknown as BackendResult;
}
