import { BackendError, checkOptions, fastPathsEnabled, type ParamTree, StateError } from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import { wholeNumber } from '../checks.js';
import { GpuCounter } from './gpu-counter.js';
import { recordStep, type StepRecord, trackPhases } from './recorder.js';
import { quantile, summarize } from './summarize.js';
import { type StepRunner, targetRunner } from './target.js';
import type { KernelTiming, ProfileStepOptions, ProfileTarget, StepProfile } from './types.js';

/** The engine state checked before anything runs (tfjs-core 4.22). */
interface EngineState {
  backendName: string | null;
  backendInstance: unknown;
  state: { profiling: boolean };
}

/** Throws unless a backend was started, without starting one (tfjs would start its default). */
function checkBackend(): void {
  const engine = tf.engine() as unknown as EngineState;
  if (engine.backendName == null || engine.backendInstance == null)
    throw new BackendError(
      'none',
      "profileStep needs a backend that is set up: call await useBackend('wasm') (or 'cpu', 'webgpu', 'auto') from @gradkit/core first",
    );
  if (engine.state.profiling) throw new StateError('profile', 'profileStep cannot run inside tf.profile(...): call it outside');
}

/** How the active backend times kernels. */
function kernelTiming(): KernelTiming {
  if (tf.getBackend() !== 'webgpu') return 'wall-clock';
  return (tf.backend() as unknown as { supportTimestampQuery?: boolean }).supportTimestampQuery ? 'gpu-timestamps' : 'cpu-encode';
}

const TIMING_NOTES: Record<KernelTiming, string> = {
  'wall-clock': 'kernel times are wall-clock times of each kernel (the backend runs them synchronously)',
  'gpu-timestamps':
    "kernel times are GPU times of tfjs's WebGPU programs (timestamp queries); kernels that dispatch their own passes (gradkit's fused optimizer steps) show only what tfjs timed",
  'cpu-encode':
    'kernel times are CPU-side times (mostly encoding commands): this WebGPU device has no timestamp queries, so GPU time shows only in stepMs; read dispatches and submits',
};

/** Runs `body` with tfjs's per-kernel NaN check off (it reads every output back while profiling). */
async function withoutComputationChecks<T>(body: () => Promise<T>): Promise<T> {
  const flag = 'CHECK_COMPUTATION_FOR_ERRORS';
  const flags = tf.env().getFlags();
  const had = Object.hasOwn(flags, flag);
  const before = had ? tf.env().getBool(flag) : false;
  tf.env().set(flag, false);
  try {
    return await body();
  } finally {
    if (had) tf.env().set(flag, before);
    else delete flags[flag];
  }
}

/** Wall-clock times of `n` plain steps, with their WebGPU work counted by `gpu`. */
async function plainStepTimes(runner: StepRunner, n: number, gpu: GpuCounter): Promise<number[]> {
  const times: number[] = [];
  gpu.start();
  try {
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      await runner.step();
      times.push(performance.now() - t0);
    }
  } finally {
    gpu.stop();
  }
  return times;
}

/** The profiled steps, with the phases tracked and (on WebGPU) dispatches counted per kernel. */
async function profiledSteps(runner: StepRunner, steps: number, timing: KernelTiming, gpu: GpuCounter): Promise<StepRecord[]> {
  const phases = trackPhases();
  gpu.start();
  try {
    const records: StepRecord[] = [];
    for (let i = 0; i < steps; i++) records.push(await recordStep(runner.step, timing, phases, gpu));
    return records;
  } finally {
    gpu.stop();
    phases.stop();
  }
}

