// The page: controls, backend switch, the training worker, charts and the verdict panel with fixes.
// Whatever goes wrong (a backend that fails, NaN, a configuration too big) ends in a visible message
// and a page that still works.
import type { BackendInfo } from '@gradkit/core';
import type { Finding, GradientReport, Verdict } from '@gradkit/diagnostics';
import { optimizerNames } from '@gradkit/optimizers';
import { drawBars, drawHeatMap, drawLines, layerColor } from './charts.js';
import {
  ACTIVATIONS,
  BACKENDS,
  type BackendName,
  BLOCK_NORMS,
  CELLS,
  DEFAULT_CONFIG,
  describeConfig,
  estimateBytes,
  formatBytes,
  INITS,
  MEMORY_LIMIT_BYTES,
  NORMS,
  type PlaygroundConfig,
  PRESETS,
  parameterCount,
  presetTask,
  SCHEDULES,
  TASK_CONTROLS,
  TASK_DEFAULTS,
  TASKS,
  type TaskName,
  validateConfig,
} from './config.js';
import { initDoctorPanel } from './doctor-panel.js';
import { type Fix, fixFor, shrinkFixes } from './fixes.js';
import type { StartMessage, WorkerMessage } from './protocol.js';
import { configFromUrl, presetControls } from './url-config.js';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const form = $<HTMLFormElement>('controls');
const OPTIMIZERS = ['momentum', ...optimizerNames().filter((n) => n !== 'momentum')];
const LABELS: Record<BackendName, string> = { webgpu: 'WebGPU', wasm: 'WASM', cpu: 'CPU' };

type State = 'idle' | 'running' | 'done' | 'stopped' | 'failed' | 'refused';

interface Run {
  readonly id: number;
  readonly config: PlaygroundConfig;
  readonly asked: BackendName;
  info?: BackendInfo;
  losses: [number, number][];
  accuracy: [number, number][];
  reports: GradientReport[];
  step: number;
  stepsPerSecond: number;
  verdict?: Verdict;
  testAccuracy?: number;
  diverged: boolean;
  seconds?: number;
}

let worker: Worker | undefined;
let run: Run | undefined;
let runCount = 0;
let state: State = 'idle';

// ---- controls ------------------------------------------------------------------------------------

function fillSelect(name: string, values: readonly string[]): void {
  const select = form.elements.namedItem(name) as HTMLSelectElement;
  select.replaceChildren(...values.map((v) => new Option(v, v)));
}

function readControls(): PlaygroundConfig {
  const get = (name: string) => form.elements.namedItem(name) as HTMLInputElement;
  const num = (name: string) => (get(name).value.trim() === '' ? Number.NaN : Number(get(name).value));
  return {
    depth: num('depth'),
    width: num('width'),
    activation: get('activation').value as PlaygroundConfig['activation'],
    init: get('init').value as PlaygroundConfig['init'],
    initScale: num('initScale'),
    norm: get('norm').value as PlaygroundConfig['norm'],
    residual: get('residual').checked,
    optimizer: get('optimizer').value,
    lr: num('lr'),
    schedule: get('schedule').value as PlaygroundConfig['schedule'],
    clip: num('clip'),
    steps: num('steps'),
    batch: num('batch'),
    seed: num('seed'),
    task: get('task').value as TaskName,
    cell: get('cell').value as PlaygroundConfig['cell'],
    seqLength: num('seqLength'),
    blockNorm: get('blockNorm').value as PlaygroundConfig['blockNorm'],
    warmup: num('warmup'),
  };
}

/** What each task's held-out metric is (the accuracy chart's caption). */
const METRICS: Record<TaskName, string> = {
  mlp: 'Test accuracy',
  cnn: 'Test accuracy',
  adding: 'Held-out sequences predicted within 0.04 (the mean predictor: about 8%)',
  transformer: 'Held-out digits reversed correctly (chance: 10%)',
};

