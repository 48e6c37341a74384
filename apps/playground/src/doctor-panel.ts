// The "bring your own model" panel: the user picks a tfjs-layers model (model.json + weight files)
// and a data file; the page reads them (File.arrayBuffer(): nothing is uploaded) and hands the bytes
// to a doctor worker, which diagnoses the model and tries the remedies on the backend chosen above.
// The panel shows the progress, the verdict and findings, the CLI's ranked table and recommendation,
// and offers report.json and, for a remedy, the remedied model (model.json + weights.bin) as Blob
// downloads. Bad input (a file that is not what it should be, a bad setting) is a message in the panel.
import type { BackendInfo } from '@gradkit/core';
import type { Finding } from '@gradkit/diagnostics';
import { BACKENDS, type BackendName } from './config.js';
import type { DoctorDiagnosisView, DoctorRowView, DoctorStartMessage, DoctorWorkerMessage, PickedFile } from './doctor-protocol.js';
import { type DoctorFields, doctorSettingsFrom } from './doctor-settings.js';

type DoctorState = 'idle' | 'running' | 'done' | 'failed' | 'stopped' | 'refused';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const el = <K extends keyof HTMLElementTagNameMap>(tag: K, props: Partial<HTMLElementTagNameMap[K]> = {}, ...children: (Node | string)[]) => {
  const e = Object.assign(document.createElement(tag), props);
  e.append(...children);
  return e;
};

let worker: Worker | undefined;
let runId = 0;
let state: DoctorState = 'idle';
let verdict: string | undefined;
let recommended: string | undefined;
let backendName: string | undefined;
/** When each phase (baseline, each remedy) of the diagnosis began and last reported, in ms since the page loaded. */
let phases: { phase: string; from: number; to: number }[] = [];
/** The latest remedied-model request (older replies are ignored). */
let saveId = 0;
const blobUrls: string[] = [];

function setState(next: DoctorState, text: string): void {
  state = next;
  const status = $('doctor-status');
  status.dataset.state = next;
  status.textContent = text;
  $<HTMLButtonElement>('doctor-stop').disabled = next !== 'running';
  const seconds = phases.map((p) => `${p.phase} ${((p.to - p.from) / 1000).toFixed(1)} s`).join(', ');
  Object.assign(globalThis, { __doctor: { state, runId, verdict, recommended, backend: backendName, phases: seconds } });
}

function showMessage(kind: 'error' | 'warning', text: string): void {
  const m = $('doctor-message');
  m.hidden = false;
  m.className = `message ${kind}`;
  m.dataset.kind = kind;
  m.textContent = text;
}

function stopWorker(): void {
  worker?.terminate();
  worker = undefined;
}

/** A link that downloads `data` as `name` (a Blob URL, revoked when the next diagnosis starts). */
function downloadLink(name: string, data: BlobPart, type: string, label = name): HTMLAnchorElement {
  const url = URL.createObjectURL(new Blob([data], { type }));
  blobUrls.push(url);
  const a = el('a', { href: url, download: name, textContent: label, className: 'download' });
  a.dataset.file = name;
  return a;
}

function resetResult(): void {
  for (const url of blobUrls.splice(0)) URL.revokeObjectURL(url);
  verdict = undefined;
  recommended = undefined;
  phases = [];
  backendName = undefined;
  $('doctor-message').hidden = true;
  $('doctor-result').hidden = true;
  $('doctor-notes').replaceChildren();
  $('doctor-loss').textContent = '';
  $('doctor-findings').replaceChildren();
  $('doctor-table').replaceChildren();
  $('doctor-recommendation').textContent = '';
  $('doctor-downloads').replaceChildren();
  $('doctor-model-files').replaceChildren();
  $('doctor-verdict').textContent = '–';
  $('doctor-verdict').dataset.verdict = '';
  $<HTMLProgressElement>('doctor-progress').value = 0;
}

async function pick(input: HTMLInputElement): Promise<PickedFile[]> {
  return Promise.all(Array.from(input.files ?? []).map(async (f) => ({ name: f.name, bytes: await f.arrayBuffer() })));
}

