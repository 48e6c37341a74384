// prepareNodeWasmThreads starts tfjs's threaded wasm build in Node, which can happen once per process
// and never in this test process (its backend is the project's): every scenario runs in a child Node
// process on a bundle of this module (two copies, as an app with gradkit's ESM and CJS builds would
// load), with TMPDIR pointed at an empty folder that must stay empty.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hostileCases } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_WASM_THREADS, prepareNodeWasmThreads } from './wasm-threads-node.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const coreModules = join(here, '..', '..', 'node_modules');

// A = ((7i + 3k) mod 11 − 5)/4 [256×128], B = ((5k + 2j) mod 13 − 6)/4 [128×192]: every product is a
// multiple of 1/16 and every sum below 2^20/16, so float32 holds A·B exactly, in any summation order.
const [M, K, N] = [256, 128, 192];
const aAt = (i: number, k: number) => (((7 * i + 3 * k) % 11) - 5) / 4;
const bAt = (k: number, j: number) => (((5 * k + 2 * j) % 13) - 6) / 4;

/** The scenario each child runs: `node scenario.mjs <mode>`; prints one JSON line. */
const SCENARIO = `
import * as tf from '@tensorflow/tfjs-core';
import * as W from '@tensorflow/tfjs-backend-wasm';
import os from 'node:os';
import { prepareNodeWasmThreads as prepareA } from './copy-a.mjs';
import { prepareNodeWasmThreads as prepareB } from './copy-b.mjs';
const mode = process.argv[2];
const warnings = [];
console.warn = (...a) => warnings.push(a.join(' '));
const cores = os.cpus().length;
const out = { mode };
if (mode === 'threads') { out.first = await prepareA({ threads: 2 }); out.second = await prepareB({ threads: 2 }); }
if (mode === 'broken') { Blob.prototype.text = () => Promise.reject(new Error('unreadable blob')); out.first = await prepareA({ threads: 2 }); }
if (mode === 'worker-error') { Blob.prototype.text = () => Promise.resolve('throw new Error("bad main script")'); out.first = await prepareA({ threads: 2 }); }
if (mode === 'late') { await tf.setBackend('wasm'); out.late = await prepareA({ threads: 2 }); }
if (mode === 'oversubscribed') out.first = await prepareA({ threads: Number(process.argv[3]) });
if (mode === 'undone') { out.first = await prepareA({ threads: 2 }); out.undo = await prepareB({ threads: 1 }); }
out.started = await tf.setBackend('wasm');
out.flag = tf.env().get('WASM_HAS_MULTITHREAD_SUPPORT');
out.warnings = warnings.join('\\n');
if (out.started) {
  out.threads = W.getThreadsCount();
  out.sameAgain = await prepareB({ threads: 2 });
  out.otherAfter = await prepareA({ threads: 1 });
  out.workerGlobal = typeof globalThis.Worker;
  out.cpusRestored = os.cpus().length === cores;
  const a = tf.buffer([${M}, ${K}]); const b = tf.buffer([${K}, ${N}]);
  for (let i = 0; i < ${M}; i++) for (let k = 0; k < ${K}; k++) a.set((((7 * i + 3 * k) % 11) - 5) / 4, i, k);
  for (let k = 0; k < ${K}; k++) for (let j = 0; j < ${N}; j++) b.set((((5 * k + 2 * j) % 13) - 6) / 4, k, j);
  out.product = Array.from(await tf.matMul(a.toTensor(), b.toTensor()).data());
  // Three SGD steps of a 32-64-8 ReLU MLP on a squared error, backpropagated by hand (no autograd in
  // plain Node): matmuls plain and transposed, relu, sums; the losses must not depend on threads.
  const x = tf.randomUniform([64, 32], -1, 1, 'float32', 1), y = tf.randomUniform([64, 8], -1, 1, 'float32', 2);
  let w1 = tf.randomNormal([32, 64], 0, 0.2, 'float32', 3), w2 = tf.randomNormal([64, 8], 0, 0.2, 'float32', 4);
  out.losses = [];
  for (let s = 0; s < 3; s++) {
    const h = tf.relu(tf.matMul(x, w1)); const err = tf.sub(tf.matMul(h, w2), y);
    out.losses.push((await tf.mean(tf.square(err)).data())[0]);
    const dy = tf.mul(err, 2 / (64 * 8)); const dh = tf.mul(tf.matMul(dy, w2, false, true), tf.step(h));
    w2 = tf.sub(w2, tf.mul(tf.matMul(h, dy, true, false), 0.5)); w1 = tf.sub(w1, tf.mul(tf.matMul(x, dh, true, false), 0.5));
  }
}
console.log(JSON.stringify(out));
`;

