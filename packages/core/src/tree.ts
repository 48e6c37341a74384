import type { Tensor } from '@tensorflow/tfjs-core';
import { TreeMismatchError } from './errors.js';

/**
 * A tree: nested plain objects and arrays whose leaves are of type `L`. Parameter trees have tensor
 * (or tf.Variable) leaves; optimizer state trees may also hold numbers.
 *
 * @example
 * ```ts
 * const params: Tree<tf.Variable> = { layers: [{ kernel: w0, bias: b0 }, { kernel: w1, bias: b1 }] };
 * ```
 */
export type Tree<L = Tensor> = L | readonly Tree<L>[] | { readonly [key: string]: Tree<L> };

/** A tree of parameters (tensors or tf.Variables). @example `{ dense: { kernel, bias } }` */
export type ParamTree = Tree<Tensor>;
/** A tree of gradients or updates, with the structure of the parameter tree it belongs to. @example `{ dense: { kernel: dKernel, bias: dBias } }` */
export type GradTree = Tree<Tensor>;

/** One leaf of a flattened tree with its path. @example `{ path: 'layers.0.kernel', value: w0 }` */
export interface TreeEntry<L = Tensor> {
  /** Dot-separated keys and array indices from the root, e.g. `layers.0.kernel`; `''` for a bare leaf. */
  readonly path: string;
  /** The leaf. */
  readonly value: L;
}

/** True for the containers a tree is made of: arrays and plain objects (not tensors or class instances). */
function isContainer(x: unknown): x is Record<string, unknown> {
  if (Array.isArray(x)) return true;
  if (x === null || typeof x !== 'object') return false;
  const proto = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

const join = (prefix: string, key: string | number) => (prefix === '' ? String(key) : `${prefix}.${key}`);

/** Deeper than this is a tree built by mistake (or a structure that is not a tree). */
const MAX_DEPTH = 256;

/**
 * The own keys of a container, checked: `__proto__` is refused (assigning it would change an object's
 * prototype instead of adding a key), so every key a tree has is one that `out[key] = v` recreates.
 */
function keysOf(node: Record<string, unknown>, path: string): string[] {
  const keys = Object.keys(node);
  if (keys.includes('__proto__'))
    throw new TreeMismatchError(join(path, '__proto__'), `a tree key may not be '__proto__' (at '${join(path, '__proto__')}'): rename it`);
  return keys;
}

/**
 * Walks the containers of a tree depth-first (array elements by index, object keys in insertion
 * order), calling `leaf` on every leaf; refuses cycles, absurd depth and `__proto__` keys with a
 * TreeMismatchError naming the path.
 */
function walk(tree: unknown, leaf: (value: unknown, path: string) => void): void {
  const ancestors: unknown[] = [];
  const visit = (node: unknown, path: string): void => {
    if (!isContainer(node)) {
      leaf(node, path);
      return;
    }
    if (ancestors.includes(node)) throw new TreeMismatchError(path, `the tree contains itself at '${path || '(root)'}': a tree must not have cycles`);
    if (ancestors.length >= MAX_DEPTH) throw new TreeMismatchError(path, `the tree is nested more than ${MAX_DEPTH} levels deep at '${path}'`);
    ancestors.push(node);
    if (Array.isArray(node)) for (let i = 0; i < node.length; i++) visit(node[i], join(path, i));
    else for (const key of keysOf(node, path)) visit(node[key], join(path, key));
    ancestors.pop();
  };
  visit(tree, '');
}

/**
 * The leaves of a tree in `flatten`'s order, without their paths (for hot paths over trees already
 * checked, such as an optimizer's state on every step).
 *
 * @example
 * ```ts
 * leaves({ a: w, b: [x, y] }); // [w, x, y]
 * ```
 */
export function leaves<L>(tree: Tree<L>): L[] {
  const out: L[] = [];
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) for (const child of node) visit(child);
    else if (isContainer(node)) for (const key of Object.keys(node)) visit(node[key]);
    else out.push(node as L);
  };
  visit(tree);
  return out;
}

