#!/usr/bin/env node
// End-to-end test of the playground (apps/playground) in a real browser, on cpu, wasm and webgpu.
//   node tests/playground/run.mjs [--backends cpu,wasm,webgpu] [--parts training,tasks,doctor,bad] [--screenshots DIR] [--examples DIR]
// Screenshots go to tests/playground/screenshots/ (git-ignored) unless --screenshots says otherwise.
// Builds the app once with its own Vite config (the built @gradkit packages, the MNIST asset, tfjs's
// .wasm files) into a temp dir, serves it on 127.0.0.1 and drives Debian's Chromium headless through
// playwright-core (no browser is ever downloaded; WebGPU runs on Chromium's SwiftShader here).
// The site is served with the headers of the app's `vite preview` (COOP/COEP: cross-origin isolated).
// For each backend: load the page, train 50 steps of the vanishing configuration (sigmoid, naive init,
// depth 10), check that the page is isolated and wasm ran tfjs's threaded build, the verdict, the
// findings and that every chart drew, screenshot; then press the finding's "apply this fix" (→ ReLU +
// He init), which trains the healthy configuration: check the controls changed, the verdict, the
// charts, screenshot. Then, on cpu, bad input: a configuration too big for memory, a backend that
// fails while training, and a run whose loss becomes NaN must each show a message and leave a working
// page; and while a long run trains the page keeps rendering frames, and Stop stops it.
// The other tasks, on every backend: the adding problem (tanh RNN), the deep plain conv net and the
// Post-LN transformer, each a few steps at test sizes: its charts must draw (the heat map of ‖∂L/∂hₜ‖
// with finite cells, the attention entropy line), a finding must offer its task's fix, and pressing
// it must change the task's control and train again; screenshots `<backend>-<preset>.png` and
// `<backend>-<preset>-fixed.png`. On cpu, their bad input: a sequence too long for memory, a value
// out of range and a link setting that does not apply to the task each show a message and leave a
// working page.
// The "bring your own model" panel (tests/playground/doctor.mjs), on every backend: the lab's deep
// sigmoid and small conv examples through the file inputs, the verdicts, the recommendation, the
// downloads; screenshots `<backend>-doctor-deep-sigmoid.png`, `<backend>-doctor-small-conv.png`; on cpu
// its bad input (`cpu-doctor-bad-model.png`, `cpu-doctor-bad-csv.png`).
// Without a WebGPU adapter the webgpu runs are skipped with the reason, except under CI (as in `npm test`: failure).
// Env: CHROMIUM_PATH (default /usr/bin/chromium).
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build, loadConfigFromFile } from 'vite';
import { CHROMIUM, CHROMIUM_ARGS, closeAll, failureLine, launchChromium, originOf, REQUIRE_WEBGPU, serve } from '../support/chromium.mjs';
import { doctorBadInput, doctorRuns } from './doctor.mjs';

const { values: flags } = parseArgs({
  options: {
    backends: { type: 'string', default: 'cpu,wasm,webgpu' },
    parts: { type: 'string', default: 'training,tasks,doctor,bad' },
    screenshots: { type: 'string' },
    examples: { type: 'string' },
  },
});
const BACKENDS = flags.backends.split(',').filter(Boolean);
/** Which parts run: the MLP's runs (`training`), the other tasks, the doctor's panel, the bad input (cpu). */
const PARTS = new Set(flags.parts.split(',').filter(Boolean));
const RUN_TIMEOUT_MS = 120_000; // one 50-step run; SwiftShader compiles WebGPU shaders on the CPU
const TOTAL_TIMEOUT_MS = 540_000;
// Small enough for SwiftShader on 2 cores, deep enough to vanish: the gradient lab's depth 10.
const TEST_CONFIG = { depth: 10, width: 32, batch: 32, steps: 50, seed: 1 };
const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const app = join(root, 'apps', 'playground');
const shots = flags.screenshots ? resolve(flags.screenshots) : join(here, 'screenshots');
const examples = flags.examples ? resolve(flags.examples) : join(root, 'apps', 'gradient-lab', 'examples');
const started = performance.now();
const secs = (t0) => `${((performance.now() - t0) / 1000).toFixed(1)} s`;

