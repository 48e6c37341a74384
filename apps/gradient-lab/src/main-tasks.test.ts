// `gradient-lab compare --task adding` end to end, in-process through `main` on the test's backend: a
// tiny comparison (T = 6, a few steps) with its progress, table, notes and report files.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BackendInfo, BackendName } from '@gradkit/core';
import { currentBackend } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { EXIT, type LabIO, main } from './main.js';
import { otherTasksHint } from './tasks/compare-task.js';

const backend = currentBackend() as BackendName;
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  const io: LabIO = {
    stdout: { write: (t) => out.push(t), isTTY: false, columns: 120 },
    stderr: { write: (t) => err.push(t) },
    useBackend: async (): Promise<BackendInfo> => ({ name: backend, simd: false, threads: false, threadCount: 1, fallbacks: [] }),
    debug: false,
  };
  return { io, stdout: () => out.join(''), stderr: () => err.join('') };
}

describe('gradient-lab compare --task adding, end to end on tiny sequences', () => {
  it('trains the runs asked for, prints the table and the notes, writes report.html and report.json, leaks nothing', { timeout: 240_000 }, async () => {
    const out = mkdtempSync(join(tmpdir(), `gradient-lab-adding-${backend}-`));
    dirs.push(out);
    const before = tf.memory().numTensors;
    const { io, stdout, stderr } = capture();
    const argv = ['compare', '--task', 'adding', '--lengths', '6', '--only', 'tanh-rnn@6,lstm@6', '--steps', '3', '--batch', '4', '--out', out];
    const code = await main(argv, io);
    expect(stderr()).toBe('');
    expect(code).toBe(EXIT.ok);
    expect(tf.memory().numTensors).toBe(before);

    const text = stdout();
    expect(text).toContain('task adding: 2 runs, 3 steps of 4, seed 1');
    expect(text).toContain('scaled down: ');
    expect(text).toMatch(/\[1\/2\] tanh-rnn@6 3\/3 100%/);
    expect(text).toMatch(/\[2\/2\] lstm@6 3\/3 100%/);
    const table = text.slice(text.indexOf('\nrun '));
    expect(table.split('\n')[1]).toMatch(/^run +verdict +solved \(\|err\| < 0\.04\) +final loss +steps +held-out MSE/);
    expect(table).toMatch(/\ntanh-rnn@6 +(healthy|vanishing|exploding)/);
    expect(text).toContain('notes:\n- tanh-rnn@6 — ');

    const json = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(json.task).toBe('adding');
    expect(json.command).toBe(`gradient-lab ${argv.join(' ')}`);
    expect(json.settings).toEqual({ steps: 3, batch: 4, seed: 1, sizes: {}, lists: { lengths: [6] } });
    expect(json.table.map((r: { id: string }) => r.id)).toEqual(['tanh-rnn@6', 'lstm@6']);
    expect(json.diagnostics.configs[1].reports[0].temporal[0].layer).toBe('0.lstm');
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toContain('<h2>Results</h2>');
    expect(html).toContain('Scaled down:');
  });
});

describe('otherTasksHint', () => {
  it('tells how to run each task but mlp (the demo’s last lines)', () => {
    const hint = otherTasksHint();
    expect(hint).toContain('compare --task <name>');
    expect(hint).toContain('gradient-lab compare --task adding');
    expect(hint).not.toContain('--task mlp');
  });
});