/** The held-out metric in a few words (status line, verdict panel). */
const SCORES: Record<TaskName, string> = {
  mlp: 'test accuracy',
  cnn: 'test accuracy',
  adding: 'held-out sequences within 0.04',
  transformer: 'held-out digits reversed',
};

/** Shows the controls and charts of `task`; hides the ones that do not apply to it. */
function showTask(task: TaskName): void {
  const reads: readonly string[] = TASK_CONTROLS[task] ?? TASK_CONTROLS.mlp;
  for (const key of Object.keys(DEFAULT_CONFIG)) {
    const label = (form.elements.namedItem(key) as HTMLElement | null)?.closest('label');
    if (label) label.hidden = key !== 'task' && !reads.includes(key);
  }
  $('figure-temporal').hidden = task !== 'adding';
  $('figure-attention').hidden = task !== 'transformer';
  $('caption-accuracy').textContent = METRICS[task] ?? METRICS.mlp;
  scheduleCharts();
}

/** Sets the controls from `patch`; outlines the ones that changed for a moment. */
function writeControls(patch: Partial<PlaygroundConfig>, highlight = false): void {
  for (const [key, value] of Object.entries(patch)) {
    const el = form.elements.namedItem(key) as HTMLInputElement | null;
    if (!el) continue;
    const before = el.type === 'checkbox' ? el.checked : el.value;
    if (el.type === 'checkbox') el.checked = Boolean(value);
    else el.value = String(value);
    const after = el.type === 'checkbox' ? el.checked : el.value;
    if (highlight && before !== after) {
      el.classList.add('changed');
      setTimeout(() => el.classList.remove('changed'), 2500);
    }
  }
}

function selectedBackend(): BackendName {
  const checked = form.querySelector<HTMLInputElement>('input[name="backend"]:checked');
  return (checked?.value as BackendName | undefined) ?? 'wasm';
}

// ---- backend support -----------------------------------------------------------------------------

/** SIMD detection: a module with one v128 instruction (as wasm-feature-detect does). */
const SIMD_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11]);

/** What this browser offers for each backend, in words. */
async function probeSupport(): Promise<Record<BackendName, { ok: boolean; text: string }>> {
  const nav = navigator as unknown as {
    gpu?: { requestAdapter(): Promise<{ info?: Record<string, string | boolean>; isFallbackAdapter?: boolean } | null> };
  };
  let webgpu: { ok: boolean; text: string };
  if (!nav.gpu) webgpu = { ok: false, text: 'no navigator.gpu: WebGPU is off or unsupported in this browser' };
  else {
    try {
      const adapter = await nav.gpu.requestAdapter();
      if (!adapter) webgpu = { ok: false, text: 'navigator.gpu.requestAdapter() found no adapter' };
      else {
        const info = adapter.info ?? {};
        const name = [info.vendor, info.architecture, info.description].filter(Boolean).join(' ') || 'unknown adapter';
        const software = adapter.isFallbackAdapter || info.isFallbackAdapter || /swiftshader/i.test(name);
        webgpu = { ok: true, text: `${name}${software ? ' (software: slower than WASM)' : ''}` };
      }
    } catch (e) {
      webgpu = { ok: false, text: `requestAdapter failed: ${(e as Error).message}` };
    }
  }
  const hasWasm = typeof WebAssembly === 'object';
  const simd = hasWasm && WebAssembly.validate(SIMD_PROBE);
  const threads = hasWasm && globalThis.crossOriginIsolated === true;
  return {
    webgpu,
    wasm: hasWasm
      ? { ok: true, text: `SIMD ${simd ? 'yes' : 'no'}, threads ${threads ? 'yes' : 'no (the page is not cross-origin isolated)'}` }
      : { ok: false, text: 'no WebAssembly in this browser' },
    cpu: { ok: true, text: 'plain JavaScript: always there, slowest' },
  };
}

let support: Record<BackendName, { ok: boolean; text: string }> | undefined;