const watchdog = setTimeout(() => {
  console.error(`playground: timed out after ${TOTAL_TIMEOUT_MS / 1000} s`);
  process.exit(1);
}, TOTAL_TIMEOUT_MS);
watchdog.unref();

class Failure extends Error {}
const expect = (ok, message) => {
  if (!ok) throw new Failure(message);
};

/** Waits until the page's run leaves `running` (or was refused) and returns the page's state. */
async function settled(page, runId) {
  await page.waitForFunction(
    (id) => {
      const s = globalThis.__playground;
      return s && s.runId >= id && ['done', 'failed', 'stopped', 'refused'].includes(s.state);
    },
    runId,
    { timeout: RUN_TIMEOUT_MS, polling: 200 },
  );
  return page.evaluate(() => ({
    ...globalThis.__playground,
    status: document.getElementById('status').textContent,
    verdict: document.getElementById('verdict').textContent,
    final: document.getElementById('verdict').dataset.final,
    detail: document.getElementById('verdict-detail').textContent,
    backendStatus: document.getElementById('backend-status').textContent,
    ranOn: document.getElementById('backend-status').dataset.backend,
    message: document.getElementById('message').hidden ? '' : document.getElementById('message').textContent,
    findings: [...document.querySelectorAll('#findings > li')].map((li) => li.dataset.kind ?? ''),
    fixes: [...document.querySelectorAll('#findings button.fix')].map((b) => b.textContent),
    fixKinds: [...document.querySelectorAll('#findings button.fix')].map((b) => b.dataset.kind ?? ''),
  }));
}

/** For each chart shown: the count of drawn points/bars/cells and of colored (data, not axis or text) pixels. */
function charts(page) {
  return page.evaluate(() =>
    [...document.querySelectorAll('#charts figure:not([hidden]) canvas')].map((c) => {
      const { data } = c.getContext('2d').getImageData(0, 0, c.width, c.height);
      let colored = 0;
      for (let i = 0; i < data.length; i += 4) {
        const [r, g, b] = [data[i], data[i + 1], data[i + 2]];
        if (Math.max(r, g, b) - Math.min(r, g, b) > 60) colored++;
      }
      return { id: c.id, drawn: Number(c.dataset.drawn ?? 0), cells: Number(c.dataset.cells ?? 0), nonfinite: Number(c.dataset.nonfinite ?? 0), colored };
    }),
  );
}

async function checkCharts(page) {
  const drawn = await charts(page);
  for (const c of drawn) expect(c.drawn > 0 && c.colored > 40, `${c.id} did not draw (${c.drawn} points/bars, ${c.colored} colored pixels)`);
  return drawn.map((c) => `${c.id.replace('chart-', '')} ${c.colored}px`).join(', ');
}

async function screenshot(page, name) {
  const file = join(shots, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return relative(root, file);
}

const url = (origin, params) => `${origin}/?${new URLSearchParams(Object.entries(params).map(([k, v]) => [k, String(v)]))}`;

/** Opens the page on `backend` with the baseline preset and the test's sizes (or `base`); returns the page and its errors. */
async function open(browser, origin, backend, extra = {}, base = { preset: 'baseline', ...TEST_CONFIG }) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  await page.goto(url(origin, { backend, ...base, ...extra }), { timeout: 30_000 });
  await page.waitForSelector('#backends[data-ready="true"]', { timeout: 30_000 });
  return { page, errors };
}

/** Whether this browser offers `backend` (the page's backend list), without training: `{ skipped }` when not. */
async function supported(browser, origin, backend) {
  const { page } = await open(browser, origin, backend, {}, {});
  try {
    const label = await page.evaluate((b) => {
      const l = document.querySelector(`#backend-choices label[data-backend="${b}"]`);
      return { ok: l?.dataset.supported === 'true', text: l?.textContent ?? '' };
    }, backend);
    return label.ok ? { lines: [] } : { skipped: label.text.trim() };
  } finally {
    await page.close().catch(() => {});
  }
}

