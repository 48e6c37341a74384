import type * as tf from '@tensorflow/tfjs-core';
import { HyperParameterError, TreeMismatchError } from './errors.js';
import { suggestOption } from './options.js';
import { assertTransformation, type GradientTransformation, type StateTree, type TransformResult } from './transform.js';
import { flatten, type GradTree, map, type ParamTree, type Tree } from './tree.js';

/**
 * How `partition` labels parameters: a function of each parameter's path and tensor, or a tree of
 * label strings shaped like the parameters.
 *
 * @example `(path) => (path.endsWith('bias') ? 'noDecay' : 'decay')`
 */
export type PartitionLabels = ((path: string, param: tf.Tensor) => string) | Tree<string>;

/** State of `partition`: each group's state, by label. @example `{ decay: adamwState, noDecay: adamwState }` */
export type PartitionState = { readonly [label: string]: StateTree };

/** A group's leaves as a flat object keyed by their paths (what each group's transformation sees). */
function groupTree<L>(entries: readonly { path: string; value: L }[], labels: Readonly<Record<string, string>>, label: string): Record<string, L> {
  const out: Record<string, L> = {};
  for (const { path, value } of entries) if (labels[path] === label) out[path] = value;
  return out;
}

/**
 * Routes each parameter to one of several transformations by label (optax's `partition`, formerly
 * `multi_transform`): every parameter gets exactly one label, a key of `transforms`, and the
 * gradients of each group go through that group's transformation only. A parameter without a label,
 * or with a label that is not a key of `transforms`, is an error — never a raw gradient step. Each
 * group's transformation sees its parameters as a flat object keyed by their paths, and its state
 * covers only them; the `Optimizer` runs one fused kernel per group where each group's
 * transformation has one. To freeze a group, give it `setToZero()`.
 *
 * How it differs from `masked(inner, mask)`: masked applies `inner` to the selected leaves and passes
 * the others through UNCHANGED (optax semantics), so on its own it would add raw gradients to the
 * unselected parameters. `partition` gives every parameter a transformation.
 *
 * @param transforms - the transformation of each label.
 * @param labels - `(path, param) => label`, or a tree of labels shaped like the parameters.
 * @throws HyperParameterError for an empty or non-object `transforms`, a value that is not a
 *   transformation, or labels that are neither a function nor a tree; `init`/`update` throw a
 *   TreeMismatchError naming the parameter path whose label is missing or unknown.
 * @example
 * ```ts
 * // AdamW; no decay on biases and norm gains; a lower rate for the head
 * const tx = partition(
 *   { decay: adamw({ learningRate: 1e-3 }), noDecay: adamw({ learningRate: 1e-3, weightDecay: 0 }), head: adamw({ learningRate: 1e-4 }) },
 *   (path, p) => (path.startsWith('head.') ? 'head' : p.rank === 1 ? 'noDecay' : 'decay'),
 * );
 * ```
 */
export function partition(
  transforms: Readonly<Record<string, GradientTransformation>>,
  labels: PartitionLabels,
): GradientTransformation<PartitionState, { transforms: Readonly<Record<string, GradientTransformation>>; labels: PartitionLabels }> {
  if (transforms === null || typeof transforms !== 'object' || Array.isArray(transforms) || Object.keys(transforms).length === 0)
    throw new HyperParameterError(
      'transforms',
      'partition needs an object of transformations by label, e.g. partition({ decay: adamw(), frozen: setToZero() }, labels)',
    );
  for (const [label, t] of Object.entries(transforms)) assertTransformation(`transforms.${label}`, t);
  if (typeof labels !== 'function' && (labels === null || typeof labels !== 'object'))
    throw new HyperParameterError('labels', 'labels must be a function (path, param) => label, or a tree of labels shaped like the parameters');
  const names = Object.keys(transforms);
  const check = (path: string, label: unknown): string => {
    if (typeof label !== 'string' || !Object.hasOwn(transforms, label)) {
      const s = typeof label === 'string' ? suggestOption(label, names) : undefined;
      throw new TreeMismatchError(
        path,
        `partition: parameter '${path || '(root)'}' has label ${JSON.stringify(label)}, which is not one of ${names.join(', ')}${s ? ` (did you mean '${s.key}'?)` : ''}: every parameter needs exactly one label`,
      );
    }
    return label;
  };
  const labelsOf = (params: ParamTree): Record<string, string> => {
    const out: Record<string, string> = {};
    if (typeof labels === 'function') for (const { path, value } of flatten(params)) out[path] = check(path, labels(path, value));
    else {
      const given = new Map(flatten(labels).map((e) => [e.path, e.value]));
      for (const { path } of flatten(params)) {
        if (!given.has(path)) throw new TreeMismatchError(path, `partition: parameter '${path || '(root)'}' has no label in the labels tree`);
        out[path] = check(path, given.get(path));
      }
      for (const path of given.keys())
        if (!Object.hasOwn(out, path)) throw new TreeMismatchError(path, `partition: the labels tree has '${path}', which is not a parameter`);
    }
    return out;
  };
  return {
    name: 'partition',
    options: { transforms, labels },
    groups: { transforms, labels: labelsOf },
    init(params: ParamTree): PartitionState {
      const l = labelsOf(params);
      const entries = flatten(params);
      return Object.fromEntries(names.map((label) => [label, (transforms[label] as GradientTransformation).init(groupTree(entries, l, label))]));
    },
    update(grads: GradTree, state: PartitionState, params?: ParamTree, extras?): TransformResult<PartitionState> {
      const l = labelsOf(params ?? grads);
      const gradEntries = flatten(grads);
      const paramEntries = params === undefined ? undefined : flatten(params);
      const updates: Record<string, tf.Tensor> = {};
      const next: Record<string, StateTree> = {};
      for (const label of names) {
        const t = transforms[label] as GradientTransformation;
        const g = groupTree(gradEntries, l, label);
        const r = t.update(g, state[label] as StateTree, paramEntries && groupTree(paramEntries, l, label), extras);
        for (const { path, value } of flatten(r.updates)) updates[path] = value;
        next[label] = r.state;
      }
      for (const { path } of gradEntries)
        if (!Object.hasOwn(updates, path)) throw new TreeMismatchError(path, `partition: no update for '${path}' from '${l[path]}'`);
      return { updates: map(grads, (_g, path) => updates[path] as tf.Tensor), state: next };
    },
  };
}