let dir = '';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gradkit-wasm-threads-'));
  const bundle = await build({
    entryPoints: [join(here, 'wasm-threads-node.ts')],
    bundle: true,
    format: 'esm',
    platform: 'node',
    external: ['@tensorflow/*'],
    write: false,
    logLevel: 'silent',
  });
  const code = bundle.outputFiles[0]?.text ?? '';
  for (const copy of ['copy-a.mjs', 'copy-b.mjs']) writeFileSync(join(dir, copy), code);
  writeFileSync(join(dir, 'scenario.mjs'), SCENARIO);
  symlinkSync(coreModules, join(dir, 'node_modules'), 'dir');
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

type Outcome = { code: number | null; signal: string | null; ms: number; out: Record<string, unknown>; stderr: string; tmpLeft: string[] };

/** Runs the scenario in a child Node process that must end on its own; returns what it printed. */
function child(mode: string, ...args: string[]): Promise<Outcome> {
  const tmp = join(dir, `tmp-${mode}`);
  mkdirSync(tmp);
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['scenario.mjs', mode, ...args], { cwd: dir, env: { ...process.env, TMPDIR: tmp }, timeout: 60_000 });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => {
      stdout += d;
    });
    p.stderr.on('data', (d) => {
      stderr += d;
    });
    p.on('error', reject);
    p.on('close', (code, signal) => {
      const line = stdout.trim().split('\n').at(-1) ?? '';
      let out: Record<string, unknown> = {};
      try {
        out = JSON.parse(line);
      } catch {
        out = { unparsed: stdout };
      }
      resolve({ code, signal, ms: performance.now() - t0, out, stderr, tmpLeft: readdirSync(tmp) });
    });
  });
}

/** The product A·B in float64 (exact, see A and B above). */
function reference(): number[] {
  const out: number[] = [];
  for (let i = 0; i < M; i++)
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += aAt(i, k) * bAt(k, j);
      out.push(s);
    }
  return out;
}

/** The process ended by itself (no worker kept Node alive), cleanly, and wrote no file. */
function expectCleanExit(r: Outcome): void {
  expect({ code: r.code, signal: r.signal, stderr: r.stderr.trim() }).toEqual({ code: 0, signal: null, stderr: '' });
  expect(r.tmpLeft).toEqual([]);
}