/** The two runs on one backend. Returns report lines; throws a Failure (or returns a skip). */
async function backendRuns(browser, origin, backend) {
  const lines = [];
  const { page, errors } = await open(browser, origin, backend);
  try {
    const support = await page.evaluate((b) => {
      const label = document.querySelector(`#backend-choices label[data-backend="${b}"]`);
      return { ok: label?.dataset.supported === 'true', text: label?.textContent ?? '', checked: label?.querySelector('input')?.checked };
    }, backend);
    expect(support.checked, `the ${backend} radio button is not selected by ?backend=${backend}`);
    if (!support.ok) return { skipped: support.text.trim() };

    // 1. The vanishing configuration.
    let t0 = performance.now();
    await page.click('#train');
    let s = await settled(page, 1);
    expect(s.state === 'done', `vanishing run ended '${s.state}': ${s.status} ${s.message}`);
    expect(s.ranOn === backend, `asked for ${backend}, trained on ${s.ranOn}: ${s.backendStatus}`);
    // Served cross-origin isolated (as vite dev/preview serve it), wasm runs tfjs's threaded build.
    const isolated = await page.evaluate(() => globalThis.crossOriginIsolated === true);
    expect(isolated, 'the page is not cross-origin isolated: the server sends no COOP/COEP headers');
    if (backend === 'wasm') expect(/threads|threaded build/.test(s.backendStatus), `wasm did not run its threaded build: ${s.backendStatus}`);
    expect(s.verdict === 'vanishing' && s.final === 'true', `vanishing run: verdict '${s.verdict}' (final ${s.final}); ${s.detail}`);
    expect(s.findings.includes('vanishing'), `vanishing run: no vanishing finding (findings: ${s.findings.join(', ')})`);
    const fix = s.fixes.find((f) => /ReLU \+ He init/.test(f));
    expect(fix, `vanishing run: no "apply this fix: ReLU + He init" button (buttons: ${s.fixes.join(' | ')})`);
    let drew = await checkCharts(page);
    let shot = await screenshot(page, `${backend}-vanishing`);
    lines.push(`vanishing: ok, verdict ${s.verdict}; ${s.status}; charts ${drew}; ${secs(t0)} → ${shot}`);

    // 2. Apply the fix: the controls change and the healthy configuration trains.
    t0 = performance.now();
    await page.click('#findings button.fix[data-kind="vanishing"]');
    const controls = await page.evaluate(() => ({
      activation: document.querySelector('[name="activation"]').value,
      init: document.querySelector('[name="init"]').value,
    }));
    expect(controls.activation === 'relu' && controls.init === 'he', `apply this fix set activation ${controls.activation}, init ${controls.init}`);
    s = await settled(page, 2);
    expect(s.state === 'done', `healthy run ended '${s.state}': ${s.status} ${s.message}`);
    expect(s.ranOn === backend, `healthy run: asked for ${backend}, trained on ${s.ranOn}`);
    expect(s.verdict === 'healthy' && s.final === 'true', `healthy run (ReLU + He): verdict '${s.verdict}'; ${s.detail}`);
    drew = await checkCharts(page);
    shot = await screenshot(page, `${backend}-healthy`);
    lines.push(`healthy (applied fix): ok, verdict ${s.verdict}; ${s.status}; charts ${drew}; ${secs(t0)} → ${shot}`);
    expect(errors.length === 0, `page errors: ${errors.join(' | ')}`);
    return { lines };
  } finally {
    await page.close().catch(() => {});
  }
}

/**
 * The other tasks at test sizes (seconds per run even on SwiftShader), each with the chart it adds, the
 * finding kinds whose fix it must offer, and the control that fix changes. At rate 0.3 a tanh RNN
 * saturates after its first step and its ‖∂L/∂hₜ‖ vanishes through time (T = 16); a 16-layer plain
 * conv net vanishes at once; the Post-LN transformer at rate 1 grows its attention logits from the
 * second step (the fix is Pre-LN). A few steps each: SwiftShader runs WebGPU on the CPU.
 */