function renderBackendChoices(chosen: BackendName): void {
  $('backend-choices').replaceChildren(
    ...BACKENDS.map((b) => {
      const label = document.createElement('label');
      const input = Object.assign(document.createElement('input'), { type: 'radio', name: 'backend', value: b, checked: b === chosen });
      const s = support?.[b];
      const note = Object.assign(document.createElement('span'), {
        className: `support${s && !s.ok ? ' no' : ''}`,
        textContent: s ? `${s.ok ? '' : 'not available: '}${s.text}` : 'checking…',
      });
      label.dataset.backend = b;
      label.dataset.supported = s ? String(s.ok) : '';
      label.append(input, ` ${LABELS[b]} `, note);
      return label;
    }),
  );
}

/** An error message without the stack trace some backends append to it (one line, at most 300 characters). */
function shortReason(reason: string): string {
  const cut =
    reason
      .split('\n')[0]
      ?.split(/\s+at\s+(?:async\s+)?[\w$.<>]+\s+\(/)[0]
      ?.trim() ?? reason;
  return cut.length > 300 ? `${cut.slice(0, 297)}…` : cut;
}

/** How the wasm backend computes: tfjs's threaded build uses half the logical cores, at most 8. */
function wasmThreads(threadedBuild: boolean, threadCount: number): string {
  if (!threadedBuild) return '1 thread: the page is not cross-origin isolated';
  if (threadCount > 1) return `${threadCount} threads`;
  return `threaded build on 1 thread: tfjs uses half of the ${navigator.hardwareConcurrency} logical cores`;
}

// ---- status and messages -------------------------------------------------------------------------

function setState(next: State, text: string): void {
  state = next;
  const el = $('status');
  el.dataset.state = next;
  el.textContent = text;
  $<HTMLButtonElement>('stop').disabled = next !== 'running';
  Object.assign(globalThis, {
    __playground: { state, runId: runCount, step: run?.step, verdict: run?.verdict, backend: run?.info?.name, asked: run?.asked },
  });
}

interface Action {
  readonly label: string;
  readonly run: () => void;
}

function showMessage(kind: 'error' | 'warning', text: string, actions: readonly Action[] = []): void {
  const el = $('message');
  el.hidden = false;
  el.className = `message ${kind}`;
  el.dataset.kind = kind;
  el.replaceChildren(
    document.createTextNode(text),
    ...(actions.length ? [document.createElement('br')] : []),
    ...actions.map((a) => {
      const b = Object.assign(document.createElement('button'), { type: 'button', textContent: a.label });
      b.addEventListener('click', a.run);
      return b;
    }),
  );
}

function clearMessage(): void {
  const el = $('message');
  el.hidden = true;
  el.replaceChildren();
}

// ---- training ------------------------------------------------------------------------------------

function stopWorker(): void {
  worker?.terminate();
  worker = undefined;
}

function otherBackends(b: BackendName): BackendName[] {
  return BACKENDS.filter((x) => x !== b);
}

function trainOn(backend: BackendName): void {
  const input = form.querySelector<HTMLInputElement>(`input[name="backend"][value="${backend}"]`);
  if (input) input.checked = true;
  start();
}

function start(): void {
  clearMessage();
  const config = readControls();
  const problems = validateConfig(config, OPTIMIZERS);
  if (problems.length) {
    setState('refused', 'not started');
    showMessage('error', `This configuration cannot train: ${problems.join('; ')}.`);
    return;
  }
  const bytes = estimateBytes(config);
  if (bytes > MEMORY_LIMIT_BYTES) {
    setState('refused', 'not started: too big');
    showMessage(
      'error',
      `This configuration is too big for the browser's memory: ${parameterCount(config).toLocaleString('en')} parameters need about ${formatBytes(bytes)} ` +
        `to train (parameters, gradients, optimizer state, activations); the page allows up to ${formatBytes(MEMORY_LIMIT_BYTES)}. ` +
        `Make the network narrower or shallower${config.task === 'adding' || config.task === 'transformer' ? ', the sequences shorter' : ''}, or the batch smaller.`,
      shrinkFixes(config).map((fix) => ({ label: `Use ${fix.label}`, run: () => applyFix(fix) })),
    );
    return;
  }
  const asked = selectedBackend();
  // A worker that finished its run on the backend asked for trains the next one: tfjs, the digits and
  // (on WebGPU) the compiled shaders are ready. Any other case gets a fresh worker.
  const reuse = worker !== undefined && state === 'done' && run?.info?.name === asked;
  if (!reuse) stopWorker();
  run = { id: ++runCount, config, asked, losses: [], accuracy: [], reports: [], step: 0, stepsPerSecond: 0, diverged: false };
  const params = new URLSearchParams(location.search);
  params.set('backend', asked);
  for (const k of Object.keys(DEFAULT_CONFIG)) params.delete(k);
  for (const k of ['task', ...TASK_CONTROLS[config.task]] as (keyof PlaygroundConfig)[]) params.set(k, String(config[k]));
  params.delete('preset');
  history.replaceState(null, '', `?${params}`);
  $('backend-status').textContent = '';
  delete $('backend-status').dataset.backend;
  $<HTMLProgressElement>('progress').value = 0;
  renderVerdict();
  scheduleCharts();
  setState('running', `starting ${LABELS[asked]}…`);
  if (!reuse) {
    let w: Worker;
    try {
      w = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: `gradkit-training-${run.id}` });
    } catch (e) {
      setState('failed', 'failed');
      showMessage('error', `This browser could not start the training worker: ${(e as Error).message}`);
      return;
    }
    worker = w;
    // Runs in one worker follow each other; a terminated worker posts nothing more.
    w.addEventListener('message', (e: MessageEvent<WorkerMessage>) => {
      if (worker === w) handle(e.data);
    });
    w.addEventListener('error', (e) => {
      if (worker !== w) return;
      e.preventDefault();
      failRun('training', `the training worker crashed: ${e.message || 'unknown error (out of memory?)'}`);
    });
    w.addEventListener('messageerror', () => worker === w && failRun('training', 'a message from the training worker could not be read'));
  }
  const failAt = Number(params.get('failAt'));
  const message: StartMessage = {
    type: 'start',
    config,
    backends: [asked, ...otherBackends(asked)],
    base: new URL('./', location.href).href,
    ...(Number.isInteger(failAt) && params.has('failAt') ? { failAt } : {}),
  };
  worker?.postMessage(message);
}

