import * as tf from '@tensorflow/tfjs-core';
import { HyperParameterError, TreeMismatchError } from './errors.js';
import { type GradTree, type ParamTree, type Tree, unflatten, zip } from './tree.js';

/** A leaf of optimizer state: a tensor (per-parameter buffers) or a host number (a step count). @example `{ count: 3, mu: { w: muW } }` */
export type StateLeaf = tf.Tensor | number;
/** Optimizer state: a tree of tensors and numbers. @example `{ count: 0, momentum: { w: tf.zerosLike(w) } }` */
export type StateTree = Tree<StateLeaf>;

/** What `update` returns: the updates to add to the parameters, and the next state. @example `{ updates: { w: tf.mul(g, -0.1) }, state }` */
export interface TransformResult<S> {
  /** Updates with the structure of the gradients; an optimizer's updates already carry `-learningRate`. */
  readonly updates: GradTree;
  /** The next state, with the structure of the previous one. */
  readonly state: S;
}

/**
 * Extra inputs of one update, beyond gradients, state and parameters. `loss` is the value being
 * minimised at this step (a scalar tensor, never read back on the host); transformations such as
 * `reduceOnPlateau` use it. `Optimizer.minimize` passes it; `Optimizer.step(grads, { loss })` may.
 *
 * @example
 * ```ts
 * tx.update(grads, state, params, { loss });
 * ```
 */
export interface UpdateExtras {
  /** The loss at this step, as a scalar tensor. */
  readonly loss?: tf.Scalar;
  /**
   * Resolves to true once this step is committed (the parameters and the state were updated), to
   * false when it failed and nothing changed. The `Optimizer` passes it, so side effects such as
   * reports wait for it and a failed step is never recorded; without it (a direct `update` call),
   * the step counts as committed.
   */
  readonly committed?: Promise<boolean>;
  /**
   * A metric the user reported since the last step (`Optimizer.reportMetric`, e.g. the validation
   * loss after an epoch), as a float32 scalar; absent on steps without a new report.
   */
  readonly metric?: tf.Scalar;
  /**
   * The whole transformation the runner runs (the `Optimizer`'s), so that a part can see the chain it
   * sits in: `monitorGradients` does not suggest clipping when a clip follows it.
   */
  readonly transform?: GradientTransformation;
}

/**
 * A gradient transformation (after optax): a pure pair of functions over trees. `init` builds the
 * state for a parameter tree; `update` maps gradients (and state, and optionally the parameters) to
 * updates and the next state. Clipping, optimizers, weight decay and monitoring are all
 * transformations, composed with `chain`; updates are added to parameters with `applyUpdates` or
 * applied in place by an `Optimizer`.
 *
 * Rules: `update` never disposes or mutates its inputs and builds its outputs from tf ops (callers
 * run it inside `tf.tidy`); a number leaf named `count` at the root of the state counts the steps
 * taken (fused kernels advance it); `options` holds the resolved hyper-parameters, schedules included,
 * so runners and fused kernels can recognise the transformation.
 *
 * @typeParam S - the state tree.
 * @typeParam O - the options object.
 * @example
 * ```ts
 * const scaleBy = (factor: number): GradientTransformation<Record<string, never>> => ({
 *   name: 'scaleBy', options: { factor },
 *   init: () => ({}),
 *   update: (grads, state) => ({ updates: map(grads, (g) => tf.mul(g, factor)), state }),
 * });
 * ```
 */
