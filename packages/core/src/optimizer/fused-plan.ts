// Matching a transformation (without its head observers) to registered fused kernels: one kernel for
// a chain, or one per group of a routing transformation (`partition`).
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

/** A fused step: its kernel calls and the state after them (counts advanced). */
export interface FusedPlan {
  readonly calls: readonly FusedCall[];
  readonly next: StateTree;
}

type Engine = { backend: tf.KernelBackend; state: { tensorInfo: Map<object, { backend: tf.KernelBackend }> } };

/** Whether a tensor's data lives on the active backend (a kernel can only work on those). */
export function onActiveBackend(t: tf.Tensor): boolean {
  const engine = tf.engine() as unknown as Engine;
  return engine.state.tensorInfo.get(t.dataId)?.backend === engine.backend;
}

/**
 * The fused step of `transform` over these parameters and gradients (flatten order of `state`'s
 * parameter trees), or null when some part has no kernel on the active backend. `step` is the
 * optimizer's step, the count of parts without a `count` of their own.
 */
export function planFused(
  transform: GradientTransformation,
  state: StateTree,
  params: readonly tf.Variable[],
  grads: readonly tf.Tensor[],
  paths: readonly string[],
  step: number,
): FusedPlan | null {
  if (transform.groups) return planGroups(transform, state, params, grads, paths, step);
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
      if (slot.length !== params.length || slot.some((l) => !(l instanceof tf.Variable))) return null;
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
  const written = [...params, ...slots.flat(), ...scalars];
  if (![...written, ...grads].every(onActiveBackend)) return null;
  const counts = nodes.map(({ state: s }) => {
    const count = (s as Record<string, unknown> | null)?.count;
    return typeof count === 'number' ? count : step;
  });
  const hyper = nodes.map(({ part }, i) => (part.hyperParams as (t: number) => Record<string, number>)(counts[i] as number));
  return { calls: [{ kernel, args: { params, grads, slots, scalars, options, hyper, counts, step }, written }], next: advanced(transform, state) };
}

/** One plan per group of a routing transformation; a group that only zeroes its updates needs no kernel. */
function planGroups(
  transform: GradientTransformation,
  state: StateTree,
  params: readonly tf.Variable[],
  grads: readonly tf.Tensor[],
  paths: readonly string[],
  step: number,
): FusedPlan | null {
  const groups = transform.groups as NonNullable<GradientTransformation['groups']>;
  const labels = groups.labels(Object.fromEntries(paths.map((p, i) => [p, params[i] as tf.Variable])));
  const calls: FusedCall[] = [];
  const next: Record<string, StateTree> = {};
  for (const [label, t] of Object.entries(groups.transforms)) {
    const s = (state as Record<string, StateTree>)[label] as StateTree;
    const members = paths.flatMap((p, i) => (labels[p] === label ? [i] : []));
    if (members.length === 0 || t.name === 'setToZero') {
      next[label] = s;
      continue;
    }
    const plan = planFused(
      t,
      s,
      members.map((i) => params[i] as tf.Variable),
      members.map((i) => grads[i] as tf.Tensor),
      members.map((i) => paths[i] as string),
      step,
    );
    if (!plan) return null;
    calls.push(...plan.calls);
    next[label] = plan.next;
  }
  return { calls, next };
}