function stop(): void {
  if (state !== 'running') return;
  stopWorker();
  setState('stopped', `stopped at step ${run?.step ?? 0}`);
  renderVerdict();
}

function failRun(kind: string, text: string, step?: number, backend?: string): void {
  stopWorker();
  const r = run;
  const on = backend ?? r?.info?.name ?? r?.asked ?? 'the backend';
  const where = step === undefined ? '' : ` at step ${step}`;
  setState('failed', `failed${where}`);
  const others = (BACKENDS.includes(on as BackendName) ? otherBackends(on as BackendName) : [...BACKENDS]).map((b) => ({
    label: `Train on ${LABELS[b]}`,
    run: () => trainOn(b),
  }));
  if (kind === 'memory') {
    showMessage(
      'error',
      `Out of memory: ${on} could not hold this configuration${where} (${text}). The page still works: make the network narrower, shallower or the batch smaller.`,
      [...shrinkFixes(r?.config ?? DEFAULT_CONFIG).map((fix) => ({ label: `Use ${fix.label}`, run: () => applyFix(fix) })), ...others],
    );
  } else if (kind === 'backend') {
    showMessage('error', `No backend could start: ${text}. The page still works: pick another backend.`, others);
  } else if (kind === 'config') {
    showMessage('error', `This configuration cannot be built: ${text}`);
  } else if (kind === 'data') {
    showMessage('error', `The MNIST digits could not be loaded: ${text}`);
  } else {
    showMessage('error', `Training on ${on} failed${where}: ${shortReason(text)}. The page still works: try again or switch the backend.`, others);
  }
  renderVerdict();
}