const TASK_TESTS = [
  {
    preset: 'adding-tanh',
    sizes: { seqLength: 16, width: 8, steps: 3, batch: 8, lr: 0.3 },
    chart: 'chart-temporal',
    kinds: ['vanishingThroughTime', 'vanishing', 'saturation', 'explodingThroughTime', 'nonfinite'],
    fixed: (c) => c.cell === 'lstm' || c.clip === '1',
  },
  {
    preset: 'cnn-plain',
    sizes: { depth: 16, width: 4, steps: 2, batch: 4 },
    chart: undefined,
    kinds: ['vanishing', 'deadUnits', 'saturation', 'smallUpdates', 'exploding', 'explodingActivations', 'growingNorm', 'largeUpdates'],
    fixed: (c) => c.norm === 'batch' || c.clip === '1',
  },
  {
    preset: 'transformer-post-ln',
    sizes: { depth: 1, width: 8, seqLength: 4, steps: 3, batch: 8, lr: 1 },
    chart: 'chart-attention',
    kinds: ['attentionLogitGrowth', 'lossSpike', 'largeUpdates', 'exploding', 'growingNorm', 'nonfinite', 'vanishing'],
    fixed: (c) => c.blockNorm === 'pre',
  },
];

/** The task presets on one backend: train, check the charts and the fix, apply it, train again. */
async function taskRuns(browser, origin, backend) {
  const lines = [];
  for (const t of TASK_TESTS) {
    const t0 = performance.now();
    const { page, errors } = await open(browser, origin, backend, { preset: t.preset, ...t.sizes }, {});
    try {
      await page.click('#train');
      let s = await settled(page, 1);
      expect(s.state === 'done' && s.ranOn === backend, `${t.preset}: run ended '${s.state}' on ${s.ranOn}: ${s.status} ${s.message}`);
      let drawn = await charts(page);
      for (const c of drawn) expect(c.drawn > 0 && c.colored > 40, `${t.preset}: ${c.id} did not draw (${c.drawn} points/cells, ${c.colored} colored pixels)`);
      const own = drawn.find((c) => c.id === t.chart);
      if (t.chart) expect(own, `${t.preset}: the ${t.chart} chart is not shown`);
      // A cell per report and time step, every one finite; positive but where the vanished gradient
      // underflows float32 (‖∂L/∂h₀‖ of the saturated RNN is about 1e-9 of the last step's: 0 on WebGPU).
      if (t.chart === 'chart-temporal')
        expect(
          own.cells > 0 && own.nonfinite === 0 && own.drawn >= own.cells / 2,
          `${t.preset}: heat map of ${own.cells} cells, ${own.drawn} finite and positive, ${own.nonfinite} not finite`,
        );
      const kind = t.kinds.find((k) => s.findings.includes(k) && s.fixKinds.includes(k));
      expect(kind, `${t.preset}: no "apply this fix" for ${t.kinds.join('/')} (findings: ${s.findings.join(', ') || 'none'}; verdict ${s.verdict})`);
      const shot = await screenshot(page, `${backend}-${t.preset}`);
      const label = await page.textContent(`#findings button.fix[data-kind="${kind}"]`);
      await page.click(`#findings button.fix[data-kind="${kind}"]`);
      const controls = await page.evaluate(() => Object.fromEntries([...document.querySelectorAll('#controls [name]')].map((e) => [e.name, e.value])));
      expect(t.fixed(controls), `${t.preset}: "${label}" left the controls at ${JSON.stringify(controls)}`);
      s = await settled(page, 2);
      expect(s.state === 'done' && s.ranOn === backend, `${t.preset} fixed: run ended '${s.state}': ${s.status} ${s.message}`);
      drawn = await charts(page);
      for (const c of drawn) expect(c.drawn > 0, `${t.preset} fixed: ${c.id} did not draw`);
      const fixedShot = await screenshot(page, `${backend}-${t.preset}-fixed`);
      expect(errors.length === 0, `${t.preset}: page errors: ${errors.join(' | ')}`);
      const chart = own ? `; ${t.chart.replace('chart-', '')} ${own.drawn}${t.chart === 'chart-temporal' ? ` of ${own.cells} cells > 0` : ' points'}` : '';
      lines.push(`${t.preset}: ok, verdict ${s.verdict} after "${label}" (${kind})${chart}; ${secs(t0)} → ${shot}, ${fixedShot}`);
    } finally {
      await page.close().catch(() => {});
    }
  }
  return lines;
}

