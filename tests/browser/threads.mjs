#!/usr/bin/env node
// What tfjs's threaded wasm build buys, in Node and in headless Chromium, on this machine.
//   node tests/browser/threads.mjs [--rounds 3] [--samples 21] [--only node|browser] [--json FILE]
// Times threads/step.js's workloads (a 128×784·784×256 matmul, a 512² matmul, one Adam training step
// of a 784-256-256-10 ReLU MLP at batch 128 through gradkit's Optimizer.minimize) under each setting,
// in rounds that rotate the settings (one fresh process or page per round and setting), and prints the
// median over rounds of each round's median (with the range of those medians).
// - Node: 1 thread (tfjs's default there) against 2…cores threads through prepareNodeWasmThreads
//   (packages/core/src/backend/wasm-threads-node.ts, bundled from source with esbuild).
// - Chromium (Debian's, through playwright-core; nothing is downloaded): threads/ built with Vite from
//   the BUILT packages and served twice, without and with COOP/COEP. Cross-origin isolated, tfjs runs
//   its threaded build with min(hardwareConcurrency / 2, 8) threads, which is 1 on a 2-core machine;
//   a third setting reports twice the cores as hardwareConcurrency so that tfjs uses one per core.
// Run it on a quiet machine: other processes on the same cores make threads look worse than they are.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { build as esbuild } from 'esbuild';
import { CHROMIUM, closeAll, launchChromium, originOf, serve } from '../support/chromium.mjs';
import { buildSite } from './site.mjs';