function handle(m: WorkerMessage): void {
  const r = run as Run;
  switch (m.type) {
    case 'status':
      setState('running', m.text);
      break;
    case 'backend': {
      r.info = m.info;
      const el = $('backend-status');
      el.dataset.backend = m.info.name;
      el.dataset.asked = r.asked;
      const extra = m.info.name === 'wasm' ? ` (SIMD ${m.info.simd ? 'on' : 'off'}, ${wasmThreads(m.info.threads, m.threadCount)})` : '';
      const adapter = m.info.adapter ? ` (${[m.info.adapter.vendor, m.info.adapter.architecture, m.info.adapter.description].filter(Boolean).join(' ')})` : '';
      el.textContent = `Training on ${LABELS[m.info.name]}${extra}${adapter}.`;
      if (m.info.fallbacks.length) {
        const why = (f: { name: BackendName; reason: string }) =>
          `${LABELS[f.name]}: ${shortReason(f.reason)}${support?.[f.name] && !support[f.name].ok ? ` (this browser: ${support[f.name].text})` : ''}`;
        el.textContent += ` Asked for ${LABELS[r.asked]}; fell back because ${m.info.fallbacks.map(why).join('; ')}.`;
        el.dataset.fallback = 'true';
      } else delete el.dataset.fallback;
      break;
    }
    case 'progress':
      r.step = m.step;
      r.stepsPerSecond = m.stepsPerSecond;
      for (const l of m.losses) r.losses.push([l.step, l.loss]);
      if (m.accuracy !== undefined) r.accuracy.push([m.step, m.accuracy]);
      $<HTMLProgressElement>('progress').value = m.step / r.config.steps;
      setState('running', `step ${m.step} / ${r.config.steps} · ${m.stepsPerSecond.toFixed(1)} steps/s`);
      scheduleCharts();
      break;
    case 'report':
      r.reports.push(m.report);
      scheduleCharts();
      renderVerdict();
      break;
    case 'nonfinite': {
      r.diverged = true;
      const fix = fixFor('nonfinite', r.config);
      showMessage(
        'warning',
        `The loss became ${m.loss} at step ${m.step}: the run diverged and stopped (NaN or Infinity cannot be trained away). Lower the learning rate or clip the gradients.`,
        fix ? [{ label: `Apply this fix: ${fix.label}`, run: () => applyFix(fix) }] : [],
      );
      break;
    }
    case 'done':
      r.verdict = m.verdict;
      r.testAccuracy = m.testAccuracy;
      r.seconds = m.seconds;
      r.step = m.steps;
      $<HTMLProgressElement>('progress').value = 1;
      setState(
        'done',
        `done: ${m.steps} steps in ${m.seconds.toFixed(1)} s${m.testAccuracy === undefined ? '' : ` · ${SCORES[r.config.task]} ${(100 * m.testAccuracy).toFixed(1)}%`}`,
      );
      scheduleCharts();
      renderVerdict();
      break;
    case 'error':
      failRun(m.kind, m.message, m.step, m.backend);
      break;
  }
}

function applyFix(fix: Fix): void {
  writeControls(fix.patch, true);
  if (fix.patch.task) showTask(fix.patch.task);
  start();
}

// ---- verdict panel -------------------------------------------------------------------------------

/** The report whose findings the panel shows: the latest one with the run's verdict, else the latest. */
function shownReport(r: Run): GradientReport | undefined {
  const want = r.verdict;
  for (let i = r.reports.length - 1; i >= 0; i--) if (!want || r.reports[i]?.verdict === want) return r.reports[i];
  return r.reports.at(-1);
}