export interface GradientTransformation<S extends StateTree = StateTree, O extends object = object> {
  /** Registered name (`'sgd'`, `'clipByGlobalNorm'` …); fused kernels match chains by these names. */
  readonly name: string;
  /** Resolved hyper-parameters, schedules included. */
  readonly options: Readonly<O>;
  /** The transformations a `chain` is made of (absent on single transformations). */
  readonly parts?: readonly GradientTransformation[];
  /**
   * The transformation a wrapper runs (such as `applyIfFinite(inner)`), whose state the wrapper keeps
   * under its own state's `inner` key. Fused kernels see a wrapper's name followed by its inner names.
   */
  readonly inner?: GradientTransformation;
  /** Builds the initial state for `params`. */
  init(params: ParamTree): S;
  /** Maps gradients to updates and the next state. */
  update(grads: GradTree, state: S, params?: ParamTree, extras?: UpdateExtras): TransformResult<S>;
  /**
   * The numeric hyper-parameters at `step`, schedules evaluated and validated. Fused kernels read
   * these; a transformation without it cannot be fused.
   */
  hyperParams?(step: number): Readonly<Record<string, number>>;
  /**
   * True for a transformation that only watches: its updates are its gradients, unchanged, and its
   * state holds host numbers only (e.g. `monitorGradients`). At the head of a chain, the `Optimizer`
   * runs it beside a fused kernel for the rest of the chain instead of giving up the fused path.
   */
  readonly observer?: boolean;
  /**
   * Keys of this transformation's state whose tensors users want to see during training (e.g.
   * `clipByGlobalNorm`'s `norm` and `clipped`, `reduceOnPlateau`'s `scale`): `Optimizer.metrics()`
   * reads them without holding up a step. A fused kernel must write them (as `scalars`).
   */
  readonly metrics?: readonly string[];
  /**
   * What the values of this transformation's state tensors may be, by top-level state key, checked
   * when saved state is loaded: `'nonNegative'` (second moments, accumulators), `'finite'` (the
   * default for every float tensor not listed), `'unchecked'` (a value that may legitimately be ±∞,
   * such as the best loss before the first step) or `'measured'` (what the last step measured, such as
   * a clipped norm: never carried into the next step, so state saved without it still loads).
   */
  readonly stateChecks?: Readonly<Record<string, 'finite' | 'nonNegative' | 'unchecked' | 'measured'>>;
  /**
   * For a transformation that routes each parameter to one of several transformations (`partition`):
   * those transformations by label, and the label of every parameter path. Its state is
   * `{ [label]: that transformation's state over its parameters }`, where each group's parameters are
   * a flat object keyed by their paths. Runners use it to give every group its own fused kernel.
   */
  readonly groups?: TransformationGroups;
  /**
   * For a transformation that keeps an evaluation point beside the point it trains (schedule-free's
   * x beside y, an average of the weights): how the parameters switch between the two.
   * `Optimizer.eval()` / `train()` call it (through chains, wrappers' `inner` and `partition` groups);
   * `evalParams` / `trainParams` are the functional form.
   */
  readonly evalPoint?: EvalPoint<S>;
  /**
   * For a transformation whose state holds host numbers that change every step besides its root
   * `count` (schedule-free's `lrMax` and `weightSum`): the state after one step with those numbers and
   * `count` advanced and every tensor left as it is. Fused kernels write only tensors; the runner
   * calls this for the numbers (without it, it advances `count` only).
   */
  hostStep?(state: S): S;
}

/**
 * How a transformation's parameters switch between the point it trains and the point to evaluate
 * (`GradientTransformation.evalPoint`). Both functions are pure: they return new tensors (built from tf
 * ops, inside the caller's `tf.tidy`) and never dispose their inputs. `toTrain(toEval(p, s))` gives
 * back `p` and `s` (to float32 rounding, or exactly where the state keeps the training values).
 *
 * @example
 * ```ts
 * // schedule-free: x = (y − (1−β₁)·z)/β₁ in eval mode; y = β₁·x + (1−β₁)·z back in train mode
 * const evalPoint: EvalPoint<{ z: Tree<tf.Tensor> }> = {
 *   toEval: (params, state) => ({ params: map(params, (y, path) => …), state }),
 *   toTrain: (params, state) => ({ params: map(params, (x, path) => …), state }),
 * };
 * ```
 */
export interface EvalPoint<S extends StateTree = StateTree> {
  /** The parameters' values for evaluation, and the state to keep meanwhile, from the training values. */
  toEval(params: ParamTree, state: S): { readonly params: GradTree; readonly state: S };
  /** The training values back, from the evaluation values and the state `toEval` returned. */
  toTrain(params: ParamTree, state: S): { readonly params: GradTree; readonly state: S };
}

/**
 * The groups of a routing transformation (`GradientTransformation.groups`).
 *
 * @example
 * ```ts
 * partition({ decay: adamw(), noDecay: adamw({ weightDecay: 0 }) }, labels).groups?.labels(params); // { 'dense.kernel': 'decay', 'dense.bias': 'noDecay' }
 * ```
 */
export interface TransformationGroups {
  /** The transformation of each label. */
  readonly transforms: Readonly<Record<string, GradientTransformation>>;
  /** The label of every parameter, by path; throws a typed error for a parameter without a valid label. */
  labels(params: ParamTree): Readonly<Record<string, string>>;
}

/**
 * Whether `t` is a gradient transformation: an object with `init` and `update` functions.
 *
 * @example
 * ```ts
 * isTransformation(adam()); // true; isTransformation(adam) is false (a factory)
 * ```
 */
export function isTransformation(t: unknown): t is GradientTransformation {
  return (
    t !== null &&
    typeof t === 'object' &&
    typeof (t as GradientTransformation).init === 'function' &&
    typeof (t as GradientTransformation).update === 'function'
  );
}

