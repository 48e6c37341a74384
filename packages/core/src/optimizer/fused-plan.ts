// Matching a transformation (without its head observers) to registered fused kernels: one kernel for
// a chain, or one per group of a routing transformation (`partition`), the groups without one running
// their reference `update` in the same step. What depends only on the transformation, the backend and
// the state's variables (kernels, slots, scalars: the "skeleton") is worked out once; each step adds
// its hyper-parameters, counts and gradients.
import * as tf from '@tensorflow/tfjs-core';
import type { GradientTransformation, StateTree } from '../transform.js';
import { leaves } from '../tree.js';
import { type FusedKernelArgs, type FusedKernelConfig, findFusedKernel } from './fused.js';
import { advanced, expand } from './parts.js';

/** One kernel call of a fused step, and what it writes. */
export interface FusedCall {
  readonly kernel: FusedKernelConfig;
  readonly args: Omit<FusedKernelArgs, 'backend'>;
  /** Every variable the kernel writes in place (parameters, slots, scalars). */
  readonly written: readonly tf.Variable[];
}

/** A group of a routing transformation that no kernel implements: it runs its reference `update`. */
export interface ReferenceGroup {
  /** Its label (its state is `state[label]`). */
  readonly label: string;
  readonly transform: GradientTransformation;
  /** The indices of its parameters among all parameters. */
  readonly members: readonly number[];
}

/**
 * A fused step: its kernel calls, the groups that run their reference `update` beside them, and the
 * state after the kernels (counts advanced; the reference groups' entries are replaced by what
 * their update returns).
 */
export interface FusedPlan {
  readonly calls: readonly FusedCall[];
  readonly reference: readonly ReferenceGroup[];
  readonly next: StateTree;
}

/** One kernel call of a skeleton: everything but the step's hyper-parameters, counts and gradients. */
interface SkeletonCall {
  readonly kernel: FusedKernelConfig;
  /** The transformation this kernel implements (a group's, for a partition). */
  readonly transform: GradientTransformation;
  /** Its state within the whole state (`state[label]` for a group). */
  readonly stateOf: (state: StateTree) => StateTree;
  /** The indices of its parameters among all parameters. */
  readonly members: readonly number[];
  readonly params: readonly tf.Variable[];
  readonly slots: readonly (readonly tf.Variable[])[];
  readonly scalars: readonly tf.Variable[];
  readonly options: readonly object[];
  readonly written: readonly tf.Variable[];
}

/** The kernels a transformation runs as, for one backend and one set of state variables (at least one). */
export interface FusedSkeleton {
  readonly calls: readonly SkeletonCall[];
  /** The groups no kernel implements (none for a chain). */
  readonly reference: readonly ReferenceGroup[];
}

type Engine = { backend: tf.KernelBackend; state: { tensorInfo: Map<object, { backend: tf.KernelBackend }> } };

/** Whether a tensor's data lives on the active backend (a kernel can only work on those). */
export function onActiveBackend(t: tf.Tensor): boolean {
  const engine = tf.engine() as unknown as Engine;
  return engine.state.tensorInfo.get(t.dataId)?.backend === engine.backend;
}

/** The skeleton of one kernel over the parameters `members`, or null when no kernel applies. */
function skeletonCall(
  transform: GradientTransformation,
  state: StateTree,
  stateOf: (s: StateTree) => StateTree,
  members: readonly number[],
  all: readonly tf.Variable[],
): SkeletonCall | null | 'elsewhere' {
  const nodes = expand(transform, state);
  if (nodes.length === 0 || nodes.some((n) => !n.part.hyperParams)) return null;
  const options = nodes.map((n) => n.part.options);
  const kernel = findFusedKernel(
    nodes.map((n) => n.part.name),
    options,
    tf.getBackend(),
  );
  if (!kernel) return null;
  const stateAt = (i: number, name: string) => (nodes[i]?.state as Record<string, StateTree> | undefined)?.[name];
  const slots: tf.Variable[][] = [];
  for (const [i, names] of (kernel.slots?.(options) ?? []).entries()) {
    for (const name of names) {
      const sub = stateAt(i, name);
      const slot = sub === undefined ? [] : leaves(sub);
      if (slot.length !== members.length || slot.some((l) => !(l instanceof tf.Variable))) return null;
      slots.push(slot as tf.Variable[]);
    }
  }
  const scalars: tf.Variable[] = [];
  for (const [i, names] of (kernel.scalars?.(options) ?? []).entries()) {
    for (const name of names) {
      const leaf = stateAt(i, name);
      if (!(leaf instanceof tf.Variable)) return null;
      scalars.push(leaf);
    }
  }
  const params = members.map((i) => all[i] as tf.Variable);
  const written = [...params, ...slots.flat(), ...scalars];
  if (!written.every(onActiveBackend)) return 'elsewhere';
  return { kernel, transform, stateOf, members, params, slots, scalars, options, written };
}