let shownKey = '';

function renderVerdict(): void {
  const r = run;
  const verdictEl = $('verdict');
  const report = r ? shownReport(r) : undefined;
  const verdict = r?.verdict ?? report?.verdict;
  const final = r?.verdict !== undefined;
  verdictEl.textContent = verdict ?? '–';
  verdictEl.dataset.verdict = verdict ?? '';
  verdictEl.dataset.final = String(final);
  const counts = new Map<Verdict, number>();
  for (const rep of r?.reports ?? []) counts.set(rep.verdict, (counts.get(rep.verdict) ?? 0) + 1);
  const ratio = report?.firstLastRatio;
  $('verdict-detail').textContent = !r
    ? 'Press Train: the verdict and what to do about it appear here.'
    : `${final ? 'Over the run' : state === 'running' ? `Live (report at step ${report?.step ?? '–'})` : `Until the run ended (last report at step ${report?.step ?? '–'})`}: ${r.reports.length} reports (${[
        ...counts,
      ]
        .map(([v, n]) => `${n} ${v}`)
        .join(', ')})${ratio === undefined ? '' : `; first/last weight-layer ‖g‖ ratio ${ratio.toPrecision(2)}`}${
        r.testAccuracy === undefined ? '' : `; ${SCORES[r.config.task]} ${(100 * r.testAccuracy).toFixed(1)}%`
      }. ${describeConfig(r.config)}.`;
  const key = `${r?.id}:${report?.step}:${final}`;
  if (key === shownKey) return;
  shownKey = key;
  const list = $('findings');
  const findings = report?.findings ?? [];
  list.replaceChildren(
    ...findings.map((f) => findingItem(f, r as Run)),
    ...(report && findings.length === 0
      ? [Object.assign(document.createElement('li'), { textContent: 'No findings: the gradients look healthy at every layer.' })]
      : []),
  );
}

function findingItem(f: Finding, r: Run): HTMLLIElement {
  const li = document.createElement('li');
  li.dataset.kind = f.kind;
  li.append(
    Object.assign(document.createElement('div'), { className: 'what', textContent: `${f.severity === 'error' ? '✖' : '⚠'} ${f.what}` }),
    Object.assign(document.createElement('div'), { className: 'why', textContent: `Where: ${f.where}. ${f.why}` }),
  );
  if (f.toTry.length) {
    const ul = document.createElement('ul');
    ul.append(...f.toTry.map((t) => Object.assign(document.createElement('li'), { textContent: t })));
    li.append(Object.assign(document.createElement('div'), { textContent: 'What to try:' }), ul);
  }
  const fix = fixFor(f.kind, r.config);
  if (fix) {
    const b = Object.assign(document.createElement('button'), { type: 'button', className: 'fix', textContent: `Apply this fix: ${fix.label}` });
    b.dataset.kind = f.kind;
    b.addEventListener('click', () => applyFix(fix));
    li.append(b);
  }
  return li;
}

// ---- charts --------------------------------------------------------------------------------------

let chartsQueued = false;

function scheduleCharts(): void {
  if (chartsQueued) return;
  chartsQueued = true;
  requestAnimationFrame(() => {
    chartsQueued = false;
    try {
      renderCharts();
    } catch (e) {
      showMessage('error', `A chart could not be drawn: ${(e as Error).message}`);
    }
  });
}

