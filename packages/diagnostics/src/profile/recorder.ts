// One profiled training step: every kernel call tfjs records (`tf.profile`), with the phase it ran in
// and whether other recorded kernels ran inside it.
//
// tfjs-core 4.22's engine pushes one record per kernel onto `state.activeProfile.kernels` after the
// kernel ran (`runKernelFunc`), including custom ops (`customGrad`, recorded under their op's scope
// name, `…__op`) after the kernels their forward function ran; `state.kernelDepth` is then the depth
// of the caller, so a record pushed deeper than the next one ran inside it. The phases come from
// `engine.gradients(f, xs)`, which `tf.variableGrads`, tfjs-layers' optimizers and gradkit's
// `valueAndGrad` all call: kernels before `f` returns are the forward pass, those until `gradients`
// returns the backward pass, and the rest the update.
import * as tf from '@tensorflow/tfjs-core';
import type { GpuCounter } from './gpu-counter.js';
import { patchMethod } from './patch.js';
import type { KernelTiming, StepPhase } from './types.js';

/** One kernel call of a profiled step. */
export interface KernelCall {
  readonly name: string;
  readonly phase: StepPhase;
  /**
   * Whether it is a custom op whose kernels were recorded too (its time and bytes include theirs).
   * A kernel's own nested records (tfjs's tape clones the inputs it saves for the backward pass
   * with Identity kernels) are folded into it: its time includes them, its bytes do not.
   */
  readonly customOp: boolean;
  /** Its time (inclusive), in ms. */
  readonly ms: number;
  /** Bytes of the tensors it allocated (a kernel: its outputs; a custom op: everything inside it). */
  readonly bytes: number;
  /** Its input shapes, `[128,784]·[784,256]`. */
  readonly shapes: string;
  /** WebGPU compute dispatches it made (0 elsewhere; inclusive, like its time). */
  readonly dispatches: number;
}

/** What one profiled step recorded. */
export interface StepRecord {
  readonly calls: readonly KernelCall[];
  /** Wall-clock time of the step while profiled, in ms. */
  readonly wallMs: number;
}

/** The engine state the profiler reads (tfjs-core 4.22, `Engine.state`). */
interface EngineInternals {
  state: { profiling: boolean; kernelDepth: number; activeProfile: { kernels: unknown[] } };
  gradients: (...args: unknown[]) => unknown;
}

const engine = () => tf.engine() as unknown as EngineInternals;

/** What `tf.profile` resolves to (tfjs-core does not export the type by name). */
type ProfileInfo = Awaited<ReturnType<typeof tf.profile>>;

/** What is known of a record when tfjs pushes it. */
interface Pushed {
  readonly phase: StepPhase;
  readonly depth: number;
  readonly at: number;
  readonly dispatches: number;
}

/**
 * Follows the phase of the step: `forward` until the loss passed to the outermost
 * `engine.gradients` returns, `backward` until `gradients` returns, `update` after. Nested
 * gradients (a loss that differentiates something itself) belong to the phase they run in.
 */
export function trackPhases(): { readonly phase: StepPhase; reset(): void; stop(): void } {
  let phase: StepPhase = 'forward';
  let depth = 0;
  const stop = patchMethod(
    engine(),
    'gradients',
    (gradients) =>
      function (this: unknown, f: unknown, ...rest: unknown[]) {
        if (depth > 0 || typeof f !== 'function') return gradients.call(this, f, ...rest);
        depth++;
        phase = 'forward';
        const loss = () => {
          const y = (f as () => unknown)();
          phase = 'backward';
          return y;
        };
        try {
          return gradients.call(this, loss, ...rest);
        } finally {
          depth--;
          phase = 'update';
        }
      },
  );
  return {
    get phase() {
      return phase;
    },
    reset() {
      phase = 'forward';
    },
    stop,
  };
}

/** For each record, the record it ran inside (the next one pushed less deep), or -1. */
function parentsOf(pushed: readonly Pushed[]): number[] {
  const parents = new Array<number>(pushed.length).fill(-1);
  const later: number[] = [];
  for (let i = pushed.length - 1; i >= 0; i--) {
    const depth = (pushed[i] as Pushed).depth;
    while (later.length > 0 && (pushed[later[later.length - 1] as number] as Pushed).depth >= depth) later.pop();
    if (later.length > 0) parents[i] = later[later.length - 1] as number;
    later.push(i);
  }
  return parents;
}

