// The CLI end to end, in-process through `main` (the code path of the `gradient-lab` binary) on the
// test's backend: a tiny `compare` and `run` on a few real digits, the report files, and every bad input.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BackendChoice, BackendError, type BackendInfo, type BackendName, useBackend } from '@gradkit/core';
import { currentBackend } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { loadMnist } from './data.js';
import { EXIT, type LabIO, main } from './main.js';

const backend = currentBackend() as BackendName;
const here =
  (backendInfo: Partial<BackendInfo> = {}) =>
  async (): Promise<BackendInfo> => ({ name: backend, simd: false, threads: false, threadCount: 1, fallbacks: [], ...backendInfo });

/** An IO that records what the CLI writes; `useBackend` keeps the test's backend unless replaced. */
function capture(overrides: Partial<LabIO> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const io: LabIO = {
    stdout: { write: (t) => out.push(t), isTTY: false, columns: 120 },
    stderr: { write: (t) => err.push(t) },
    useBackend: here(),
    debug: false,
    ...overrides,
  };
  return { io, stdout: () => out.join(''), stderr: () => err.join('') };
}

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), `gradient-lab-${backend}-`));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A tiny but deep configuration: 10 digits of each class, 8 hidden layers of 8 units (add --steps). */
const TINY = ['--samples-per-digit', '10', '--depth', '8', '--width', '8', '--batch', '16', '--reports', '2'];

describe('gradient-lab compare, end to end on a tiny configuration', () => {
  it('diagnoses the sigmoid baseline as vanishing and ReLU + He as healthy, prints the table and writes report.html and report.json', {
    timeout: 240_000,
  }, async () => {
    const out = tempDir();
    const before = tf.memory().numTensors;
    const { io, stdout, stderr } = capture();
    const code = await main(['compare', '--only', 'baseline,relu-he', ...TINY, '--steps', '3', '--out', out, '--backend', backend], io);
    expect(stderr()).toBe('');
    expect(code).toBe(EXIT.ok);
    expect(tf.memory().numTensors).toBe(before);

    const text = stdout();
    expect(text).toContain('data: 100 training and 100 test digits');
    expect(text).toMatch(/\[1\/2\] baseline: sigmoid, naive init 3\/3 100% {2}vanishing/);
    expect(text).toMatch(/\[2\/2\] ReLU \+ He init 3\/3 100% {2}healthy/);
    expect(text).toMatch(/configuration +verdict +first\/last ‖g‖ +first\/last ‖∂L\/∂h‖ +train loss +test acc +time +literature/);
    expect(text).toMatch(/baseline: sigmoid, naive init +vanishing /);
    expect(text).toContain(join(out, 'report.html'));

    const json = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(json.format).toBe('gradient-lab-report');
    expect(json.table.map((r: { id: string }) => r.id)).toEqual(['baseline', 'relu-he']);
    expect(json.table[0]).toMatchObject({ configuration: 'baseline: sigmoid, naive init', verdict: 'vanishing', stepsTaken: 3, backend });
    expect(json.table[1]).toMatchObject({ configuration: 'ReLU + He init', verdict: 'healthy' });
    expect(json.table[0].firstLastRatio).toBeLessThan(1e-3);
    expect(json.table[0].testAccuracy).toBeGreaterThanOrEqual(0);
    expect(json.data).toMatchObject({ train: 100, test: 100 });
    expect(Array.isArray(json.notes)).toBe(true);
    expect(json.diagnostics.format).toBe('gradkit-report-collection');
    expect(json.diagnostics.configs[0].reports[0].format).toBe('gradkit-gradient-report');

    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect((html.match(/<svg/g) ?? []).length).toBeGreaterThanOrEqual(5); // loss curves + each configuration's charts
    expect(html).toContain('Gradient flow');
    expect(html).toContain('baseline: sigmoid, naive init');
    expect(html).toContain('ReLU + He init');
    expect(html).toContain('id="notes"');
    expect(html).toContain('Minibatch training loss');
  });
});