/** The tasks' bad input: too long for memory, out of range, a setting that does not apply; each leaves a message and a page that trains. */
async function taskBadInput(browser, origin, backend) {
  const lines = [];
  const { page, errors } = await open(browser, origin, backend, { preset: 'adding-tanh', seqLength: 2000, width: 4096, batch: 4096, steps: 3 }, {});
  try {
    await page.click('#train');
    let s = await settled(page, 0);
    expect(
      s.state === 'refused' && /too big/.test(s.message) && /sequence length 500/.test(s.message),
      `sequence too long: state '${s.state}', message '${s.message}'`,
    );
    lines.push(`sequence too long: ok, "${s.message.slice(0, 80)}…" → ${await screenshot(page, `${backend}-adding-too-long`)}`);
    await page.fill('[name="seqLength"]', '1');
    await page.click('#train');
    s = await settled(page, 0);
    expect(
      s.state === 'refused' && /seqLength must be between 2 and 2000 \(got 1\)/.test(s.message),
      `seqLength 1: state '${s.state}', message '${s.message}'`,
    );
    lines.push(`out of range: ok, "${s.message}"`);
  } finally {
    await page.close().catch(() => {});
  }
  expect(errors.length === 0, `bad sequence input: page errors: ${errors.join(' | ')}`);
  // A link with a setting the adding task does not read: a warning naming it; the run trains without it.
  const bad = await open(browser, origin, backend, { preset: 'adding-tanh', seqLength: 8, width: 4, batch: 4, steps: 3, residual: true, blockNorm: 'pre' }, {});
  try {
    const warning = await bad.page.textContent('#message');
    expect(/'residual', 'blockNorm' do not apply to the adding task/.test(warning ?? ''), `inapplicable settings: message '${warning}'`);
    const hidden = await bad.page.evaluate(() => document.querySelector('[name="residual"]').closest('label').hidden);
    expect(hidden, 'the residual control is shown for the adding task');
    const shot = await screenshot(bad.page, `${backend}-adding-inapplicable`);
    await bad.page.click('#train');
    const s = await settled(bad.page, 1);
    expect(s.state === 'done', `after the warning the run ended '${s.state}': ${s.message}`);
    expect(!/residual/.test(await bad.page.evaluate(() => location.search)), 'the ignored setting is still in the link');
    lines.push(`inapplicable settings: ok, "${warning.slice(0, 90)}…", then trained → ${shot}`);
    expect(bad.errors.length === 0, `inapplicable settings: page errors: ${bad.errors.join(' | ')}`);
  } finally {
    await bad.page.close().catch(() => {});
  }
  return lines;
}