/**
 * The kernels `transform` runs as on the active backend, over these parameters (in `state`'s flatten
 * order, with their paths): null when there is none (a chain with a part no kernel implements, a
 * routing transformation none of whose groups has one), `'elsewhere'` when there are kernels but the
 * parameters or the state live on another backend (for now: they may move). A routing transformation
 * gets one kernel per group where one applies, and its other groups run their reference `update`; a
 * group that only zeroes its updates (`setToZero`) needs neither.
 */
export function fusedSkeleton(
  transform: GradientTransformation,
  state: StateTree,
  params: readonly tf.Variable[],
  paths: readonly string[],
): FusedSkeleton | null | 'elsewhere' {
  const everyone = params.map((_, i) => i);
  if (!transform.groups) {
    const call = skeletonCall(transform, state, (s) => s, everyone, params);
    return call === null || call === 'elsewhere' ? call : { calls: [call], reference: [] };
  }
  const labels = transform.groups.labels(Object.fromEntries(paths.map((p, i) => [p, params[i] as tf.Variable])));
  const calls: SkeletonCall[] = [];
  const reference: ReferenceGroup[] = [];
  for (const [label, t] of Object.entries(transform.groups.transforms)) {
    const members = everyone.filter((i) => labels[paths[i] as string] === label);
    if (members.length === 0 || t.name === 'setToZero') continue;
    const stateOf = (s: StateTree) => (s as Record<string, StateTree>)[label] as StateTree;
    const call = skeletonCall(t, stateOf(state), stateOf, members, params);
    if (call === 'elsewhere') return call;
    if (call === null) reference.push({ label, transform: t, members });
    else calls.push(call);
  }
  return calls.length === 0 ? null : { calls, reference };
}

/**
 * This step's plan from a skeleton: each kernel's hyper-parameters and counts from the current state
 * (`step`, the optimizer's, for parts without a `count`), and its gradients; null when a gradient is
 * not on the active backend.
 */
export function planFused(
  skeleton: FusedSkeleton,
  transform: GradientTransformation,
  state: StateTree,
  grads: readonly tf.Tensor[],
  step: number,
): FusedPlan | null {
  const calls: FusedCall[] = [];
  for (const c of skeleton.calls) {
    const g = c.members.length === grads.length ? grads : c.members.map((i) => grads[i] as tf.Tensor);
    if (!g.every(onActiveBackend)) return null;
    const nodes = expand(c.transform, c.stateOf(state));
    const counts = nodes.map(({ state: s }) => {
      const count = (s as Record<string, unknown> | null)?.count;
      return typeof count === 'number' ? count : step;
    });
    const hyper = nodes.map(({ part }, i) => (part.hyperParams as (t: number) => Record<string, number>)(counts[i] as number));
    const numbers = nodes.map(({ state: s }) => rootNumbers(s));
    calls.push({
      kernel: c.kernel,
      args: { params: c.params, grads: g, slots: c.slots, scalars: c.scalars, options: c.options, hyper, counts, numbers, step },
      written: c.written,
    });
  }
  return { calls, reference: skeleton.reference, next: advanced(transform, state) };
}

/** The number leaves at the root of a part's state (`count`, host numbers such as `lrMax`), `{}` where there are none. */
function rootNumbers(state: StateTree): Record<string, number> {
  if (state === null || typeof state !== 'object' || Array.isArray(state) || state instanceof tf.Tensor) return {};
  return Object.fromEntries(Object.entries(state as Record<string, unknown>).filter((e): e is [string, number] => typeof e[1] === 'number'));
}
