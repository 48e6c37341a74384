// End-to-end checks of the harness's contract, by running vitest itself on the harness's smoke test
// with the root config: a missing WebGPU adapter skips the webgpu tests with the reason, except under
// CI=true where it fails; a backend that runs no test fails the run; the output ends with the totals.
// They spawn vitest, so they run once (in the cpu project), not once per backend.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, inject, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const vitestBin = join(dirname(createRequire(import.meta.url).resolve('vitest/package.json')), 'vitest.mjs');
const TARGET = 'packages/testing/src/harness.test.ts';
const TOTALS = /^(\w+: )?(\d+) passed, (\d+) failed(, (\d+) skipped)?$/;

interface Run {
  code: number | null;
  output: string;
  lastLine: string;
}

/** Runs `vitest run <args>` at the repository root with `env` added (and vitest's own worker variables removed). */
function vitest(args: string[], env: Record<string, string | undefined>): Promise<Run> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(VITEST|TINYPOOL|CI$)/.test(k)));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [vitestBin, 'run', ...args], {
      cwd: root,
      env: { ...base, NO_COLOR: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output, lastLine: output.trimEnd().split('\n').at(-1) ?? '' }));
  });
}

const NO_ADAPTER = { VK_ICD_FILENAMES: '/nonexistent/gradkit-test-icd.json' };

describe.runIf(inject('gradkitBackend') === 'cpu').concurrent('harness contract (vitest run in a child process)', () => {
  it('skips the webgpu tests with the reason when no adapter can be had, outside CI', async () => {
    const run = await vitest(['--project', 'webgpu', TARGET], NO_ADAPTER);
    expect(run.code, run.output).toBe(0);
    expect(run.output).toMatch(/^ {2}webgpu +1 +0 +0 +4 +0 +skipped: .*(adapter|ICD).*$/m);
    expect(run.lastLine).toBe('tests: 0 passed, 0 failed, 4 skipped');
  }, 120_000);

  it('fails the webgpu tests under CI=true when no adapter can be had', async () => {
    const run = await vitest(['--project', 'webgpu', TARGET], { ...NO_ADAPTER, CI: 'true' });
    expect(run.code, run.output).toBe(1);
    expect(run.output).toContain('WebGPU could not start, and CI=true requires the webgpu tests to run');
    const [, , passed, failed] = TOTALS.exec(run.lastLine) ?? [];
    expect(passed).toBe('0');
    expect(Number(failed)).toBeGreaterThan(0);
  }, 120_000);

  it('fails a run in which a backend ran no tests, and ends with the totals line', async () => {
    const run = await vitest(['--project', 'cpu', '--project', 'wasm', TARGET, '-t', '^no test has this name$'], {});
    expect(run.code, run.output).toBe(1);
    expect(run.output).toContain('FAIL cpu: ran 0 tests');
    expect(run.output).toContain('FAIL wasm: ran 0 tests');
    expect(run.lastLine).toMatch(TOTALS);
  }, 120_000);

  it('passes and ends with the totals line when every backend ran', async () => {
    const run = await vitest(['--project', 'cpu', '--project', 'wasm', TARGET], {});
    expect(run.code, run.output).toBe(0);
    expect(run.output).toMatch(/^ {2}wasm +1 +4 +0 +0 +0 +wasm, SIMD on/m);
    expect(run.lastLine).toBe('tests: 8 passed, 0 failed, 0 skipped');
  }, 120_000);
});
