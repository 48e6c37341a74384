#!/usr/bin/env node
// Browser check: gradkit's autograd and fused optimizer steps in a Vite production build, on cpu, wasm
// (single-threaded and threaded) and webgpu.
//   node tests/browser/run.mjs
// Builds ./app once with Vite (importing the BUILT @gradkit/core and @gradkit/optimizers, as a user's
// app does), serves it on 127.0.0.1, opens one page per backend in Debian's Chromium (headless, via
// playwright-core; no browser is ever downloaded), and checks every number against hand-worked values.
// Without a WebGPU adapter the webgpu page is skipped with the reason, except under CI (as in `npm test`: failure).
// Env: CHROMIUM_PATH (default /usr/bin/chromium).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHROMIUM, closeAll, failureLine, launchChromium, originOf, REQUIRE_WEBGPU, serve } from '../support/chromium.mjs';
import { buildSite } from './site.mjs';

const BACKENDS = ['cpu', 'wasm', 'webgpu'];
// Each backend's page, plus wasm once more from a cross-origin-isolated server: there tfjs loads its
// threaded SIMD build, whose memory is a SharedArrayBuffer, and gradkit's shared-memory modules run.
const RUNS = [...BACKENDS.map((backend) => ({ label: backend, backend, isolated: false })), { label: 'wasm threaded', backend: 'wasm', isolated: true }];
const PAGE_TIMEOUT_MS = 60_000; // SwiftShader compiles WebGPU shaders on the CPU: be generous
const TOTAL_TIMEOUT_MS = 180_000;
const here = dirname(fileURLToPath(import.meta.url));
const started = performance.now();
const ms = (t0) => `${Math.round(performance.now() - t0)} ms`;

// Whatever happens (a hung browser, a stuck build), never run longer than this.
const watchdog = setTimeout(() => {
  console.error(`browser: timed out after ${TOTAL_TIMEOUT_MS / 1000} s`);
  process.exit(1);
}, TOTAL_TIMEOUT_MS);
watchdog.unref();

// ---- expected values, worked by hand in float64 --------------------------------------------------
const sigma = (z) => 1 / (1 + Math.exp(-z));
const w = [0.5, -1, 2];
const gw = w.map((v) => 2 * v * sigma(v * v) * (1 - sigma(v * v))); // d/dw Σσ(w²) = 2w·σ(w²)(1−σ(w²))
const x = [
  [1, 2, 3],
  [4, 5, 6],
];
const W = [
  [0.5, -1],
  [2, 0.25],
  [-0.5, 1],
];
const b = [0.1, -0.2];
const colSum = [0, 1, 2].map((i) => x[0][i] + x[1][i]); // (xᵀ·1)_i = [5, 7, 9]
const gW = W.flatMap((row, i) => row.map(() => colSum[i])); // ∂Σ(xW+b)/∂W_ij = Σ_n x_ni
const gb = b.map(() => x.length); // ∂Σ(xW+b)/∂b_j = batch size
const lr = 0.1; // sgd({ learningRate: 0.1 }) in app/main.js
const expected = {
  'sigmoid.value': [w.reduce((s, v) => s + sigma(v * v), 0)],
  'sigmoid.grad': gw,
  'dense.value': [x.flatMap((xn) => b.map((bj, j) => xn.reduce((s, xi, i) => s + xi * W[i][j], bj))).reduce((s, v) => s + v, 0)],
  'dense.dW': gW,
  'dense.db': gb,
  'sgd.w': w.map((v, i) => v - lr * gw[i]),
  'sgd.W': W.flat().map((v, i) => v - lr * gW[i]),
  'sgd.b': b.map((v, i) => v - lr * gb[i]),
  // adam({ learningRate: 0.1 }), first step: m̂ = g, v̂ = g², so p − lr·g/(|g| + 1e-8)
  'adam.w': w.map((v, i) => v - (lr * gw[i]) / (Math.abs(gw[i]) + 1e-8)),
};