function fields(): DoctorFields {
  const form = $<HTMLFormElement>('doctor-form');
  const value = (name: string) => (form.elements.namedItem(name) as HTMLInputElement).value;
  return {
    label: value('label'),
    task: value('task'),
    budget: value('budget'),
    batch: value('batch'),
    lr: value('lr'),
    optimizer: value('optimizer'),
    seed: value('seed'),
  };
}

async function start(backend: () => BackendName): Promise<void> {
  const asked = backend();
  // A worker whose diagnosis is done on the backend asked for takes the next one (WebGPU's shaders are compiled).
  const reuse = worker !== undefined && state === 'done' && backendName === asked;
  if (!reuse) stopWorker();
  saveId++;
  resetResult();
  runId++;
  const { settings, problems } = doctorSettingsFrom(fields());
  if (!settings) {
    setState('refused', 'not started');
    showMessage('error', `These settings cannot be used: ${problems.join('; ')}.`);
    return;
  }
  const [models, weights, data] = await Promise.all([pick($('doctor-model')), pick($('doctor-weights')), pick($('doctor-data'))]);
  const missing = [
    models.length === 0 ? "the model's model.json" : '',
    weights.length === 0 ? 'its weight file(s) (weights.bin or group1-shard…bin, as model.save wrote them)' : '',
    data.length === 0 ? 'a data file (CSV with a header row)' : '',
  ].filter(Boolean);
  if (missing.length || !models[0] || !data[0]) {
    setState('refused', 'not started');
    showMessage('error', `Pick ${missing.join(', ')}.`);
    return;
  }
  const message: DoctorStartMessage = {
    type: 'doctor',
    files: { model: models[0], weights, data: data[0] },
    settings,
    backends: [asked, ...BACKENDS.filter((b) => b !== asked)],
    base: new URL('./', location.href).href,
  };
  setState('running', `starting ${asked}…`);
  if (!worker) {
    let w: Worker;
    try {
      w = new Worker(new URL('./doctor-worker.ts', import.meta.url), { type: 'module', name: `gradkit-doctor-${runId}` });
    } catch (e) {
      setState('failed', 'failed');
      showMessage('error', `This browser could not start the doctor's worker: ${(e as Error).message}`);
      return;
    }
    worker = w;
    w.addEventListener('message', (e: MessageEvent<DoctorWorkerMessage>) => {
      if (worker === w) handle(e.data);
    });
    w.addEventListener('error', (e) => {
      if (worker !== w) return;
      e.preventDefault();
      fail(`the doctor's worker crashed: ${e.message || 'unknown error (out of memory?)'}`);
    });
  }
  worker.postMessage(message, [models[0].bytes, ...weights.map((f) => f.bytes), data[0].bytes]);
}

function fail(text: string): void {
  stopWorker();
  setState('failed', 'failed');
  showMessage('error', text);
}

function backendText(info: BackendInfo, threadCount: number): string {
  const threads = info.name === 'wasm' ? ` (${threadCount} thread${threadCount === 1 ? '' : 's'})` : '';
  const fell = info.fallbacks.length ? `; fell back from ${info.fallbacks.map((f) => f.name).join(', ')}` : '';
  return `on ${info.name}${threads}${fell}`;
}

function findingItem(f: Finding): HTMLLIElement {
  const li = el(
    'li',
    {},
    el('div', { className: 'what', textContent: `${f.severity === 'error' ? '✖' : '⚠'} ${f.what}` }),
    el('div', { className: 'why', textContent: `Where: ${f.where}. ${f.why}` }),
  );
  li.dataset.kind = f.kind;
  return li;
}

function showDiagnosis(d: DoctorDiagnosisView): void {
  verdict = d.verdict;
  $('doctor-result').hidden = false;
  const v = $('doctor-verdict');
  v.textContent = d.verdict;
  v.dataset.verdict = d.verdict;
  $('doctor-loss').textContent = `Loss over the data during the probe fit: ${d.initialLoss.toPrecision(3)} → ${d.finalLoss.toPrecision(3)}.`;
  $('doctor-findings').replaceChildren(
    ...(d.findings.length ? d.findings.map(findingItem) : [el('li', { textContent: 'No findings: the gradients look healthy at every layer.' })]),
  );
}