/**
 * Flattens a tree into its leaves with their paths, in depth-first order: array elements by index,
 * object keys in insertion order (so a model built input-to-output flattens input-to-output).
 *
 * @example
 * ```ts
 * flatten({ a: w, b: [x, y] }); // [{ path: 'a', value: w }, { path: 'b.0', value: x }, { path: 'b.1', value: y }]
 * ```
 */
export function flatten<L>(tree: Tree<L>): TreeEntry<L>[] {
  const out: TreeEntry<L>[] = [];
  const seen = new Set<string>();
  walk(tree, (value, path) => {
    if (seen.has(path)) throw new TreeMismatchError(path, `two leaves have the path '${path}': keys must not contain '.' where that makes paths collide`);
    seen.add(path);
    out.push({ path, value: value as L });
  });
  return out;
}

/**
 * The paths of a tree's leaves, in `flatten` order.
 *
 * @example
 * ```ts
 * paths({ dense: { kernel: w, bias: b } }); // ['dense.kernel', 'dense.bias']
 * ```
 */
export function paths(tree: Tree<unknown>): string[] {
  return flatten(tree).map((e) => e.path);
}

/**
 * Builds a tree of the same structure as `tree` whose leaves are `fn(leaf, path)`.
 *
 * @example
 * ```ts
 * const halves = map(params, (p) => tf.mul(p, 0.5));
 * ```
 */
export function map<L, R>(tree: Tree<L>, fn: (leaf: L, path: string) => R): Tree<R> {
  walk(tree, () => {}); // checks cycles, depth and keys once, so the rebuild below can trust them
  const visit = (node: unknown, path: string): unknown => {
    if (Array.isArray(node)) return node.map((child, i) => visit(child, join(path, i)));
    if (isContainer(node)) {
      const out: Record<string, unknown> = {};
      for (const key of Object.keys(node)) out[key] = visit(node[key], join(path, key));
      return out;
    }
    return fn(node as L, path);
  };
  return visit(tree, '') as Tree<R>;
}

/**
 * Rebuilds a tree with the structure of `like` from leaves given in `flatten` order.
 *
 * @example
 * ```ts
 * const doubled = unflatten(params, flatten(params).map((e) => tf.mul(e.value, 2)));
 * ```
 */
export function unflatten<L, R>(like: Tree<L>, leaves: readonly R[]): Tree<R> {
  let i = 0;
  const out = map(like, () => {
    if (i >= leaves.length) throw new TreeMismatchError('', `unflatten: ${leaves.length} leaves given for a tree of more leaves`);
    return leaves[i++] as R;
  });
  if (i !== leaves.length) throw new TreeMismatchError('', `unflatten: ${leaves.length} leaves given for a tree of ${i} leaves`);
  return out;
}

/** Describes a structural difference; returns null when `a` and `b` have the same containers and keys. */
function firstDifference(a: unknown, b: unknown, path: string): TreeMismatchError | null {
  const where = path === '' ? 'at the root' : `at '${path}'`;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b))
      return new TreeMismatchError(path, `${where}: one tree has an array, the other ${Array.isArray(a) ? describe(b) : describe(a)}`);
    if (a.length !== b.length) return new TreeMismatchError(path, `${where}: arrays of length ${a.length} and ${b.length}`);
    for (let i = 0; i < a.length; i++) {
      const d = firstDifference(a[i], b[i], join(path, i));
      if (d) return d;
    }
    return null;
  }
  if (isContainer(a) || isContainer(b)) {
    if (!isContainer(a) || !isContainer(b))
      return new TreeMismatchError(path, `${where}: one tree has an object, the other ${isContainer(a) ? describe(b) : describe(a)}`);
    for (const key of keysOf(a, path))
      if (!Object.hasOwn(b, key))
        return new TreeMismatchError(
          join(path, key),
          `missing '${join(path, key)}': the second tree has no such key (keys there: ${Object.keys(b).join(', ') || 'none'})`,
        );
    for (const key of keysOf(b, path))
      if (!Object.hasOwn(a, key))
        return new TreeMismatchError(
          join(path, key),
          `unexpected '${join(path, key)}': the first tree has no such key (keys there: ${Object.keys(a).join(', ') || 'none'})`,
        );
    for (const key of Object.keys(a)) {
      const d = firstDifference(a[key], b[key], join(path, key));
      if (d) return d;
    }
  }
  return null;
}