describe('prepareNodeWasmThreads (in child Node processes)', () => {
  it('runs tfjs wasm on 2 threads: exact products, the same losses as 1 thread, a clean exit', async () => {
    const [threaded, single] = [await child('threads'), await child('single')];
    expectCleanExit(threaded);
    expectCleanExit(single);
    const t = threaded.out;
    expect([t.first, t.second, t.started, t.flag, t.threads]).toEqual([null, null, true, true, 2]);
    expect([single.out.started, single.out.flag, single.out.threads]).toEqual([true, false, 1]);
    // After the start: asking again for 2 threads is fine, for 1 is not; every Node built-in is back.
    expect(t.sameAgain).toBeNull();
    expect(String(t.otherAfter)).toMatch(/already started in this process with 2 threads/);
    expect([t.workerGlobal, t.cpusRestored]).toEqual(['undefined', true]);
    const want = reference();
    expect(t.product).toEqual(want);
    expect(single.out.product).toEqual(want);
    const [lt, ls] = [t.losses as number[], single.out.losses as number[]];
    expect(lt).toHaveLength(3);
    expect(lt[2] as number).toBeLessThan(lt[0] as number); // it trains
    lt.forEach((l, i) => {
      expect(Math.abs(l - (ls[i] as number))).toBeLessThanOrEqual(1e-6 * Math.abs(ls[i] as number));
    });
  }, 120_000);

  it.each([
    ['broken', 'unreadable blob'],
    ['worker-error', 'bad main script'],
  ])(
    'a start that fails (%s) is a backend failure with the reason, not a crash or a hang',
    async (mode, reason) => {
      const r = await child(mode);
      expect({ code: r.code, signal: r.signal }).toEqual({ code: 0, signal: null });
      expect(r.ms).toBeLessThan(30_000);
      expect([r.out.first, r.out.started, r.out.flag]).toEqual([null, false, false]);
      expect(r.out.warnings).toMatch(new RegExp(`threaded wasm failed to start in Node: ${reason}`));
      expect(r.tmpLeft).toEqual([]);
    },
    60_000,
  );

  it('says why when the wasm backend already started single-threaded', async () => {
    const r = await child('late');
    expectCleanExit(r);
    expect(String(r.out.late)).toMatch(/already started in this process with 1 thread: choose threads before anything starts it/);
    expect([r.out.started, r.out.threads]).toEqual([true, 1]);
  }, 60_000);

  it('threads: 1 before the start puts tfjs’s own single-threaded factory back', async () => {
    const r = await child('undone');
    expectCleanExit(r);
    expect([r.out.first, r.out.undo, r.out.started, r.out.flag, r.out.threads]).toEqual([null, null, true, false, 1]);
  }, 60_000);

  it.runIf(availableParallelism() < MAX_WASM_THREADS)(
    'refuses more threads than cores (oversubscribed is slower than 1 thread)',
    async () => {
      const r = await child('oversubscribed', String(availableParallelism() + 1));
      expectCleanExit(r);
      expect(String(r.out.first)).toMatch(new RegExp(`threads: ${availableParallelism() + 1} is more than the ${availableParallelism()} cores`));
      expect([r.out.started, r.out.threads]).toEqual([true, 1]);
    },
    60_000,
  );
});

describe('prepareNodeWasmThreads in this process', () => {
  it('threads: 1 changes nothing when nothing was prepared', async () => {
    const factory = tf.findBackendFactory('wasm');
    expect(await prepareNodeWasmThreads({ threads: 1 })).toBeNull();
    expect(tf.findBackendFactory('wasm')).toBe(factory);
  });
});

describe('prepareNodeWasmThreads, hostile', () => {
  const prepare = (options: unknown) => prepareNodeWasmThreads(options as { threads: number });
  hostileCases([
    { input: 'prepareNodeWasmThreads()', names: 'options', run: () => prepare(undefined) },
    { input: 'prepareNodeWasmThreads(null)', names: 'options', run: () => prepare(null) },
    { input: 'prepareNodeWasmThreads(2)', names: 'options', run: () => prepare(2) },
    { input: 'prepareNodeWasmThreads({})', names: 'threads', run: () => prepare({}) },
    { input: 'prepareNodeWasmThreads({ threads: 0 })', names: 'threads', run: () => prepare({ threads: 0 }) },
    { input: 'prepareNodeWasmThreads({ threads: -2 })', names: 'threads', run: () => prepare({ threads: -2 }) },
    { input: 'prepareNodeWasmThreads({ threads: 1.5 })', names: 'threads', run: () => prepare({ threads: 1.5 }) },
    { input: 'prepareNodeWasmThreads({ threads: 9 })', names: 'threads', run: () => prepare({ threads: 9 }) },
    { input: 'prepareNodeWasmThreads({ threads: NaN })', names: 'threads', run: () => prepare({ threads: Number.NaN }) },
    { input: 'prepareNodeWasmThreads({ threads: Infinity })', names: 'threads', run: () => prepare({ threads: Number.POSITIVE_INFINITY }) },
    { input: "prepareNodeWasmThreads({ threads: '2' })", names: 'threads', run: () => prepare({ threads: '2' }) },
    { input: 'prepareNodeWasmThreads({ threads: null })', names: 'threads', run: () => prepare({ threads: null }) },
    { input: 'prepareNodeWasmThreads({ threads: 2n })', names: 'threads', run: () => prepare({ threads: 2n }) },
    { input: 'prepareNodeWasmThreads({ numThreads: 2 })', names: 'numThreads', run: () => prepare({ numThreads: 2 }) },
    { input: 'prepareNodeWasmThreads({ num_threads: 2 })', names: 'num_threads', run: () => prepare({ num_threads: 2 }) },
    { input: 'prepareNodeWasmThreads({ threads: 2, workers: 2 })', names: 'workers', run: () => prepare({ threads: 2, workers: 2 }) },
  ]);
});