function renderCharts(): void {
  const r = run;
  const xMax = r?.config.steps ?? 1;
  const losses = r?.losses ?? [];
  const finite = losses.map(([, l]) => l).filter(Number.isFinite);
  const mark = (id: string, n: number) => {
    $(id).dataset.drawn = String(n);
  };
  mark('chart-loss', drawLines($('chart-loss'), [{ label: 'loss', color: '#1f6feb', points: losses }], { xMax, log: Math.max(0, ...finite) > 50 }));
  mark('chart-accuracy', drawLines($('chart-accuracy'), [{ label: 'accuracy', color: '#1a7f37', points: r?.accuracy ?? [] }], { xMax, yRange: [0, 1] }));
  const reports = r?.reports ?? [];
  const latest = reports.at(-1);
  const first = reports[0];
  const weights = (rep: GradientReport | undefined) => rep?.layers.filter((l) => l.isWeight) ?? [];
  const firstNorms = new Map(weights(first).map((l) => [l.name, l.gradNorm]));
  const w = weights(latest);
  mark(
    'chart-flow',
    drawBars(
      $('chart-flow'),
      w.map((l, i) => ({
        label: String(i + 1),
        value: l.gradNorm,
        color: layerColor(w.length > 1 ? i / (w.length - 1) : 1),
        ...(reports.length > 1 && firstNorms.has(l.name) ? { reference: firstNorms.get(l.name) as number } : {}),
      })),
    ),
  );
  const names = weights(latest ?? first).map((l) => l.name);
  mark(
    'chart-norms',
    drawLines(
      $('chart-norms'),
      [
        ...names.map((name, i) => ({
          label: name,
          color: layerColor(names.length > 1 ? i / (names.length - 1) : 1),
          points: reports.map((rep) => [rep.step ?? 0, rep.layers.find((l) => l.name === name)?.gradNorm ?? Number.NaN] as [number, number]),
        })),
        { label: 'global', color: '#111', width: 2.5, points: reports.map((rep) => [rep.step ?? 0, rep.globalNorm] as [number, number]) },
      ],
      { xMax, log: true },
    ),
  );
  if (!$('figure-temporal').hidden) mark('chart-temporal', drawTemporal(reports));
  if (!$('figure-attention').hidden) mark('chart-attention', drawAttention(reports, xMax));
}

/** The heat map of ‖∂L/∂hₜ‖: one panel per recurrent layer, a row per report (training step), a column per t. */
function drawTemporal(reports: readonly GradientReport[]): number {
  const layers = [...new Set(reports.flatMap((rep) => (rep.temporal ?? []).map((p) => p.layer)))];
  const panels = layers.map((layer) => {
    const rows = reports.flatMap((rep) => {
      const p = rep.temporal?.find((q) => q.layer === layer);
      return p ? [{ key: rep.step ?? 0, steps: p.steps, values: p.gradNorm }] : [];
    });
    const columns = [...new Set(rows.flatMap((r) => r.steps))].sort((a, b) => a - b);
    return {
      label: `${layer}: ‖∂L/∂hₜ‖ (rows: training step)`,
      columns,
      rows: rows.map((r) => ({ key: r.key, values: columns.map((t) => r.values[r.steps.indexOf(t)] ?? Number.NaN) })),
    };
  });
  const values = panels.flatMap((p) => p.rows.flatMap((r) => r.values));
  $('chart-temporal').dataset.cells = String(values.length);
  $('chart-temporal').dataset.nonfinite = String(values.filter((v) => !Number.isFinite(v)).length);
  return drawHeatMap($('chart-temporal'), panels, {
    xLabel: 'time step t (input side → output side)',
    yLabel: 'training step',
    empty: reports.length ? 'no step taps in the reports' : 'no report yet',
  });
}

/** Attention entropy per layer over steps, each with its maximum (uniform attention) dashed. */
function drawAttention(reports: readonly GradientReport[], xMax: number): number {
  const layers = [...new Set(reports.flatMap((rep) => (rep.attention ?? []).map((a) => a.layer)))];
  const series = layers.flatMap((layer, i) => {
    const color = layerColor(layers.length > 1 ? i / (layers.length - 1) : 1);
    const at = (pick: (a: NonNullable<GradientReport['attention']>[number]) => number | undefined) =>
      reports.map((rep) => [rep.step ?? 0, pick(rep.attention?.find((a) => a.layer === layer) ?? { layer }) ?? Number.NaN] as [number, number]);
    return [
      { label: layer, color, width: 2, points: at((a) => a.entropy) },
      { label: `${layer} max`, color, dash: [4, 3], width: 1, points: at((a) => a.maxEntropy) },
    ];
  });
  const top = Math.max(0, ...series.flatMap((s) => s.points.map(([, v]) => v)).filter(Number.isFinite));
  return drawLines($('chart-attention'), series, { xMax, yRange: [0, top > 0 ? top * 1.05 : 1] });
}