const shapeText = (shapes: readonly (readonly number[] | null)[]) => shapes.map((s) => (s ? `[${s.join(',')}]` : 'null')).join('·');

/**
 * Runs `step` once under `tf.profile` and returns its kernel calls. `phases` must be tracking;
 * `gpu`, when counting, attributes dispatches to kernels.
 */
export async function recordStep(
  step: () => Promise<void>,
  timing: KernelTiming,
  phases: ReturnType<typeof trackPhases>,
  gpu: GpuCounter,
): Promise<StepRecord> {
  const pushed: Pushed[] = [];
  let start = 0;
  let wallMs = 0;
  const firstDispatch = gpu.dispatches;
  phases.reset();
  let info: ProfileInfo;
  try {
    info = await tf.profile(async () => {
      // tf.profile has just given the engine a fresh list; note what each record is pushed with.
      const list = engine().state.activeProfile.kernels;
      const push = list.push;
      list.push = (...items: unknown[]) => {
        for (const _ of items) pushed.push({ phase: phases.phase, depth: engine().state.kernelDepth, at: performance.now(), dispatches: gpu.dispatches });
        return push.apply(list, items);
      };
      start = performance.now();
      await step();
      wallMs = performance.now() - start;
    });
  } catch (e) {
    // tf.profile leaves the engine profiling when its function throws.
    engine().state.profiling = false;
    throw e;
  }
  return { calls: await callsOf(info.kernels.slice(0, pushed.length), pushed, timing, { at: start, dispatches: firstDispatch }), wallMs };
}

type KernelRecord = ProfileInfo['kernels'][number];

/**
 * The step's calls from tfjs's records and what was noted as each was pushed: custom ops marked,
 * records nested in a kernel folded into it, times and dispatches measured from the record before
 * the first one nested in it (or from `stepStart`).
 */
async function callsOf(
  records: readonly KernelRecord[],
  pushed: readonly Pushed[],
  timing: KernelTiming,
  stepStart: { at: number; dispatches: number },
): Promise<KernelCall[]> {
  const parents = parentsOf(pushed);
  const registered = records.map((r) => tf.getKernel(r.name, tf.getBackend()) !== undefined);
  /** Whether record i ran inside a registered kernel (tfjs's tape clones its inputs that way). */
  const folded = (i: number): boolean => {
    for (let j = parents[i] as number; j >= 0; j = parents[j] as number) if (registered[j]) return true;
    return false;
  };
  const childBytes = new Array<number>(records.length).fill(0);
  records.forEach((r, i) => {
    const parent = parents[i] as number;
    if (parent >= 0) childBytes[parent] = (childBytes[parent] as number) + r.bytesAdded;
  });
  const calls: KernelCall[] = [];
  for (let i = 0; i < records.length; i++) {
    if (folded(i)) continue;
    const r = records[i] as KernelRecord;
    const p = pushed[i] as Pushed;
    // The calls inside this one are the run of deeper records just before it.
    let first = i;
    while (first > 0 && (pushed[first - 1] as Pushed).depth > p.depth) first--;
    const before = first > 0 ? (pushed[first - 1] as Pushed) : stepStart;
    const customOp = first < i && !registered[i];
    calls.push({
      name: r.name,
      phase: p.phase,
      customOp,
      ms: timing === 'cpu-encode' ? p.at - before.at : await kernelMs(r.kernelTimeMs),
      bytes: customOp ? r.bytesAdded : r.bytesAdded - (childBytes[i] as number),
      shapes: shapeText(r.inputShapes),
      dispatches: p.dispatches - before.dispatches,
    });
  }
  return calls;
}

/** A record's time: tf.profile resolves it to a number, or `{ error }` where the backend cannot time (NaN then). */
async function kernelMs(t: unknown): Promise<number> {
  const v = await t;
  return typeof v === 'number' ? v : Number.NaN;
}