const { values: flags } = parseArgs({
  options: { rounds: { type: 'string', default: '3' }, samples: { type: 'string', default: '21' }, only: { type: 'string' }, json: { type: 'string' } },
});
const ROUNDS = Number(flags.rounds);
const SAMPLES = Number(flags.samples);
const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const cores = availableParallelism();
const ISOLATION = { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' };
const WORKLOADS = ['matmul128x784x256', 'matmul512', 'trainStep'];

/** Runs `settings` (each an async () => result) in `ROUNDS` rotated rounds; results per setting. */
async function rotate(settings) {
  const results = settings.map(() => []);
  for (let r = 0; r < ROUNDS; r++)
    for (let k = 0; k < settings.length; k++) {
      const i = (k + r) % settings.length;
      results[i].push(await settings[i].run());
    }
  return settings.map((s, i) => ({ label: s.label, runs: results[i] }));
}

/** One row per setting: threads, and per workload the median of round medians (and their range). */
function table(title, rows) {
  const median = (v) => [...v].sort((a, b) => a - b)[v.length >> 1];
  const lines = [`${title}`, `| setting | threads | ${WORKLOADS.join(' | ')} |`, `| --- | --- | ${WORKLOADS.map(() => '---').join(' | ')} |`];
  for (const { label, runs } of rows) {
    const cells = WORKLOADS.map((w) => {
      const m = runs.map((r) => r[w].median);
      return `${median(m).toFixed(2)} ms (${Math.min(...m).toFixed(2)}–${Math.max(...m).toFixed(2)})`;
    });
    lines.push(`| ${label} | ${[...new Set(runs.map((r) => r.threadCount))].join('/')} | ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

/** A Node child that starts wasm on `threads` threads and prints step.js's timings as JSON. */
const NODE_CHILD = (stepUrl) => `
import * as tf from '@tensorflow/tfjs-core';
import * as W from '@tensorflow/tfjs-backend-wasm';
import { Optimizer, useBackend } from '@gradkit/core';
import { adam } from '@gradkit/optimizers';
import { prepareNodeWasmThreads } from './prepare.mjs';
import { measureStep } from ${JSON.stringify(stepUrl)};
const [threads, samples] = process.argv.slice(2).map(Number);
if (threads > 1) { const why = await prepareNodeWasmThreads({ threads }); if (why) throw new Error(why); }
const info = await useBackend('wasm');
console.log(JSON.stringify({ info, threadCount: W.getThreadsCount(), ...(await measureStep({ tf, Optimizer, adam }, samples)) }));
`;

function runNode(dir, threads) {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['child.mjs', String(threads), String(SAMPLES)], { cwd: dir, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d) => {
      out += d;
    });
    p.on('error', reject);
    p.on('close', (code) =>
      code === 0 ? resolve(JSON.parse(out.trim().split('\n').at(-1))) : reject(new Error(`node child (${threads} threads) exited ${code}`)),
    );
  });
}

async function nodeRows(out) {
  const dir = join(out, 'node');
  await esbuild({
    entryPoints: [join(root, 'packages/core/src/backend/wasm-threads-node.ts')],
    bundle: true,
    format: 'esm',
    platform: 'node',
    external: ['@tensorflow/*'],
    outfile: join(dir, 'prepare.mjs'),
    logLevel: 'warning',
  });
  await writeFile(join(dir, 'child.mjs'), NODE_CHILD(pathToFileURL(join(here, 'threads', 'step.js')).href));
  await symlink(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir');
  const counts = [1, ...Array.from({ length: Math.min(cores, 8) - 1 }, (_, i) => i + 2)];
  return rotate(counts.map((t) => ({ label: t === 1 ? '1 thread (default)' : `${t} threads (prepareNodeWasmThreads)`, run: () => runNode(dir, t) })));
}

async function browserRows(out) {
  const site = await buildSite(join(here, 'threads'), out);
  const servers = [await serve(site), await serve(site, ISOLATION)];
  const [plain, isolated] = servers.map(originOf);
  const browser = await launchChromium();
  console.log(`threads: ${CHROMIUM} ${browser.version()}`);
  const page = async (origin, concurrency) => {
    const context = await browser.newContext();
    if (concurrency)
      await context.addInitScript((n) => Object.defineProperty(Navigator.prototype, 'hardwareConcurrency', { get: () => n, configurable: true }), concurrency);
    try {
      const p = await context.newPage();
      await p.goto(`${origin}/?samples=${SAMPLES}`, { timeout: 60_000 });
      await p.waitForFunction(() => window.__result, null, { timeout: 300_000, polling: 500 });
      const r = await p.evaluate(() => window.__result);
      if (r.error) throw new Error(r.error);
      return r;
    } finally {
      await context.close();
    }
  };
  try {
    return await rotate([
      { label: 'not isolated: single-threaded build', run: () => page(plain) },
      { label: 'cross-origin isolated: threaded build, tfjs default threads', run: () => page(isolated) },
      { label: `cross-origin isolated, hardwareConcurrency reported as ${2 * cores}: one thread per core`, run: () => page(isolated, 2 * cores) },
    ]);
  } finally {
    await closeAll(browser, servers);
  }
}

const out = await mkdtemp(join(tmpdir(), 'gradkit-threads-'));
const report = { machine: `${cpus()[0]?.model ?? 'unknown CPU'}, ${cores} cores available, Node ${process.version}`, rounds: ROUNDS, samples: SAMPLES };
try {
  console.log(`threads: ${report.machine}; ${ROUNDS} rounds × ${SAMPLES} samples`);
  if (flags.only !== 'browser') {
    report.node = await nodeRows(out);
    console.log(table('\nNode, tfjs wasm (SIMD)', report.node));
  }
  if (flags.only !== 'node') {
    report.browser = await browserRows(out);
    const r = report.browser.map((row) => row.runs[0]);
    console.log(
      table(
        `\nChromium, tfjs wasm (SIMD); crossOriginIsolated ${r.map((x) => x.crossOriginIsolated).join('/')}, BackendInfo.threads ${r.map((x) => x.info.threads).join('/')}`,
        report.browser,
      ),
    );
  }
  if (flags.json) await writeFile(flags.json, `${JSON.stringify(report, null, 2)}\n`);
} finally {
  await rm(out, { recursive: true, force: true });
}
