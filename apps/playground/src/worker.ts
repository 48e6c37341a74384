// The training worker: one per run (the page terminates it to stop). Starts the backend with
// useBackend (falling back in the order the page gives), loads the digits, builds the configuration's
// task (the MLP as gradient-lab does; the adding, cnn and transformer tasks in training-task.ts),
// trains with minibatch steps while a GradientMonitor watches the gradients (with taps: dead units,
// saturation, ∂L/∂h per layer and per time step, attention), and posts losses, accuracies and reports
// (with the temporal profiles and attention entropy) to the page. Every failure becomes an `error` message that says what happened.
import { Optimizer } from '@gradkit/core';
import { type AttentionStats, GradientMonitor } from '@gradkit/diagnostics';
import { trainStep } from '@gradkit/gradient-lab/model';
import * as tf from '@tensorflow/tfjs-core';
import { startBackend, watchDevice } from './backend-start.js';
import type { PlaygroundConfig } from './config.js';
import { type Digits, fetchDigits } from './data.js';
import { runVerdict } from './fixes.js';
import type { FailureKind, StartMessage, WorkerMessage } from './protocol.js';
import { mergeAttention, temporalOf } from './sequence-stats.js';
import { buildTask, type TrainingTask } from './training-task.js';

interface WorkerScope {
  postMessage(message: WorkerMessage): void;
  addEventListener(type: 'message', listener: (e: MessageEvent<StartMessage>) => void): void;
  addEventListener(type: 'unhandledrejection', listener: (e: PromiseRejectionEvent) => void): void;
}
const scope = self as unknown as WorkerScope;
const post = (m: WorkerMessage) => scope.postMessage(m);

/** Steps at the start that are always observed (a run that diverges does so early). */
const EARLY_REPORTS = 5;
/** Monitor reports over a run, besides the early ones and the last step. */
const REPORTS = 20;

let backendName: string | undefined;
let currentStep: number | undefined;

const MEMORY =
  /out of memory|outofmemory|allocation failed|failed to allocate|\boom\b|memory access out of bounds|maximum memory|invalid (typed )?array length|exceeds the max|too large|createBuffer/i;

function fail(kind: FailureKind, e: unknown): void {
  const message = e instanceof Error ? e.message : String(e);
  post({ type: 'error', kind: MEMORY.test(message) ? 'memory' : kind, message, step: currentStep, backend: backendName });
}