/** Every problem with one page's result (empty when all is right). float32: 1e-5 relative. */
function check(backend, r) {
  const problems = [];
  if (r.info?.name !== backend) problems.push(`BackendInfo.name is ${r.info?.name}, expected ${backend}`);
  for (const [key, want] of Object.entries(expected)) {
    const got = key.split('.').reduce((o, k) => o?.[k], r);
    if (!Array.isArray(got) || got.length !== want.length) {
      problems.push(`${key}: got ${JSON.stringify(got)}, expected ${want.length} numbers`);
      continue;
    }
    want.forEach((e, i) => {
      if (!(Math.abs(got[i] - e) <= 1e-5 * Math.abs(e) + 1e-7)) problems.push(`${key}[${i}] = ${got[i]}, expected ${e}`);
    });
  }
  if (r.sgd?.stepCount !== 1) problems.push(`Optimizer.stepCount is ${r.sgd?.stepCount} after one step`);
  // saveCheckpoint → IndexedDB after the SGD step, one more step, loadCheckpoint: back to that step, bit for bit
  if (
    JSON.stringify(r.checkpoint?.w) !== JSON.stringify(r.sgd?.w) ||
    JSON.stringify(r.checkpoint?.b) !== JSON.stringify(r.sgd?.b) ||
    r.checkpoint?.stepCount !== 1
  )
    problems.push(`checkpoint through indexeddb:// restored ${JSON.stringify(r.checkpoint)}, expected the values after the first SGD step and stepCount 1`);
  for (const [what, path] of [
    ['sgd', r.sgd?.path],
    ['adam', r.adam?.path],
  ])
    if (!String(path).startsWith('fused:')) problems.push(`${what} took the ${path} path, expected a fused kernel`);
  if (r.leakedTensors !== 0) problems.push(`${r.leakedTensors} tensors leaked`);
  return problems;
}

// ---- build, serve, browse ------------------------------------------------------------------------
const ISOLATION = { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' };

/** Opens the app for one backend and returns the page's result (or an error), with its time. */
async function runPage(browser, origin, backend) {
  const t0 = performance.now();
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  try {
    await page.goto(`${origin}/?backend=${backend}`, { timeout: PAGE_TIMEOUT_MS });
    await page.waitForFunction(() => window.__result, null, { timeout: PAGE_TIMEOUT_MS });
    return { result: await page.evaluate(() => window.__result), time: ms(t0), errors };
  } catch (e) {
    return { result: { error: `${e.message.split('\n')[0]}${errors.length ? `; page errors: ${errors.join(' | ')}` : ''}` }, time: ms(t0), errors };
  } finally {
    await page.close().catch(() => {});
  }
}

let failed = false;
let browser;
let server;
let isolatedServer;
const out = await mkdtemp(join(tmpdir(), 'gradkit-browser-'));
try {
  // 1. One production build of the app, into a temp dir, with tfjs's .wasm binaries.
  let t0 = performance.now();
  await buildSite(join(here, 'app'), out);
  console.log(`browser: vite build ${ms(t0)}`);

  // 2. Serve it and open one page per backend, all at once, in one headless Chromium.
  server = await serve(join(out, 'site'));
  isolatedServer = await serve(join(out, 'site'), ISOLATION);
  const origins = [server, isolatedServer].map(originOf);
  t0 = performance.now();
  browser = await launchChromium();
  console.log(`browser: ${CHROMIUM} ${browser.version()} started in ${ms(t0)}`);
  const pages = await Promise.all(RUNS.map(({ backend, isolated }) => runPage(browser, origins[isolated ? 1 : 0], backend)));

  // 3. Check and report, one line per backend.
  RUNS.forEach(({ label, backend, isolated }, i) => {
    const { result: r, time } = pages[i];
    if (r.skipped) {
      if (REQUIRE_WEBGPU) failed = true;
      console.log(`browser ${label}: ${REQUIRE_WEBGPU ? 'FAILED (CI needs WebGPU)' : 'skipped'}: ${r.skipped} (${time})`);
      return;
    }
    const problems = r.error ? [r.error.split('\n').slice(0, 4).join('\n  ')] : check(backend, r);
    if (isolated && !r.error && !(r.crossOriginIsolated && r.info.threads))
      problems.push(`expected tfjs's threaded wasm build (crossOriginIsolated ${r.crossOriginIsolated}, threads ${r.info.threads})`);
    if (problems.length) {
      failed = true;
      console.log(`browser ${label}: FAILED (${time})\n  ${problems.join('\n  ')}`);
      return;
    }
    const a = r.info.adapter;
    const extra =
      r.info.name === 'wasm'
        ? `, simd ${r.info.simd}, threads ${r.info.threads}`
        : a
          ? `, adapter ${[a.vendor, a.architecture, a.device, a.description].filter(Boolean).join(' ')}`
          : '';
    console.log(
      `browser ${label}: ok (${Object.keys(expected).length} gradient/optimizer checks, an IndexedDB checkpoint, steps ${r.sgd.path} and ${r.adam.path}${extra}, ${time})`,
    );
  });
} catch (e) {
  failed = true;
  console.error(failureLine('browser', e));
} finally {
  await closeAll(browser, [server, isolatedServer]);
  await rm(out, { recursive: true, force: true });
}
console.log(`browser: ${failed ? 'FAILED' : 'passed'} in ${ms(started)}`);
process.exit(failed ? 1 : 0);
