// Switching parameters between the point a transformation trains and the point to evaluate
// (schedule-free's y and x, a weight average), through chains, wrappers and partition groups.
import type * as tf from '@tensorflow/tfjs-core';
import { TreeMismatchError } from './errors.js';
import type { GradientTransformation, StateTree } from './transform.js';
import { checkSameTensorType } from './transform.js';
import { flatten, type GradTree, type ParamTree, unflatten } from './tree.js';

/** Which point the parameters hold: the one being trained, or the one to evaluate. @example `opt.mode === 'eval'` */
export type PointMode = 'train' | 'eval';

/**
 * Whether `t` (or a part, wrapped transformation or group of it) keeps an evaluation point
 * (`evalPoint`), so that `eval()` changes the parameters.
 *
 * @example
 * ```ts
 * hasEvalPoint(chain(clipByGlobalNorm(1), scheduleFreeAdamW())); // true
 * hasEvalPoint(adamw()); // false
 * ```
 */
export function hasEvalPoint(t: GradientTransformation): boolean {
  if (t.evalPoint) return true;
  if (t.parts) return t.parts.some(hasEvalPoint);
  if (t.inner && hasEvalPoint(t.inner)) return true;
  return t.groups ? Object.values(t.groups.transforms).some(hasEvalPoint) : false;
}

/**
 * The parameters to evaluate, and the state to keep meanwhile, from the parameters being trained:
 * the functional form of `Optimizer.eval()` (optax's `schedule_free_eval_params`). Parts with an
 * `evalPoint` are visited in chain order, a wrapper's inner before the wrapper; parameters of a
 * transformation without one pass through unchanged. Returns new tensors (run it inside `tf.tidy`).
 *
 * @throws TreeMismatchError naming the path of a parameter an `evalPoint` returned wrongly shaped.
 * @example
 * ```ts
 * const tx = scheduleFreeAdamW();
 * const { params: x } = evalParams(tx, params, state); // evaluate the model at x
 * ```
 */
export function evalParams<S extends StateTree>(t: GradientTransformation, params: ParamTree, state: S): { params: GradTree; state: S } {
  return switchPoint(t, params, state, 'eval') as { params: GradTree; state: S };
}

/**
 * The parameters to train from the parameters `evalParams` returned and its state: the functional
 * form of `Optimizer.train()`. Visits the parts in the reverse order of `evalParams`.
 *
 * @throws TreeMismatchError naming the path of a parameter an `evalPoint` returned wrongly shaped.
 * @example
 * ```ts
 * const back = trainParams(tx, x, evalState); // y again, to float32 rounding
 * ```
 */
export function trainParams<S extends StateTree>(t: GradientTransformation, params: ParamTree, state: S): { params: GradTree; state: S } {
  return switchPoint(t, params, state, 'train') as { params: GradTree; state: S };
}

type Moved = { params: ParamTree; state: StateTree };

function switchPoint(t: GradientTransformation, params: ParamTree, state: StateTree, to: PointMode): Moved {
  if (!hasEvalPoint(t)) return { params, state };
  if (t.parts) {
    const states = [...(state as StateTree[])];
    const order = t.parts.map((_, i) => i);
    if (to === 'train') order.reverse();
    let p = params;
    for (const i of order) {
      const r = switchPoint(t.parts[i] as GradientTransformation, p, states[i] as StateTree, to);
      p = r.params;
      states[i] = r.state;
    }
    return { params: p, state: states };
  }
  let p = params;
  let s = state;
  const own = () => {
    if (!t.evalPoint) return;
    const r = to === 'eval' ? t.evalPoint.toEval(p, s) : t.evalPoint.toTrain(p, s);
    p = checked(t, p, r.params);
    s = r.state;
  };
  const inside = () => {
    const rec = s as Record<string, StateTree>;
    if (t.inner) {
      const r = switchPoint(t.inner, p, rec.inner as StateTree, to);
      p = r.params;
      s = { ...rec, inner: r.state };
    } else if (t.groups) s = groupsSwitch(t, p, rec, to, (moved) => (p = moved));
  };
  if (to === 'eval') {
    inside();
    own();
  } else {
    own();
    inside();
  }
  return { params: p, state: s };
}

/** Each group of a routing transformation over its own flat tree of parameters (keyed by path), as `partition` updates them. */
function groupsSwitch(t: GradientTransformation, params: ParamTree, state: Record<string, StateTree>, to: PointMode, set: (p: ParamTree) => void): StateTree {
  const groups = t.groups as NonNullable<GradientTransformation['groups']>;
  const labels = groups.labels(params);
  const entries = flatten(params);
  const values = new Map(entries.map((e) => [e.path, e.value as tf.Tensor]));
  const next: Record<string, StateTree> = { ...state };
  for (const [label, tg] of Object.entries(groups.transforms)) {
    const mine = Object.fromEntries(entries.filter((e) => labels[e.path] === label).map((e) => [e.path, values.get(e.path) as tf.Tensor]));
    const r = switchPoint(tg, mine, state[label] as StateTree, to);
    next[label] = r.state;
    for (const { path, value } of flatten(r.params)) values.set(path, value as tf.Tensor);
  }
  set(
    unflatten(
      params,
      entries.map((e) => values.get(e.path) as tf.Tensor),
    ),
  );
  return next;
}

/** The evalPoint's parameters, each checked against the one it replaces (paired by key). */
function checked(t: GradientTransformation, before: ParamTree, after: GradTree): ParamTree {
  const got = new Map(flatten(after).map((e) => [e.path, e.value]));
  return unflatten(
    before,
    flatten(before).map(({ path, value }) => {
      if (!got.has(path)) throw new TreeMismatchError(path, `'${t.name}' evalPoint returned no parameter at '${path || '(root)'}'`);
      const v = got.get(path);
      checkSameTensorType(path, value as tf.Tensor, v, `'${t.name}' evalPoint parameter`);
      return v as tf.Tensor;
    }),
  );
}