// ---- start-up ------------------------------------------------------------------------------------

function init(): void {
  fillSelect('activation', ACTIVATIONS);
  fillSelect('init', INITS);
  fillSelect('norm', NORMS);
  fillSelect('schedule', SCHEDULES);
  fillSelect('optimizer', OPTIMIZERS);
  fillSelect('task', TASKS);
  fillSelect('cell', CELLS);
  fillSelect('blockNorm', BLOCK_NORMS);
  const params = new URLSearchParams(location.search);
  const fromUrl = configFromUrl(params);
  writeControls(fromUrl.config);
  showTask(fromUrl.config.task);
  if (fromUrl.warnings.length) showMessage('warning', `The link's settings: ${fromUrl.warnings.join('; ')}.`);
  const asked = params.get('backend');
  let chosen: BackendName = BACKENDS.includes(asked as BackendName) ? (asked as BackendName) : 'wasm';
  renderBackendChoices(chosen);
  probeSupport().then(
    (found) => {
      support = found;
      chosen = selectedBackend();
      if (!asked && found.webgpu.ok && !/software/.test(found.webgpu.text)) chosen = 'webgpu';
      renderBackendChoices(chosen);
      $('backends').dataset.ready = 'true';
    },
    (e) => showMessage('warning', `Could not check which backends this browser supports: ${(e as Error).message}`),
  );
  const TITLES: Record<TaskName, string> = {
    mlp: 'MLP on MNIST (depth)',
    adding: 'RNN on the adding problem (time)',
    cnn: 'Deep conv net on MNIST (depth)',
    transformer: 'Transformer reversing digits (attention)',
  };
  $('presets').replaceChildren(
    ...TASKS.map((task) => {
      const group = Object.assign(document.createElement('div'), { className: 'presets' });
      group.dataset.task = task;
      group.append(
        Object.assign(document.createElement('div'), { className: 'task', textContent: TITLES[task] }),
        ...PRESETS.filter((p) => presetTask(p) === task).map((p) => {
          const b = Object.assign(document.createElement('button'), { type: 'button', textContent: p.title, title: `expected: ${p.expect}` });
          b.dataset.preset = p.id;
          b.addEventListener('click', () => {
            writeControls(presetControls(p, readControls()), true);
            showTask(task);
          });
          return b;
        }),
      );
      return group;
    }),
  );
  (form.elements.namedItem('task') as HTMLSelectElement).addEventListener('change', (e) => {
    // A task has its own controls: the form resets to the task's defaults.
    const task = (e.target as HTMLSelectElement).value as TaskName;
    writeControls({ ...DEFAULT_CONFIG, ...TASK_DEFAULTS[task] }, true);
    showTask(task);
  });
  $('train').addEventListener('click', start);
  $('stop').addEventListener('click', stop);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    start();
  });
  addEventListener('resize', scheduleCharts);
  setState('idle', 'idle');
  renderVerdict();
  scheduleCharts();
  initDoctorPanel(selectedBackend);
}

addEventListener('error', (e) => showMessage('error', `Something went wrong on the page: ${e.message}. The controls still work.`));
addEventListener('unhandledrejection', (e) =>
  showMessage('error', `Something went wrong on the page: ${(e.reason as Error)?.message ?? String(e.reason)}. The controls still work.`),
);
try {
  init();
} catch (e) {
  showMessage('error', `The page could not start: ${(e as Error).message}`);
}