/** Bad input on one backend: too big, a failing backend, NaN. Each must leave a message and a usable page. */
async function badInput(browser, origin, backend) {
  const lines = [];
  // Too big: 200 layers of 16384 units.
  let { page } = await open(browser, origin, backend, { depth: 200, width: 16384 });
  try {
    await page.click('#train');
    const s = await settled(page, 0);
    expect(s.state === 'refused' && /too big/.test(s.message), `too-big configuration: state '${s.state}', message '${s.message}'`);
    expect(await page.isEnabled('#train'), 'too-big configuration: the Train button is disabled');
    lines.push(`too big: ok, refused with "${s.message.slice(0, 70)}…" → ${await screenshot(page, `${backend}-too-big`)}`);
  } finally {
    await page.close().catch(() => {});
  }
  // A backend that fails while training (?failAt=3 makes the worker throw as a failing backend would).
  ({ page } = await open(browser, origin, backend, { failAt: 3 }));
  try {
    await page.click('#train');
    const s = await settled(page, 1);
    expect(s.state === 'failed' && /failed at step 3/.test(s.message), `failing backend: state '${s.state}', message '${s.message}'`);
    expect(/Train on/.test(s.message), `failing backend: no "Train on …" button in '${s.message}'`);
    expect(await charts(page).then((c) => c[0].drawn > 0), 'failing backend: the loss chart lost its points');
    lines.push(`backend failure: ok, "${s.message.slice(0, 70)}…" → ${await screenshot(page, `${backend}-backend-failure`)}`);
  } finally {
    await page.close().catch(() => {});
  }
  // NaN: ReLU + He×2 at learning rate 100 overflows within a few steps.
  ({ page } = await open(browser, origin, backend, { preset: 'exploding', lr: 100 }));
  try {
    await page.click('#train');
    const s = await settled(page, 1);
    expect(s.state === 'done' && /became (NaN|-?Infinity)/.test(s.message), `NaN run: state '${s.state}', message '${s.message}'`);
    expect(['nonfinite', 'exploding'].includes(s.verdict), `NaN run: verdict '${s.verdict}'`);
    expect(/Apply this fix/.test(s.message), `NaN run: no fix offered in '${s.message}'`);
    lines.push(`NaN: ok, verdict ${s.verdict}, "${s.message.slice(0, 60)}…" → ${await screenshot(page, `${backend}-nan`)}`);
  } finally {
    await page.close().catch(() => {});
  }
  // Responsive while training, and Stop stops: a long run, the page answers, Stop ends it.
  ({ page } = await open(browser, origin, backend, { preset: 'relu-he', steps: 100000 }));
  try {
    await page.click('#train');
    await page.waitForFunction(() => globalThis.__playground?.step >= 5, null, { timeout: RUN_TIMEOUT_MS, polling: 100 });
    const latencies = [];
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r(document.getElementById('status').textContent))));
      latencies.push(performance.now() - t0);
    }
    const worst = Math.max(...latencies);
    expect(worst < 1000, `the page took ${Math.round(worst)} ms to render a frame while training`);
    await page.click('#stop');
    const s = await settled(page, 1);
    expect(s.state === 'stopped' && s.step > 0, `Stop: state '${s.state}' at step ${s.step}`);
    lines.push(`responsive + Stop: ok, a frame within ${Math.round(worst)} ms while training, ${s.status}`);
  } finally {
    await page.close().catch(() => {});
  }
  return lines;
}

/** In a browser without WebGPU, asking for WebGPU trains on WASM and the page says why. */
async function fallback(origin) {
  const plain = await launchChromium([...CHROMIUM_ARGS.filter((a) => a !== '--enable-unsafe-webgpu'), '--disable-features=WebGPU']);
  try {
    const { page } = await open(plain, origin, 'webgpu', { steps: 10 });
    const support = await page.textContent('#backend-choices label[data-backend="webgpu"]');
    expect(/not available/.test(support), `without WebGPU the backend list says: ${support}`);
    await page.click('#train');
    const s = await settled(page, 1);
    expect(s.state === 'done' && s.ranOn === 'wasm', `without WebGPU: state '${s.state}', trained on ${s.ranOn} ${s.message}`);
    expect(/Asked for WebGPU; fell back because WebGPU: .+/.test(s.backendStatus), `without WebGPU the page says: ${s.backendStatus}`);
    return `fallback: ok, "${s.backendStatus.slice(0, 400)}…" → ${await screenshot(page, 'fallback-no-webgpu')}`;
  } finally {
    await plain.close().catch(() => {});
  }
}

let failed = false;

/** Runs one part of the test (`fn` returns its report lines) and prints them, or its failure. */
async function part(title, fn) {
  const t0 = performance.now();
  try {
    const lines = await fn();
    console.log(`playground ${title}: ok (${secs(t0)})\n  ${lines.join('\n  ')}`);
  } catch (e) {
    failed = true;
    console.log(`playground ${title}: FAILED (${secs(t0)})\n  ${e instanceof Failure ? e.message : (e?.stack ?? e)}`);
  }
}

