// The tree of parts a runner sees in a transformation: chains' parts, wrappers' inner, routing
// transformations' groups, each with its state and a readable key ('applyIfFinite/adam',
// 'partition/decay/adamw'), for hyperParams(), metrics(), state checks and fused steps.
import * as tf from '@tensorflow/tfjs-core';
import type { GradientTransformation, StateTree } from '../transform.js';

/** One transformation of a runner's tree, with its state and its key. */
export interface PartNode {
  readonly part: GradientTransformation;
  readonly state: StateTree;
  /** Names from the root, '/'-separated; a name repeated among siblings gets `[i]`. */
  readonly key: string;
  /** The path of its state in the root state tree (`''` for the root), as `flatten` writes paths. */
  readonly statePath: string;
}

const joinKey = (prefix: string, name: string) => (prefix === '' ? name : `${prefix}/${name}`);

/** Every transformation under `t` (itself included, chains excluded), depth-first, with its state and key. */
export function partNodes(t: GradientTransformation, state: StateTree): PartNode[] {
  return visit(t, state, '', t.name, '');
}

const joinPath = (prefix: string, key: string | number) => (prefix === '' ? String(key) : `${prefix}.${key}`);

function visit(t: GradientTransformation, state: StateTree, prefix: string, label: string, statePath: string): PartNode[] {
  if (t.parts) {
    const count = (name: string) => t.parts?.filter((p) => p.name === name).length ?? 0;
    return t.parts.flatMap((p, i) =>
      visit(p, (state as StateTree[])[i] as StateTree, prefix, count(p.name) > 1 ? `${p.name}[${i}]` : p.name, joinPath(statePath, i)),
    );
  }
  const key = joinKey(prefix, label);
  const here: PartNode = { part: t, state, key, statePath };
  const s = state as Record<string, StateTree>;
  if (t.inner) return [here, ...visit(t.inner, s.inner as StateTree, key, t.inner.name, joinPath(statePath, 'inner'))];
  if (t.groups)
    return [here, ...Object.entries(t.groups.transforms).flatMap(([g, tg]) => visit(tg, s[g] as StateTree, joinKey(key, g), tg.name, joinPath(statePath, g)))];
  return [here];
}

/** A transformation and its state as fused kernels see them: chains into their parts, wrappers before their inner. */
export function expand(part: GradientTransformation, state: StateTree): { part: GradientTransformation; state: StateTree }[] {
  if (part.parts) return part.parts.flatMap((p, i) => expand(p, (state as StateTree[])[i] as StateTree));
  if (part.inner) return [{ part, state }, ...expand(part.inner, (state as Record<string, StateTree>).inner as StateTree)];
  return [{ part, state }];
}

/**
 * The state after a fused step: every `count` in it (chains' parts, wrappers and their inner, groups)
 * one more, and a part's other host numbers as its `hostStep` advances them.
 */
export function advanced(part: GradientTransformation, state: StateTree): StateTree {
  if (part.parts) return (state as StateTree[]).map((s, i) => advanced(part.parts?.[i] as GradientTransformation, s));
  const s = (part.hostStep ? part.hostStep(state) : advanceCount(state)) as Record<string, StateTree>;
  if (part.inner) return { ...s, inner: advanced(part.inner, s.inner as StateTree) };
  if (part.groups) {
    const groups = part.groups.transforms;
    return Object.fromEntries(Object.entries(s).map(([label, g]) => [label, groups[label] ? advanced(groups[label], g) : g]));
  }
  return s;
}

/** A new state whose root `count`, if any, is one more. */
function advanceCount(state: StateTree): StateTree {
  if (state === null || typeof state !== 'object' || Array.isArray(state) || state instanceof tf.Tensor) return state;
  const s = state as Record<string, StateTree>;
  return typeof s.count === 'number' ? { ...s, count: s.count + 1 } : s;
}