async function train(msg: StartMessage, digits: Digits): Promise<void> {
  const config: PlaygroundConfig = msg.config;
  const started = performance.now();
  let task: TrainingTask;
  let optimizer: Optimizer;
  try {
    task = buildTask(config, digits);
  } catch (e) {
    fail('config', e);
    return;
  }
  try {
    optimizer = new Optimizer(task.model.params, task.transform);
  } catch (e) {
    task.model.dispose();
    fail('config', e);
    return;
  }
  const params = task.model.params;
  // Reports go out in observation order; a transformer's report waits for its step's attention
  // entropy, which fills in where the diagnostics' `report.attention` has none (or a non-finite one).
  const attentionAt = new Map<number, Promise<AttentionStats[]>>();
  let posted: Promise<void> = Promise.resolve();
  const monitor = new GradientMonitor({
    historyLimit: 10_000,
    activationKinds: task.activationKinds,
    onReport: (report) => {
      const own = report.step === undefined ? undefined : attentionAt.get(report.step);
      if (report.step !== undefined) attentionAt.delete(report.step);
      posted = posted.then(async () => {
        const attention = mergeAttention(report.attention, await own);
        const temporal = temporalOf(report);
        post({ type: 'report', report: { ...report, ...(attention ? { attention } : {}), ...(temporal ? { temporal } : {}) } });
      });
    },
  });
  const every = Math.max(1, Math.floor(config.steps / REPORTS));
  const readEvery = Math.max(1, Math.min(10, Math.round(config.steps / 50)));
  const evalEvery = Math.max(1, Math.floor(config.steps / 10));
  let pending: { step: number; loss: tf.Scalar }[] = [];
  let diverged = false;
  let step = 0;

  // Measured where the optimizer evaluates (schedule-free's x; the weights for the others).
  const evaluate = async (full: boolean) => {
    optimizer.eval();
    try {
      return await task.evaluate(full);
    } finally {
      optimizer.train();
    }
  };

  const flushLosses = async (measureAccuracy: boolean) => {
    const taken = pending;
    pending = [];
    let losses: { step: number; loss: number }[] = [];
    if (taken.length > 0) {
      const stacked = tf.stack(taken.map((l) => l.loss));
      tf.dispose(taken.map((l) => l.loss));
      const values = await stacked.data();
      stacked.dispose();
      losses = taken.map(({ step: s }, i) => ({ step: s, loss: values[i] as number }));
    }
    const bad = losses.find((l) => !Number.isFinite(l.loss));
    if (bad) {
      diverged = true;
      post({ type: 'nonfinite', step: bad.step, loss: bad.loss });
    }
    const acc = measureAccuracy && !diverged ? await evaluate(false) : undefined;
    const seconds = (performance.now() - started) / 1000;
    post({ type: 'progress', step, losses, ...(acc === undefined ? {} : { accuracy: acc }), stepsPerSecond: step / Math.max(seconds, 1e-3) });
  };

  try {
    await flushLosses(true);
    while (step < config.steps && !diverged) {
      currentStep = step;
      if (msg.failAt !== undefined && step === msg.failAt)
        throw new Error(`simulated failure of the ${backendName} backend (the page was opened with ?failAt=${msg.failAt})`);
      const batch = task.next();
      const observe = step < EARLY_REPORTS || step % every === 0 || step === config.steps - 1;
      if (observe && task.attention)
        attentionAt.set(
          step,
          task.attention(batch.x).catch(() => []),
        );
      pending.push({ step, loss: trainStep(batch.loss, params, optimizer, observe ? monitor : undefined, step) });
      tf.dispose([...batch.tensors]);
      step++;
      if (step % readEvery === 0 || step === config.steps) await flushLosses(step % evalEvery === 0 || step === config.steps);
    }
    await monitor.flush();
    await posted;
    const testAccuracy = diverged ? undefined : await evaluate(true);
    const verdict = runVerdict(
      monitor.history.map((r) => r.verdict),
      diverged,
    );
    post({ type: 'done', steps: step, verdict, testAccuracy, seconds: (performance.now() - started) / 1000, diverged });
  } catch (e) {
    fail('training', e);
  } finally {
    tf.dispose(pending.map((l) => l.loss));
    optimizer.dispose();
    task.model.dispose();
  }
}

let cachedDigits: { url: string; digits: Promise<Digits> } | undefined;

/** Runs one configuration; a worker may run several, one after the other, on the same backend. */
async function run(msg: StartMessage): Promise<void> {
  post({ type: 'status', text: `starting ${msg.backends[0]} and loading the digits…` });
  currentStep = undefined;
  const url = new URL('mnist-digits.bin.gz', msg.base).href;
  if (cachedDigits?.url !== url) {
    cachedDigits = { url, digits: fetchDigits(url) };
    cachedDigits.digits.catch(() => {
      cachedDigits = undefined;
    });
  }
  const digits = cachedDigits.digits;
  try {
    const { info, threadCount } = await startBackend(msg.backends, msg.base);
    backendName = info.name;
    post({ type: 'backend', info, threadCount });
    watchDevice((error, memory) => fail(memory ? 'memory' : 'training', error));
  } catch (e) {
    fail('backend', e);
    return;
  }
  let data: Digits;
  try {
    data = await digits;
  } catch (e) {
    fail('data', e);
    return;
  }
  post({ type: 'status', text: 'training…' });
  await train(msg, data);
}

scope.addEventListener('message', (e) => {
  if (e.data?.type === 'start') run(e.data).catch((err) => fail('training', err));
});
scope.addEventListener('unhandledrejection', (e) => fail('training', e.reason));
