// The doctor worker (the page terminates it to stop; a finished one takes the next diagnosis): starts the backend, reads the
// user's files (model.json + weights, the data) with gradient-lab's browser-safe readers, runs the
// doctor (`runDoctor` of `@gradkit/gradient-lab/doctor`: the probe fit, the diagnosis, each remedy
// from the same weights for the same budget, ranked) and posts its progress, the diagnosis, the CLI's
// ranked table and report.json. It keeps the model: on `save` it applies a remedy to a copy and posts
// the copy's files (model.json + weights.bin). Every failure becomes an `error` message in words.
import { DoctorInputError } from '@gradkit/gradient-lab/doctor';
import { startBackend, watchDevice } from './backend-start.js';
import type { DoctorFailureKind, DoctorSaveMessage, DoctorStartMessage, DoctorWorkerMessage } from './doctor-protocol.js';
import { type DoctorRunResult, remediedFiles, runDoctorOnFiles } from './doctor-run.js';

interface WorkerScope {
  postMessage(message: DoctorWorkerMessage, transfer?: Transferable[]): void;
  addEventListener(type: 'message', listener: (e: MessageEvent<DoctorStartMessage | DoctorSaveMessage>) => void): void;
  addEventListener(type: 'unhandledrejection', listener: (e: PromiseRejectionEvent) => void): void;
}
const scope = self as unknown as WorkerScope;
const post = (m: DoctorWorkerMessage, transfer?: Transferable[]) => scope.postMessage(m, transfer);

/**
 * A message for people, never a stack: a DoctorInputError is about the user's files (it names the
 * file, row, column or weight: `input`); any other error's first line.
 */
function fail(kind: DoctorFailureKind, e: unknown): void {
  const message = e instanceof Error ? e.message : String(e);
  post({ type: 'error', kind: e instanceof DoctorInputError ? 'input' : kind, message: message.split('\n')[0] ?? message });
}

let done: DoctorRunResult | undefined;

async function diagnose(msg: DoctorStartMessage): Promise<void> {
  post({ type: 'status', text: `starting ${msg.backends[0]}…` });
  let backend: string;
  try {
    const { info, threadCount } = await startBackend(msg.backends, msg.base);
    backend = info.name === 'wasm' ? `wasm (${threadCount} thread${threadCount === 1 ? '' : 's'})` : info.name;
    post({ type: 'backend', info, threadCount });
    watchDevice((error) => fail('backend', error));
  } catch (e) {
    fail('backend', e);
    return;
  }
  const started = performance.now();
  post({ type: 'status', text: 'reading your files…' });
  const { files, settings } = msg;
  done?.model.dispose();
  done = undefined;
  const result = await runDoctorOnFiles({
    modelJson: new Uint8Array(files.model.bytes),
    modelName: files.model.name,
    weights: new Map(files.weights.map((w) => [w.name, new Uint8Array(w.bytes)])),
    data: new Uint8Array(files.data.bytes),
    dataName: files.data.name,
    settings,
    backend,
    onNotes: (lines) => post({ type: 'notes', lines }),
    onProgress: (p) => post({ type: 'progress', phase: p.phase, step: p.step, total: p.total, ...(p.loss === undefined ? {} : { loss: p.loss }) }),
    onDiagnosis: (d) =>
      post({
        type: 'diagnosis',
        diagnosis: {
          verdict: d.verdict,
          findings: d.findings,
          settings: d.settings,
          initialLoss: d.initialLoss,
          finalLoss: d.finalLoss,
          spikes: d.spikes,
          remedies: d.remedies,
        },
      }),
  });
  done = result;
  const recommended = result.run.trial.recommended?.name;
  post({
    type: 'trial',
    header: result.header,
    rows: result.rows,
    recommendation: result.recommendation,
    ...(recommended === undefined ? {} : { recommended }),
    reportJson: result.reportJson,
    seconds: (performance.now() - started) / 1000,
  });
}

/** The files of the model with remedy `name` applied (a copy from the user's weights). */
async function save(msg: DoctorSaveMessage): Promise<void> {
  if (!done) throw new Error('there is no diagnosis to take a remedy from yet');
  const action = done.run.diagnosis.remedies.find((a) => a.name === msg.name);
  if (!action?.applicable) throw new Error(`the remedy ${msg.name} cannot be applied to this model`);
  const { modelJson, weights } = await remediedFiles(done.model, action, done.run);
  post({ type: 'remedied', id: msg.id, name: msg.name, modelJson, weights }, [weights]);
}

scope.addEventListener('message', (e) => {
  if (e.data?.type === 'doctor') diagnose(e.data).catch((err) => fail('doctor', err));
  else if (e.data?.type === 'save') save(e.data).catch((err) => fail('doctor', err));
});
scope.addEventListener('unhandledrejection', (e) => fail('doctor', e.reason));