let browser;
let server;
const out = await mkdtemp(join(tmpdir(), 'gradkit-playground-'));
try {
  let t0 = performance.now();
  await build({
    root: app,
    configFile: join(app, 'vite.config.ts'),
    logLevel: 'warn',
    cacheDir: join(out, '.vite'),
    build: { outDir: join(out, 'site'), emptyOutDir: true },
  });
  console.log(`playground: vite build ${secs(t0)}`);
  await mkdir(shots, { recursive: true });
  // Served as `vite preview` serves it: with the headers of the app's config (cross-origin isolation).
  const { config } = await loadConfigFromFile({ command: 'serve', mode: 'production', isPreview: true }, join(app, 'vite.config.ts'), app, 'warn');
  server = await serve(join(out, 'site'), config.preview?.headers ?? {});
  // `vite dev` must send them too (this test serves the build, as `vite preview` does).
  const dev = Object.fromEntries(Object.entries(config.server?.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  if (dev['cross-origin-opener-policy'] !== 'same-origin' || dev['cross-origin-embedder-policy'] !== 'require-corp')
    throw new Error(`apps/playground/vite.config.ts: vite dev sends no COOP/COEP headers (server.headers ${JSON.stringify(config.server?.headers)})`);
  const origin = originOf(server);
  t0 = performance.now();
  browser = await launchChromium();
  console.log(`playground: ${CHROMIUM} ${browser.version()} started in ${secs(t0)}; screenshots in ${relative(process.cwd(), shots) || '.'}`);
  // One backend at a time: each run trains in a worker, and this machine may have 2 cores.
  const doctorCtx = { open: (b, o, backend) => open(b, o, backend, {}, {}), screenshot, expect, secs, examples };
  for (const backend of BACKENDS) {
    t0 = performance.now();
    try {
      // Whether the backend starts in this browser (and, for `training`, the MLP's two runs).
      const r = PARTS.has('training') ? await backendRuns(browser, origin, backend) : await supported(browser, origin, backend);
      if (r.skipped) {
        if (REQUIRE_WEBGPU) failed = true;
        console.log(`playground ${backend}: ${REQUIRE_WEBGPU ? 'FAILED (CI needs WebGPU)' : 'skipped'}: ${r.skipped}`);
        continue;
      }
      if (PARTS.has('training')) console.log(`playground ${backend}: ok (${secs(t0)})\n  ${r.lines.join('\n  ')}`);
      if (PARTS.has('tasks')) {
        t0 = performance.now();
        const tasks = await taskRuns(browser, origin, backend);
        console.log(`playground ${backend} tasks: ok (${secs(t0)})\n  ${tasks.join('\n  ')}`);
      }
      if (PARTS.has('doctor')) {
        t0 = performance.now();
        const doctor = await doctorRuns(browser, origin, backend, doctorCtx);
        console.log(`playground ${backend} doctor: ok (${secs(t0)})\n  ${doctor.join('\n  ')}`);
      }
    } catch (e) {
      failed = true;
      console.log(`playground ${backend}: FAILED (${secs(t0)})\n  ${e instanceof Failure ? e.message : (e?.stack ?? e)}`);
    }
  }
  if (PARTS.has('bad'))
    await part('bad input (cpu) and fallback', async () => [
      ...(await badInput(browser, origin, 'cpu')),
      ...(await taskBadInput(browser, origin, 'cpu')),
      await fallback(origin),
    ]);
  if (PARTS.has('doctor')) await part('doctor bad input (cpu)', () => doctorBadInput(browser, origin, 'cpu', doctorCtx));
} catch (e) {
  failed = true;
  console.error(failureLine('playground', e));
} finally {
  await closeAll(browser, [server]);
  await rm(out, { recursive: true, force: true });
}
console.log(`playground: ${failed ? 'FAILED' : 'passed'} in ${secs(started)}`);
process.exit(failed ? 1 : 0);