/**
 * Throws a HyperParameterError naming `field` unless `t` is a gradient transformation (an object
 * with `name`, `init` and `update`), saying what to pass instead: the usual slip is passing a
 * factory (`adam`) instead of calling it (`adam()`).
 *
 * @example
 * ```ts
 * assertTransformation('transform', adam); // "… adam is a factory: call it, e.g. adam() …"
 * ```
 */
export function assertTransformation(field: string, t: unknown): asserts t is GradientTransformation {
  if (isTransformation(t)) return;
  const got =
    typeof t === 'function'
      ? `the function ${t.name || '(anonymous)'}: it is a factory, call it, e.g. ${t.name || 'adam'}(${t.name === 'sgd' ? '{ learningRate: 0.1 }' : ''})`
      : t === null
        ? 'null'
        : typeof t === 'object'
          ? 'an object without init and update'
          : `a ${typeof t} (${JSON.stringify(t)})`;
  throw new HyperParameterError(
    field,
    `${field} must be a gradient transformation such as adam() or chain(clipByGlobalNorm(1), sgd({ learningRate: 0.1 })); got ${got}`,
  );
}

/**
 * Composes transformations: each one's updates are the next one's gradients (optax.chain). Nested
 * chains are flattened, so `chain(chain(a, b), c)` is `chain(a, b, c)`; the state is the array of the
 * parts' states.
 *
 * @example
 * ```ts
 * const tx = chain(clipByGlobalNorm(1), adamw({ learningRate: 1e-3 }));
 * ```
 */
export function chain(...transforms: GradientTransformation[]): GradientTransformation<StateTree[], Record<string, never>> {
  if (transforms.length === 0) throw new HyperParameterError('transforms', 'chain needs at least one transformation, e.g. chain(clipByGlobalNorm(1), adam())');
  for (const [i, t] of transforms.entries()) assertTransformation(`chain argument ${i}`, t);
  const parts = transforms.flatMap((t) => (t.parts ? t.parts : [t]));
  return {
    name: 'chain',
    options: {},
    parts,
    init: (params) => parts.map((p) => p.init(params)),
    update(grads, state, params, extras) {
      if (!Array.isArray(state) || state.length !== parts.length) {
        throw new TreeMismatchError(
          '',
          `chain of ${parts.length} transformations got a state of ${Array.isArray(state) ? state.length : 'no'} parts: pass the state that this chain's init returned`,
        );
      }
      let updates = grads;
      const next = parts.map((part, i) => {
        const r = part.update(updates, state[i] as StateTree, params, extras);
        updates = r.updates;
        return r.state;
      });
      return { updates, state: next };
    },
  };
}

/**
 * Returns new parameters `params + updates` (functional: nothing is mutated; the caller owns the
 * result). For tf.Variables updated in place, use `Optimizer`.
 *
 * @throws TreeMismatchError naming the first path whose structure, shape or dtype differs.
 * @example
 * ```ts
 * const { updates, state: next } = tx.update(grads, state, params);
 * const newParams = applyUpdates(params, updates);
 * ```
 */
export function applyUpdates<P extends ParamTree>(params: P, updates: GradTree): Tree<tf.Tensor> {
  const pairs = zip(params, updates);
  for (const { path, a, b } of pairs) checkSameTensorType(path, a, b, 'update');
  return unflatten(
    params,
    pairs.map(({ a, b }) => tf.add(a, b)),
  );
}

/**
 * Throws a TreeMismatchError when `actual` is not a tensor with the shape and dtype of `expected`.
 *
 * @example
 * ```ts
 * checkSameTensorType('dense.kernel', param, grad, 'gradient');
 * ```
 */
export function checkSameTensorType(path: string, expected: tf.Tensor, actual: unknown, what: string): void {
  const where = path || '(root)';
  if (!(actual instanceof tf.Tensor)) throw new TreeMismatchError(path, `${what} at '${where}' is ${actual === null ? 'null' : typeof actual}, not a tensor`);
  if (actual.isDisposed) throw new TreeMismatchError(path, `${what} at '${where}' was already disposed`);
  if (!tf.util.arraysEqual(actual.shape, expected.shape)) {
    throw new TreeMismatchError(
      path,
      `${what} at '${where}' has shape [${actual.shape.join(', ')}] but the parameter has shape [${expected.shape.join(', ')}]`,
    );
  }
  if (actual.dtype !== expected.dtype)
    throw new TreeMismatchError(path, `${what} at '${where}' has dtype ${actual.dtype} but the parameter has dtype ${expected.dtype}`);
}