/**
 * Profiles a training step: where its time goes, per phase (forward, backward, update) and per
 * kernel (time, calls, bytes, input shapes), on any backend, and how long a plain step takes.
 *
 * It runs `warmup` untimed steps, then `timedSteps` plain steps timed end to end (each waits for its
 * loss to be read back; on WebGPU their dispatches and queue submits are counted), then `steps`
 * steps under `tf.profile`. **It trains**: the parameters (or the model's weights) end
 * `warmup + steps + timedSteps` steps further on, exactly as if those steps had been run by hand
 * (profile a copy if that matters). A loss function is also run once beforehand, outside any
 * gradient, to check that it returns a scalar. Nothing else about the model, the optimizer or
 * tfjs is changed; tfjs's `CHECK_COMPUTATION_FOR_ERRORS` flag is off while profiling and restored.
 *
 * How to read it: `stepMs` is what a step costs; `phases` say how kernel time splits between the
 * forward pass, the gradients and the update; `kernels` (slowest first) say which kernels. Kernel
 * times add up to `kernelMs`; the gap to `stepMs` is JavaScript and tfjs overhead between kernels.
 * `formatProfile` prints it as a table. Like PyTorch's `torch.profiler` (`key_averages()`), it
 * averages per kernel; unlike it, it splits the step into phases.
 *
 * @param target - `{ optimizer, loss }` (a gradkit step, `optimizer.minimize(loss)`),
 *   `{ loss, params? }` (any loss function: `tf.variableGrads`, no update) or `{ model, x, y }`
 *   (a compiled tfjs-layers model: `model.trainOnBatch(x, y)`).
 * @param options - `steps` (profiled, default 5), `warmup` (default 2), `timedSteps` (default 10).
 * @returns the profile (plain data: `JSON.stringify` it to save it).
 * @throws BackendError when no backend is set up (call `await useBackend(...)` first);
 *   UnknownOptionError for a key of `target` or `options` it does not take; HyperParameterError for
 *   step counts that are not whole numbers (`steps` and `timedSteps` ≥ 1, `warmup` ≥ 0); ValueError
 *   naming `loss` when the loss does not return a scalar tensor or depends on no parameter, or the
 *   field of a bad optimizer, model, `x`, `y` or `params`; StateError naming `model` for a model that
 *   is not compiled, or `profile` inside `tf.profile` or while another profileStep runs. All before
 *   any step runs.
 * @example
 * ```ts
 * await useBackend('wasm');
 * const opt = new Optimizer(params, adam({ learningRate: 1e-3 }));
 * const profile = await profileStep({ optimizer: opt, loss: (p) => softmaxCrossEntropy(mlp(p, x), labels) });
 * console.log(formatProfile(profile, { top: 10 }));
 * // a tfjs-layers model: await profileStep({ model, x: xs, y: ys });
 * ```
 */
export async function profileStep<P extends ParamTree>(target: ProfileTarget<P>, options?: ProfileStepOptions): Promise<StepProfile> {
  const runner = targetRunner(target);
  const o = checkOptions('profileStep', options, ['steps', 'warmup', 'timedSteps'], {
    example: 'profileStep(target, { steps: 5, warmup: 2, timedSteps: 10 })',
  });
  const steps = wholeNumber('steps', o.steps, 5, 1, 'profiled steps');
  const warmup = wholeNumber('warmup', o.warmup, 2, 0, 'untimed steps first');
  const timedSteps = wholeNumber('timedSteps', o.timedSteps, 10, 1, 'plain steps timed for stepMs');
  checkBackend();
  if (running) throw new StateError('profile', 'another profileStep is running: await it before starting the next');
  runner.check();
  running = true;
  try {
    return await profile(runner, { warmup, steps, timedSteps });
  } finally {
    running = false;
  }
}

/** Whether a profileStep call is under way (its hooks on tfjs's engine would tangle with a second's). */
let running = false;

/** The steps of `profileStep`, after every check passed. */
async function profile(runner: StepRunner, settings: StepProfile['settings']): Promise<StepProfile> {
  const { warmup, steps, timedSteps } = settings;
  for (let i = 0; i < warmup; i++) await runner.step();
  const gpu = new GpuCounter();
  const times = await plainStepTimes(runner, timedSteps, gpu);
  const plain = { dispatches: gpu.dispatches, submits: gpu.submits };
  const timing = kernelTiming();
  const records = await withoutComputationChecks(() => profiledSteps(runner, steps, timing, gpu));
  const s = summarize(records, gpu.countsDispatches);
  const notes = [TIMING_NOTES[timing]];
  if (runner.kind === 'loss') notes.push('a loss function has no update phase: its step is the forward and backward pass (tf.variableGrads)');
  if (s.customOps.length > 0)
    notes.push('customOps are tfjs custom ops with their inclusive time; their kernels are counted in kernels and phases, the ops are not counted again');
  if (gpu.countsSubmits && !gpu.countsDispatches) notes.push('dispatches were not counted: GPUComputePassEncoder is not a global here');
  return {
    format: 'gradkit-step-profile',
    version: 1,
    target: runner.kind,
    backend: tf.getBackend(),
    fastPaths: fastPathsEnabled(),
    timing,
    settings,
    stepMs: { median: quantile(times, 0.5), p10: quantile(times, 0.1), p90: quantile(times, 0.9) },
    profiledStepMs: s.profiledStepMs,
    kernelMs: s.kernelMs,
    phases: s.phases,
    kernels: s.kernels,
    customOps: s.customOps,
    ...(gpu.countsDispatches ? { dispatches: plain.dispatches / timedSteps } : {}),
    ...(gpu.countsSubmits ? { submits: plain.submits / timedSteps } : {}),
    notes,
  };
}