describe('gradient-lab run, end to end', () => {
  it('trains one configuration, prints the diagnostics report and the test accuracy, and writes the report with --out', { timeout: 240_000 }, async () => {
    const out = tempDir();
    const { io, stdout, stderr } = capture();
    const code = await main(['run', ...TINY, '--steps', '3', '--activation', 'relu', '--init', 'naive', '--out', out, '--backend', backend], io);
    expect(stderr()).toBe('');
    expect(code).toBe(EXIT.ok);
    const text = stdout();
    expect(text).toContain('config: depth 8×8, relu, naive init, momentum lr 0.05');
    expect(text).toMatch(/training 3\/3 100% {2}vanishing/);
    expect(text).toContain('gradient report · step'); // formatText of the diagnostics
    expect(text).toMatch(/verdict: vanishing \(\d+ reports: \d+ vanishing/);
    expect(text).toMatch(/test accuracy: \d+\.\d%/);
    expect(JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')).table[0].verdict).toBe('vanishing');
  });

  it('starts the backend it is asked for through core’s useBackend', { timeout: 120_000 }, async () => {
    const { io, stdout } = capture({ useBackend: (choice: BackendChoice) => useBackend(choice) });
    const code = await main(['run', ...TINY, '--steps', '1', '--backend', backend], io);
    expect(code).toBe(EXIT.ok);
    expect(stdout()).toContain(`backend: ${backend}`);
    expect(tf.getBackend()).toBe(backend);
  });
});

describe('bad input: a clear message and a non-zero exit, never a stack trace', () => {
  const noStack = (text: string) => expect(text).not.toMatch(/\n\s+at /);

  it('unknown flags and values list the valid ones (exit 2)', async () => {
    for (const [argv, words] of [
      [
        ['run', '--depht', '3'],
        ['unknown flag --depht', 'did you mean --depth?', '--activation'],
      ],
      [
        ['run', '--activation', 'sigmod'],
        ["--activation 'sigmod' is not valid", 'sigmoid, tanh, relu'],
      ],
      [
        ['compare', '--only', 'baseline,nope'],
        ["unknown experiment 'nope'", 'baseline, relu, glorot'],
      ],
      [['train'], ["unknown command 'train'", 'run, compare, help']],
    ] as const) {
      const { io, stdout, stderr } = capture();
      expect(await main(argv, io)).toBe(EXIT.usage);
      for (const w of words) expect(stderr()).toContain(w);
      expect(stderr()).toMatch(/^gradient-lab: /);
      expect(stdout()).toBe('');
      noStack(stderr());
    }
  });

  it('impossible configurations: depth 0, a batch larger than the data (checked before any backend starts)', async () => {
    const depth = capture();
    expect(await main(['run', '--depth', '0'], depth.io)).toBe(EXIT.usage);
    expect(depth.stderr()).toContain('--depth must be a whole number ≥ 1, got 0');
    let started = false;
    const batch = capture({
      useBackend: async () => {
        started = true;
        return here()();
      },
    });
    expect(await main(['compare', '--samples-per-digit', '5', '--batch', '64', '--backend', backend], batch.io)).toBe(EXIT.usage);
    expect(batch.stderr()).toContain('--batch 64 is larger than the training data (50 samples): use --batch ≤ 50');
    expect(started).toBe(false);
    noStack(batch.stderr());
  });

  it('a backend that cannot start is named; an explicit backend does not fall back (exit 1)', async () => {
    const choices: BackendChoice[] = [];
    const { io, stderr, stdout } = capture({
      useBackend: async (choice) => {
        choices.push(choice);
        throw new BackendError('webgpu', 'Dawn found no GPU adapter\n(more detail)');
      },
    });
    expect(await main(['run', '--backend', 'webgpu', '--samples-per-digit', '5', '--batch', '8'], io)).toBe(EXIT.failure);
    expect(choices).toEqual(['webgpu']);
    expect(stderr()).toContain("gradient-lab: backend 'webgpu' could not start: Dawn found no GPU adapter");
    expect(stderr()).toContain('does not fall back');
    expect(stdout()).not.toContain('data:');
    noStack(stderr());
  });

  it('under auto, the backends skipped are listed with their reasons', { timeout: 120_000 }, async () => {
    const { io, stdout } = capture({
      useBackend: here({ fallbacks: [{ name: 'webgpu', reason: 'the only WebGPU adapter is SwiftShader\nmore' }] }),
    });
    expect(await main(['run', ...TINY, '--steps', '1', '--backend', 'auto'], io)).toBe(EXIT.ok);
    expect(stdout()).toContain('  skipped webgpu: the only WebGPU adapter is SwiftShader\n');
  });

  it('an unexpected failure is one message (exit 1), the stack only on request', async () => {
    const { io, stderr } = capture({
      loadData: () => {
        throw new Error('disk on fire');
      },
    });
    expect(await main(['run'], io)).toBe(EXIT.failure);
    expect(stderr()).toContain("could not load the MNIST digits of the 'mnist' package: disk on fire");
    noStack(stderr());
    const data = loadMnist();
    const odd = capture({
      loadData: () => ({
        ...data,
        get train(): never {
          throw new TypeError('bad split');
        },
      }),
    });
    expect(await main(['run'], odd.io)).toBe(EXIT.failure);
    expect(odd.stderr()).toContain('gradient-lab: failed: TypeError: bad split');
    expect(odd.stderr()).toContain('GRADIENT_LAB_DEBUG=1');
    noStack(odd.stderr());
  });

  it('help prints the usage (exit 0)', async () => {
    const { io, stdout } = capture();
    expect(await main(['help', 'compare'], io)).toBe(EXIT.ok);
    expect(stdout()).toContain('gradient-lab compare [flags]');
  });

  const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
  it.skipIf(!existsSync(cli))('the built binary exits 2 with the message on stderr', () => {
    const r = spawnSync(process.execPath, [cli, 'run', '--depth', '0'], { encoding: 'utf8' });
    expect(r.status).toBe(EXIT.usage);
    expect(r.stderr).toContain('gradient-lab: --depth must be a whole number ≥ 1, got 0');
    expect(r.stdout).toBe('');
  });
});
