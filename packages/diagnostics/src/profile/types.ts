// What `profileStep` takes and returns. The profile is plain data: `JSON.stringify(profile)` is its
// JSON form, and `formatProfile` its text form.
import type { Optimizer, ParamTree } from '@gradkit/core';
import type * as tf from '@tensorflow/tfjs-core';

/**
 * The part of a training step a kernel ran in: the loss (`forward`), its gradients (`backward`), or
 * the parameter update after the gradients (`update`).
 *
 * @example `'backward'`
 */
export type StepPhase = 'forward' | 'backward' | 'update';

/**
 * What `profileStep` can profile: the thing that takes one training step.
 *
 * - `{ optimizer, loss }`: a gradkit step, `optimizer.minimize(loss)` (forward, backward, update).
 * - `{ loss, params? }`: any loss function of tf.Variables, differentiated with `tf.variableGrads`
 *   (forward and backward; nothing is updated). `params` defaults to every trainable variable.
 * - `{ model, x, y }`: a compiled tfjs-layers model, `model.trainOnBatch(x, y)` (forward, backward,
 *   update by the optimizer given to `model.compile`).
 *
 * @example
 * ```ts
 * const target: ProfileTarget<typeof params> = { optimizer: opt, loss: (p) => softmaxCrossEntropy(mlp(p, x), labels) };
 * ```
 */
export type ProfileTarget<P extends ParamTree = ParamTree> = OptimizerTarget<P> | LossTarget | LayersModelTarget;

/** A gradkit training step: `optimizer.minimize(loss)`. @example `{ optimizer: opt, loss: (p) => tf.mean(tf.square(tf.sub(predict(p, x), y))) }` */
export interface OptimizerTarget<P extends ParamTree> {
  /** The gradkit `Optimizer` whose step is profiled. */
  readonly optimizer: Optimizer<P>;
  /** The loss of its parameters: `(params) => scalar tensor`. */
  readonly loss: (params: P) => tf.Scalar | tf.Tensor;
}

/** Any loss function: forward and backward (`tf.variableGrads`), no update. @example `{ loss: () => tf.sum(tf.square(w)), params: [w] }` */
export interface LossTarget {
  /** `() => scalar tensor`, computed from tf.Variables. */
  readonly loss: () => tf.Scalar | tf.Tensor;
  /** The variables to differentiate (default: every trainable variable). */
  readonly params?: readonly tf.Variable[];
}

/** What `profileStep` needs of a tfjs-layers model (a `tf.LayersModel` after `model.compile`). @example `tf.sequential({ layers: [...] })` */
export interface TrainableModel {
  /** The optimizer `model.compile` set (absent or null before compiling). */
  readonly optimizer?: tf.Optimizer | null;
  /** tfjs-layers' one-batch training step. */
  trainOnBatch(x: tf.Tensor | tf.Tensor[], y: tf.Tensor | tf.Tensor[]): Promise<number | number[]>;
}

/** A tfjs-layers training step: `model.trainOnBatch(x, y)`. @example `{ model, x: xs, y: ys }` */
export interface LayersModelTarget {
  /** A compiled `tf.LayersModel`. */
  readonly model: TrainableModel;
  /** The batch's inputs (one tensor per model input). */
  readonly x: tf.Tensor | readonly tf.Tensor[];
  /** The batch's targets (one tensor per model output). */
  readonly y: tf.Tensor | readonly tf.Tensor[];
}

/**
 * Options of `profileStep`.
 *
 * @example
 * ```ts
 * await profileStep(target, { warmup: 3, steps: 10, timedSteps: 20 });
 * ```
 */
export interface ProfileStepOptions {
  /** Profiled steps (per-kernel times are medians over them). Default 5. */
  readonly steps?: number;
  /** Untimed steps first (WebGPU compiles its shaders, wasm and cpu warm their caches). Default 2. */
  readonly warmup?: number;
  /** Unprofiled steps timed end to end, for `stepMs`. Default 10. */
  readonly timedSteps?: number;
}

/**
 * How the kernel times of a profile were measured.
 *
 * - `wall-clock`: each kernel's run time on the CPU (cpu and wasm run kernels synchronously).
 * - `gpu-timestamps`: each tfjs WebGPU program's GPU time, from timestamp queries (kernels that
 *   dispatch their own passes, such as gradkit's fused optimizer steps, show only what tfjs timed).
 * - `cpu-encode`: WebGPU without timestamp queries: the CPU time from one kernel's record to the
 *   next, mostly encoding; the GPU's share shows only in `stepMs`, `dispatches` and `submits`.
 *
 * @example `'wall-clock'`
 */