function describe(x: unknown): string {
  if (x === null || x === undefined) return String(x);
  if (isContainer(x)) return 'an object';
  return typeof x === 'object' ? `a ${(x as object).constructor?.name ?? 'value'}` : `a ${typeof x}`;
}

/**
 * Throws a `TreeMismatchError` naming the first path where `a` and `b` differ in structure (keys,
 * array lengths, container vs leaf). Leaves are not compared.
 *
 * @example
 * ```ts
 * assertSameStructure(params, grads); // throws "missing 'dense.bias' …" when grads lacks it
 * ```
 */
export function assertSameStructure(a: Tree<unknown>, b: Tree<unknown>): void {
  walk(a, () => {}); // cycles, depth and keys, before the pairwise walk trusts them
  walk(b, () => {});
  const d = firstDifference(a, b, '');
  if (d) throw d;
}

/**
 * The leaves of `tree` in the order of `like`'s leaves, paired by key (and arrays by index), whatever
 * the order of `tree`'s keys.
 *
 * @throws TreeMismatchError naming the first path where the structures differ.
 * @example
 * ```ts
 * alignLeaves({ a: wa, b: wb }, { b: gb, a: ga }); // [ga, gb]
 * ```
 */
export function alignLeaves<L>(like: Tree<unknown>, tree: Tree<L>): L[] {
  return alignTrees(like, tree).leaves;
}

/**
 * `alignLeaves`, and whether `tree` also lists its keys in `like`'s order (then it can be used as it
 * is where `like`'s order is expected). One walk guided by `like`, the hot path of every optimizer
 * step; the detailed error comes from `assertSameStructure`, called only when this walk finds a
 * difference.
 */
export function alignTrees<L>(like: Tree<unknown>, tree: Tree<L>): { leaves: L[]; sameOrder: boolean } {
  const out: L[] = [];
  let sameOrder = true;
  const visit = (a: unknown, b: unknown, depth: number): boolean => {
    if (depth > MAX_DEPTH) return false;
    if (Array.isArray(a)) {
      if (!Array.isArray(b) || b.length !== a.length) return false;
      for (let i = 0; i < a.length; i++) if (!visit(a[i], b[i], depth + 1)) return false;
      return true;
    }
    if (isContainer(a)) {
      if (!isContainer(b) || Array.isArray(b)) return false;
      const keys = Object.keys(a);
      const other = Object.keys(b);
      if (other.length !== keys.length || keys.includes('__proto__')) return false;
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i] as string;
        if (other[i] !== key) {
          if (!Object.hasOwn(b, key)) return false;
          sameOrder = false;
        }
        if (!visit(a[key], b[key], depth + 1)) return false;
      }
      return true;
    }
    if (isContainer(b)) return false;
    out.push(b as L);
    return true;
  };
  if (visit(like, tree, 0)) return { leaves: out, sameOrder };
  assertSameStructure(like, tree);
  throw new TreeMismatchError('', 'the trees differ in structure');
}

/**
 * Pairs the leaves of two trees of the same structure by key (arrays by index), in `a`'s `flatten`
 * order: `{ w1, w2 }` and `{ w2: g2, w1: g1 }` pair w1 with g1, whatever the order of the keys.
 * Throws a `TreeMismatchError` naming the first path where the structures differ.
 *
 * @example
 * ```ts
 * for (const { path, a: p, b: g } of zip(params, grads)) console.log(path, p.shape, g.shape);
 * ```
 */
export function zip<A, B>(a: Tree<A>, b: Tree<B>): { path: string; a: A; b: B }[] {
  const bs = alignLeaves(a, b);
  return flatten(a).map((e, i) => ({ path: e.path, a: e.value, b: bs[i] as B }));
}
