import { describe, expect, it } from 'vitest';
import { isCI } from './ci.js';
import { type BackendRow, describeBackend, summarize } from './summary.js';

const row = (backend: string, over: Partial<BackendRow> = {}): BackendRow => ({
  backend,
  files: 2,
  passed: 10,
  failed: 0,
  skipped: 1,
  errors: 0,
  tensorsLeft: 0,
  ...over,
});
const TOTALS = /^(\w+: )?\d+ passed, \d+ failed(, \d+ skipped)?$/;

describe('summarize', () => {
  it('prints one row per backend and the totals alone on the last line', () => {
    const { lines, ok, problems } = summarize([
      row('cpu', { info: { name: 'cpu', simd: false, threads: false, threadCount: 1, fallbacks: [] } }),
      row('wasm', { passed: 9, failed: 1, info: { name: 'wasm', simd: true, threads: false, threadCount: 1, fallbacks: [] } }),
      row('webgpu', {
        info: {
          name: 'webgpu',
          simd: false,
          threads: false,
          threadCount: 1,
          fallbacks: [],
          adapter: { vendor: 'google', architecture: 'swiftshader', device: 'd', description: 'SwiftShader driver 5.0.0' },
        },
      }),
    ]);
    expect(ok).toBe(true);
    expect(problems).toEqual([]);
    expect(lines.at(-1)).toBe('tests: 29 passed, 1 failed, 3 skipped');
    expect(lines.at(-1)).toMatch(TOTALS);
    const table = lines.join('\n');
    expect(table).toMatch(/^ {2}backend +files +passed +failed +skipped +unfreed +started$/m);
    expect(table).toMatch(/^ {2}cpu +2 +10 +0 +1 +0 +cpu$/m);
    expect(table).toMatch(/^ {2}wasm +2 +9 +1 +1 +0 +wasm, SIMD on, threads off$/m);
    expect(table).toMatch(/^ {2}webgpu +2 +10 +0 +1 +0 +webgpu, adapter "SwiftShader driver 5\.0\.0" \(google swiftshader\)$/m);
  });

  it('fails a run in which a backend ran no tests, or no files', () => {
    const none = summarize([row('cpu'), row('wasm', { passed: 0, skipped: 12 }), row('webgpu', { files: 0, passed: 0, skipped: 0 })]);
    expect(none.ok).toBe(false);
    expect(none.problems).toEqual(['wasm: ran 0 tests (every test was skipped or none was collected)', 'webgpu: no test file ran']);
    expect(none.lines.join('\n')).toContain('FAIL wasm: ran 0 tests');
    expect(none.lines.at(-1)).toMatch(TOTALS);
  });

  it('accepts a backend skipped for want of an adapter, and prints why', () => {
    const s = summarize([row('cpu'), row('webgpu', { passed: 0, skipped: 11, unavailable: 'Dawn found no GPU adapter' })]);
    expect(s.ok).toBe(true);
    expect(s.lines.join('\n')).toMatch(/^ {2}webgpu .* skipped: Dawn found no GPU adapter$/m);
    expect(s.lines.at(-1)).toBe('tests: 10 passed, 0 failed, 12 skipped');
  });

  it('counts errors outside tests and unhandled errors as failures', () => {
    const s = summarize([row('cpu', { errors: 2, failed: 1 })], 1);
    expect(s.lines.at(-1)).toBe('tests: 10 passed, 4 failed, 1 skipped');
    expect(s.lines.join('\n')).toContain('3 (2 outside tests)');
    expect(s.lines.join('\n')).toContain('1 unhandled error (counted as failed)');
  });
});

describe('describeBackend', () => {
  it('names SIMD and threads for wasm and the adapter for webgpu', () => {
    expect(describeBackend({ name: 'wasm', simd: false, threads: true, threadCount: 2, fallbacks: [] })).toBe('wasm, SIMD off, threads on');
    expect(
      describeBackend({
        name: 'webgpu',
        simd: false,
        threads: false,
        threadCount: 1,
        fallbacks: [],
        adapter: { vendor: '', architecture: '', device: 'dev', description: '' },
      }),
    ).toBe('webgpu, adapter "dev"');
    expect(describeBackend({ name: 'webgpu', simd: false, threads: false, threadCount: 1, fallbacks: [] })).toBe('webgpu, adapter unknown');
  });
});

describe('isCI', () => {
  it('is true for CI=true and similar, false when unset, empty, 0 or false', () => {
    expect(isCI({ CI: 'true' })).toBe(true);
    expect(isCI({ CI: '1' })).toBe(true);
    expect(isCI({})).toBe(false);
    expect(isCI({ CI: '' })).toBe(false);
    expect(isCI({ CI: 'false' })).toBe(false);
    expect(isCI({ CI: '0' })).toBe(false);
  });
});