export type KernelTiming = 'wall-clock' | 'gpu-timestamps' | 'cpu-encode';

/** Per-step totals of one phase. @example `{ ms: 2.4, calls: 3, bytes: 262148 }` */
export interface PhaseTotals {
  /** Kernel time per step (median over the profiled steps), in ms. */
  readonly ms: number;
  /** Kernel calls per step. */
  readonly calls: number;
  /** Bytes of the tensors its kernels allocated per step (outputs). */
  readonly bytes: number;
}

/**
 * One kernel of the step, in one phase (the same kernel in two phases gets two rows).
 *
 * @example
 * ```ts
 * { name: 'BatchMatMul', phase: 'backward', calls: 2, ms: 27.1, bytes: 1052672, shapes: '[128,784]·[128,256] ×1, +1 other' }
 * ```
 */
export interface KernelRow {
  /** tfjs's kernel name (`'BatchMatMul'`, `'Relu'` …), or a custom op's scope name (`'…__op'`) in `customOps`. */
  readonly name: string;
  /** The phase it ran in. */
  readonly phase: StepPhase;
  /** Calls per step. */
  readonly calls: number;
  /** Time per step (median over the profiled steps of its calls' total), in ms. */
  readonly ms: number;
  /** Bytes of the tensors it allocated per step (its outputs). */
  readonly bytes: number;
  /** Its most frequent input shapes (`[128,784]·[784,256]`), with how many calls had them and how many other shape sets there were. */
  readonly shapes: string;
  /** On WebGPU: compute dispatches per step (0 for kernels that run on the CPU or only reshape). */
  readonly dispatches?: number;
}

/**
 * The profile of a training step, as `profileStep` returns it: where the step's time goes, per
 * phase and per kernel, and how long a plain (unprofiled) step takes. It is plain data (its JSON is
 * `JSON.stringify(profile)`); `formatProfile` renders it as text.
 *
 * How to read it: `stepMs` is what a step costs; `phases` and `kernels` say where (kernel times sum
 * to `kernelMs`, which is below `stepMs` by what runs between kernels: JavaScript, tfjs's
 * bookkeeping, readbacks). A kernel that dominates `backward` is where a faster gradient pays;
 * on WebGPU, many `submits` or `dispatches` per step point at per-call overhead.
 *
 * @example
 * ```ts
 * const p = await profileStep({ optimizer: opt, loss });
 * console.log(p.stepMs.median, p.phases.backward.ms, p.kernels[0]?.name);
 * ```
 */
export interface StepProfile {
  /** Identifies the document. */
  readonly format: 'gradkit-step-profile';
  /** Version of the document's layout. */
  readonly version: 1;
  /** What was profiled: a gradkit `optimizer` step, a `loss` function, or a tfjs-layers `model`. */
  readonly target: 'optimizer' | 'loss' | 'model';
  /** The tfjs backend (`tf.getBackend()`). */
  readonly backend: string;
  /** Whether gradkit's training fast paths were on (`fastPathsEnabled()` from @gradkit/core). */
  readonly fastPaths: boolean;
  /** How kernel times were measured. */
  readonly timing: KernelTiming;
  /** The steps run: warmup + profiled + timed (the parameters were trained by that many steps). */
  readonly settings: { readonly warmup: number; readonly steps: number; readonly timedSteps: number };
  /** Wall-clock time of a plain step, loss read back included, over the timed steps (ms). */
  readonly stepMs: { readonly median: number; readonly p10: number; readonly p90: number };
  /** Wall-clock time of a profiled step (median, ms): profiling's own cost shows as its excess over `stepMs`. */
  readonly profiledStepMs: number;
  /** Kernel time per step, every kernel of every phase (median over the profiled steps, ms). */
  readonly kernelMs: number;
  /** Per-step totals of each phase. */
  readonly phases: { readonly forward: PhaseTotals; readonly backward: PhaseTotals; readonly update: PhaseTotals };
  /** Every kernel that ran, per phase, slowest first. Custom ops are not here: their kernels are. */
  readonly kernels: readonly KernelRow[];
  /**
   * Custom ops (tfjs `customGrad` ops, named `…__op`) with their inclusive time: the kernels they
   * ran are also in `kernels`, so these are not counted again in `kernelMs` or `phases`.
   */
  readonly customOps: readonly KernelRow[];
  /** On WebGPU: compute dispatches per plain step (mean over the timed steps). */
  readonly dispatches?: number;
  /** On WebGPU: `queue.submit` calls per plain step (mean over the timed steps). */
  readonly submits?: number;
  /** What to keep in mind reading this profile (how times were measured, what was left out). */
  readonly notes: readonly string[];
}