function showTable(header: readonly string[], rows: readonly DoctorRowView[]): void {
  const head = el('tr', {}, ...header.map((h) => el('th', { textContent: h })), el('th', { textContent: 'model' }));
  $('doctor-table').replaceChildren(
    el('thead', {}, head),
    el(
      'tbody',
      {},
      ...rows.map((r) => {
        const tr = el('tr', {}, ...r.cells.map((c) => el('td', { textContent: c })));
        tr.dataset.name = r.name;
        tr.dataset.recommended = String(r.recommended);
        if (r.recommended) tr.className = 'recommended';
        const cell = el('td');
        if (r.applied) {
          const b = el('button', { type: 'button', className: 'save', textContent: 'remedied model' });
          b.dataset.name = r.name;
          b.addEventListener('click', () => requestModel(r.name));
          cell.append(b);
        }
        tr.append(cell);
        return tr;
      }),
    ),
  );
}

function requestModel(name: string): void {
  if (!worker) {
    showMessage('error', 'The doctor has stopped: diagnose again to get a remedied model.');
    return;
  }
  $('doctor-model-files').replaceChildren(`preparing the model with ${name}…`);
  worker.postMessage({ type: 'save', name, id: ++saveId });
}

function handle(m: DoctorWorkerMessage): void {
  switch (m.type) {
    case 'status':
      setState('running', m.text);
      break;
    case 'backend':
      backendName = m.info.name;
      $('doctor-status').dataset.backend = m.info.name;
      setState('running', `diagnosing ${backendText(m.info, m.threadCount)}…`);
      break;
    case 'notes':
      $('doctor-result').hidden = false;
      $('doctor-notes').replaceChildren(...m.lines.map((line) => el('li', { textContent: line })));
      break;
    case 'progress': {
      const now = performance.now();
      if (phases.at(-1)?.phase !== m.phase) phases.push({ phase: m.phase, from: phases.at(-1)?.to ?? now, to: now });
      (phases.at(-1) as { to: number }).to = now;
      $<HTMLProgressElement>('doctor-progress').value = m.total > 0 ? m.step / m.total : 0;
      setState('running', `${m.phase}: step ${m.step} / ${m.total}${m.loss === undefined ? '' : ` · loss ${m.loss.toPrecision(3)}`} (${backendName ?? '…'})`);
      break;
    }
    case 'diagnosis':
      showDiagnosis(m.diagnosis);
      break;
    case 'trial': {
      recommended = m.recommended;
      showTable(m.header, m.rows);
      const rec = $('doctor-recommendation');
      rec.textContent = m.recommendation;
      rec.dataset.recommended = m.recommended ?? '';
      $('doctor-downloads').replaceChildren(downloadLink('report.json', m.reportJson, 'application/json'));
      $<HTMLProgressElement>('doctor-progress').value = 1;
      setState('done', `done in ${m.seconds.toFixed(1)} s on ${backendName}`);
      if (m.recommended) requestModel(m.recommended);
      break;
    }
    case 'remedied':
      if (m.id !== saveId) break;
      $('doctor-model-files').replaceChildren(
        `Your model with ${m.name} applied (a copy from your weights, not trained yet; compiled as the doctor trained it): `,
        downloadLink('model.json', m.modelJson, 'application/json'),
        ' ',
        downloadLink('weights.bin', m.weights, 'application/octet-stream'),
        ` — keep both in one folder and load it with tf.loadLayersModel.`,
      );
      $('doctor-model-files').dataset.name = m.name;
      break;
    case 'error':
      if (state !== 'running') {
        showMessage('error', m.kind === 'input' ? m.message : `The remedied model could not be made: ${m.message}`);
        break;
      }
      stopWorker();
      setState('failed', 'failed');
      showMessage(
        'error',
        m.kind === 'input'
          ? `Your files cannot be used: ${m.message}`
          : m.kind === 'backend'
            ? `The backend failed: ${m.message}. Pick another backend above and diagnose again.`
            : `The doctor failed: ${m.message}`,
      );
      break;
  }
}

/** Wires the panel; `backend` reads the backend chosen in the page's backend switch. */
export function initDoctorPanel(backend: () => BackendName): void {
  $('doctor-run').addEventListener('click', () => {
    start(backend).catch((e) => fail(`the files could not be read: ${(e as Error).message}`));
  });
  $('doctor-stop').addEventListener('click', () => {
    if (state !== 'running') return;
    stopWorker();
    setState('stopped', 'stopped');
  });
  setState('idle', 'idle');
}
