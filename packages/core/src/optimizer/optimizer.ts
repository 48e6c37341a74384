import * as tf from '@tensorflow/tfjs-core';
import { valueAndGrad } from '../autograd.js';
import { DisposedError, StateError, TreeMismatchError, ValueError } from '../errors.js';
import { checkSameTensorType, type GradientTransformation, type StateLeaf, type StateTree, type UpdateExtras } from '../transform.js';
import { assertSameStructure, flatten, type GradTree, leaves, type ParamTree, type Tree, unflatten } from '../tree.js';
import { findFusedKernel, runFusedKernel } from './fused.js';
import { afterInPlaceWrite } from './in-place.js';
import { decodeTensor, encodeTensor, type SavedTensor } from './state-codec.js';

/** The JSON-serializable state returned by `Optimizer.saveState`. @example `JSON.stringify(await opt.saveState())` */
export interface SavedOptimizerState {
  /** Always `'gradkit-optimizer-state'`. */
  readonly format: 'gradkit-optimizer-state';
  /** Format version (1). */
  readonly version: 1;
  /** The transformation's signature, e.g. `'chain(clipByGlobalNorm, sgd)'`; loading checks it. */
  readonly transform: string;
  /** Steps taken. */
  readonly stepCount: number;
  /** Shape and dtype of every parameter, by tree path. */
  readonly params: Readonly<Record<string, { readonly shape: readonly number[]; readonly dtype: string }>>;
  /** Every state leaf by tree path: a number, or a saved tensor. */
  readonly state: Readonly<Record<string, number | SavedTensor>>;
}

/** Options of the `Optimizer` runner. @example `new Optimizer(params, sgd({ learningRate: 0.1 }), { fused: false })` */
export interface OptimizerOptions {
  /** Use a registered fused kernel when one matches (default true); false always takes the reference path. */
  readonly fused?: boolean;
}

/** How a step was computed: by a fused kernel (its name) or by the reference tf-ops path. @example `'fused:GradkitSgd'` */
export type StepPath = 'reference' | `fused:${string}`;

const signatureOf = (t: GradientTransformation): string => (t.parts ? `chain(${t.parts.map(signatureOf).join(', ')})` : t.name);

/**
 * Runs a gradient transformation on a tree of `tf.Variable`s, in place: the fast path of gradkit.
 * It owns the transformation's state as tf.Variables keyed by tree path (never by position), and on
 * each step either runs a registered fused kernel for the chain on the active backend, or the
 * reference path (the transformation's tf ops inside `tf.tidy`). Both give the same numbers.
 *
 * A step is all-or-nothing: gradients are checked against the parameters first (paths, shapes,
 * dtypes) and new values are committed only once all are computed, so a step that throws leaves the
 * parameters and the state exactly as they were. Non-finite gradients propagate, as in PyTorch,
 * unless a guard such as `applyIfFinite` is in the chain.
 *
 * @example
 * ```ts
 * const params = { w: tf.variable(tf.randomNormal([784, 10])), b: tf.variable(tf.zeros([10])) };
 * const opt = new Optimizer(params, sgd({ learningRate: 0.1 }));
 * for (let i = 0; i < 100; i++) console.log(await opt.minimize((p) => loss(p, batch)));
 * opt.dispose();
 * ```
 */
export class Optimizer<P extends ParamTree = ParamTree> {
  /** The parameters (tf.Variables) this optimizer updates in place. */
  readonly params: P;
  /** The transformation it runs. */
  readonly transform: GradientTransformation;
  private readonly paramLeaves: tf.Variable[];
  private readonly paramPaths: string[];
  private readonly useFused: boolean;
  private state: Tree<StateLeaf>;
  private steps = 0;
  private disposed = false;
  private last: StepPath = 'reference';

  /**
   * @param params - a tree whose leaves are float32 `tf.Variable`s (each variable at one path only).
   * @param transform - the gradient transformation, e.g. `chain(clipByGlobalNorm(1), sgd({ learningRate: 0.1 }))`.
   * @throws ValueError when a leaf is not a float32 tf.Variable or appears twice.
   */
  constructor(params: P, transform: GradientTransformation, options: OptimizerOptions = {}) {
    const entries = flatten(params);
    if (entries.length === 0) throw new ValueError('params', 'the parameter tree has no variables: nothing to optimize');
    const seen = new Map<number, string>();
    for (const { path, value } of entries) {
      const where = path || '(root)';
      if (!(value instanceof tf.Variable))
        throw new ValueError(path, `parameter '${where}' is not a tf.Variable: the Optimizer updates variables in place (wrap it: tf.variable(tensor))`);
      if (value.dtype !== 'float32') throw new ValueError(path, `parameter '${where}' has dtype ${value.dtype}: only float32 variables can be optimized`);
      const other = seen.get(value.id);
      if (other !== undefined) throw new ValueError(path, `the same variable is at '${other}' and '${where}': give each parameter one path`);
      seen.set(value.id, where);
    }
    this.params = params;
    this.transform = transform;
    this.paramLeaves = entries.map((e) => e.value as tf.Variable);
    this.paramPaths = entries.map((e) => e.path);
    this.useFused = options.fused ?? true;
    const initial = tf.tidy(() => transform.init(params) as tf.TensorContainer) as StateTree;
    this.state = toVariables(initial);
  }

  /** Number of successful steps taken (restored by `loadState`). */
  get stepCount(): number {
    return this.steps;
  }

  /** How the last step ran: `'fused:<kernelName>'` or `'reference'`. */
  get lastStepPath(): StepPath {
    return this.last;
  }

  /**
   * Applies one update from `grads` (a tree with the parameters' structure, shapes and dtypes). It
   * neither keeps nor disposes `grads` (nor `extras.loss`). Work is queued on the backend; nothing
   * waits on a readback. `extras.loss` feeds transformations that read the loss (`reduceOnPlateau`).
   *
   * @throws TreeMismatchError naming the first path where `grads` does not match the parameters.
   */
  step(grads: GradTree, extras: UpdateExtras = {}): void {
    this.assertAlive();
    const gradLeaves = this.checkGrads(grads);
    if (extras.loss !== undefined && !(extras.loss instanceof tf.Tensor && extras.loss.rank === 0))
      throw new ValueError('loss', 'extras.loss must be a scalar tensor');
    if (this.useFused && this.tryFused(gradLeaves, grads, extras)) {
      this.steps++;
      return;
    }
    this.referenceStep(grads, gradLeaves, extras);
    this.last = 'reference';
    this.steps++;
  }

  /**
   * Computes the loss and its gradients with respect to the parameters, takes one step, and returns
   * the loss as a number (read back asynchronously after the step was queued).
   *
   * @param loss - `(params) => scalar tensor`.
   * @example
   * ```ts
   * const value = await opt.minimize((p) => tf.losses.meanSquaredError(y, predict(p, x)));
   * ```
   */
  async minimize(loss: (params: P) => tf.Scalar | tf.Tensor): Promise<number> {
    this.assertAlive();
    const { value, grads } = valueAndGrad(loss)(this.params);
    try {
      this.step(grads, { loss: value });
    } catch (e) {
      value.dispose();
      throw e;
    } finally {
      tf.dispose(grads as tf.TensorContainer);
    }
    const data = await value.data();
    value.dispose();
    return data[0] as number;
  }

  /**
   * The optimizer state as a plain JSON-serializable object (tensor bytes in base64, exact).
   * Asynchronous because reading tensors back is (WebGPU cannot read synchronously).
   *
   * @example
   * ```ts
   * localStorage.setItem('opt', JSON.stringify(await opt.saveState()));
   * ```
   */
  async saveState(): Promise<SavedOptimizerState> {
    this.assertAlive();
    const params: Record<string, { shape: number[]; dtype: string }> = {};
    this.paramLeaves.forEach((v, i) => {
      params[this.paramPaths[i] as string] = { shape: [...v.shape], dtype: v.dtype };
    });
    const state: Record<string, number | SavedTensor> = {};
    for (const { path, value } of flatten(this.state)) state[path] = typeof value === 'number' ? value : await encodeTensor(value);
    return { format: 'gradkit-optimizer-state', version: 1, transform: signatureOf(this.transform), stepCount: this.steps, params, state };
  }

  /**
   * Restores state saved by `saveState` (possibly after a JSON round trip); training then continues
   * exactly as it would have. All-or-nothing: on any mismatch nothing changes.
   *
   * @throws StateError naming the first mismatch: another transformation, other parameter paths,
   *   shapes or dtypes, or an object that is not saved gradkit state.
   */
  loadState(saved: SavedOptimizerState): void {
    this.assertAlive();
    const s = saved as Partial<SavedOptimizerState> | null;
    if (s?.format !== 'gradkit-optimizer-state' || s.version !== 1)
      throw new StateError(
        'format',
        "this is not gradkit optimizer state (format 'gradkit-optimizer-state', version 1): pass what Optimizer.saveState() returned",
      );
    const signature = signatureOf(this.transform);
    if (s.transform !== signature) throw new StateError('transform', `the state was saved by '${s.transform}' but this optimizer runs '${signature}'`);
    const savedPaths = Object.keys(s.params ?? {});
    for (const [i, v] of this.paramLeaves.entries()) {
      const path = this.paramPaths[i] as string;
      const p = s.params?.[path];
      if (!p)
        throw new StateError(path, `the state has no parameter '${path}' (it has: ${savedPaths.slice(0, 8).join(', ')}${savedPaths.length > 8 ? ', …' : ''})`);
      if (!tf.util.arraysEqual([...p.shape], v.shape) || p.dtype !== v.dtype)
        throw new StateError(
          path,
          `parameter '${path}' was ${p.dtype}[${p.shape.join(', ')}] in the saved state, here it is ${v.dtype}[${v.shape.join(', ')}]`,
        );
    }
    const extra = savedPaths.find((p) => !this.paramPaths.includes(p));
    if (extra !== undefined) throw new StateError(extra, `the saved state has parameter '${extra}', which this optimizer does not have`);
    if (typeof s.stepCount !== 'number' || !Number.isInteger(s.stepCount) || s.stepCount < 0)
      throw new StateError('stepCount', 'stepCount must be a non-negative integer');
    const current = flatten(this.state);
    const savedState = s.state ?? {};
    const unknown = Object.keys(savedState).find((k) => !current.some((e) => e.path === k));
    if (unknown !== undefined) throw new StateError(unknown, `the saved state has '${unknown}', which this optimizer's state does not have`);
    const created: tf.Tensor[] = [];
    try {
      const values = current.map(({ path, value }) => {
        if (!(path in savedState)) throw new StateError(path, `the saved state lacks '${path}'`);
        const leaf = savedState[path];
        if (typeof value === 'number') {
          if (typeof leaf !== 'number') throw new StateError(path, `'${path}' must be a number in the saved state`);
          return leaf;
        }
        const t = decodeTensor(path, leaf, value);
        created.push(t);
        return t;
      });
      current.forEach(({ value }, i) => {
        if (value instanceof tf.Variable) value.assign(values[i] as tf.Tensor);
      });
      this.state = unflatten(
        this.state,
        current.map(({ value }, i) => (value instanceof tf.Variable ? value : (values[i] as number))),
      );
      this.steps = s.stepCount;
    } finally {
      tf.dispose(created);
    }
  }

  /** Releases the state variables (not the parameters). The optimizer cannot be used afterwards. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const { value } of flatten(this.state)) if (value instanceof tf.Tensor) value.dispose();
  }

  private assertAlive(): void {
    if (this.disposed) throw new DisposedError('Optimizer');
  }

  private checkGrads(grads: GradTree): tf.Tensor[] {
    assertSameStructure(this.params, grads);
    const gradLeaves = leaves(grads); // the parameters' structure: their paths are paramPaths
    for (const [i, g] of gradLeaves.entries()) checkSameTensorType(this.paramPaths[i] as string, this.paramLeaves[i] as tf.Tensor, g, 'gradient');
    return gradLeaves as tf.Tensor[];
  }

  /** Reference path: the transformation's tf ops, committed only once everything is computed. */
  private referenceStep(grads: GradTree, gradLeaves: tf.Tensor[], extras: UpdateExtras): void {
    const stateEntries = flatten(this.state);
    const { newParams, newState } = tf.tidy(() => {
      const r = this.transform.update(grads, this.state as StateTree, this.params, extras);
      assertSameStructure(this.params, r.updates);
      const updates = flatten(r.updates).map((e) => e.value);
      for (const [i, u] of updates.entries())
        checkSameTensorType(this.paramPaths[i] as string, this.paramLeaves[i] as tf.Tensor, u, `update from '${this.transform.name}'`);
      const next = flatten(r.state);
      if (next.length !== stateEntries.length)
        throw new TreeMismatchError('', `'${this.transform.name}' returned a state of ${next.length} leaves, its init made ${stateEntries.length}`);
      next.forEach((e, i) => {
        const before = stateEntries[i] as { path: string; value: StateLeaf };
        if (e.path !== before.path)
          throw new TreeMismatchError(e.path, `'${this.transform.name}' returned state at '${e.path}' where its init had '${before.path}'`);
        if (typeof before.value === 'number') {
          if (typeof e.value !== 'number' || !Number.isFinite(e.value))
            throw new TreeMismatchError(e.path, `'${this.transform.name}' returned a non-number state at '${e.path}'`);
        } else checkSameTensorType(e.path, before.value, e.value, `state from '${this.transform.name}'`);
      });
      return {
        newParams: updates.map((u, i) => tf.add(this.paramLeaves[i] as tf.Tensor, u as tf.Tensor)),
        newState: next.map((e) => e.value),
      };
    });
    // Commit: nothing below can fail (shapes and dtypes were checked).
    for (const [i, v] of this.paramLeaves.entries()) v.assign(newParams[i] as tf.Tensor);
    tf.dispose(newParams);
    const leaves = stateEntries.map(({ value }, i) => {
      const next = newState[i] as StateLeaf;
      if (typeof value === 'number') return next;
      if (next !== value) {
        (value as tf.Variable).assign(next as tf.Tensor);
        // A state that holds the caller's gradient (or a parameter) shares its buffer; never dispose those.
        if (!gradLeaves.includes(next as tf.Tensor) && !this.paramLeaves.includes(next as tf.Variable)) (next as tf.Tensor).dispose();
      }
      return value;
    });
    this.state = unflatten(this.state, leaves);
  }

  /**
   * Fused path: returns false (and changes nothing) when no kernel applies. Observers at the head of
   * the chain (`observer: true`) run on their reference path first, on the same raw gradients they
   * would see there; the kernel runs the rest of the chain.
   */
  private tryFused(grads: tf.Tensor[], gradTree: GradTree, extras: UpdateExtras): boolean {
    const top = this.transform.parts ?? [this.transform];
    const topStates = (this.transform.parts ? this.state : [this.state]) as StateTree[];
    let k = 0;
    while (k < top.length && top[k]?.observer && leaves(topStates[k] as StateTree).every((v) => typeof v === 'number')) k++;
    const nodes = top.slice(k).flatMap((p, i) => expand(p, topStates[k + i] as StateTree));
    if (nodes.length === 0 || nodes.some((n) => !n.part.hyperParams)) return false;
    const options = nodes.map((n) => n.part.options);
    const kernel = findFusedKernel(
      nodes.map((n) => n.part.name),
      options,
      tf.getBackend(),
    );
    if (!kernel) return false;
    const stateAt = (i: number, name: string) => (nodes[i]?.state as Record<string, StateTree> | undefined)?.[name];
    const slots: tf.Variable[][] = [];
    for (const [i, names] of (kernel.slots?.(options) ?? []).entries()) {
      for (const name of names) {
        const sub = stateAt(i, name);
        const slot = sub === undefined ? [] : leaves(sub);
        if (slot.length !== this.paramLeaves.length || slot.some((l) => !(l instanceof tf.Variable))) return false;
        slots.push(slot as tf.Variable[]);
      }
    }
    const scalars: tf.Variable[] = [];
    for (const [i, names] of (kernel.scalars?.(options) ?? []).entries()) {
      for (const name of names) {
        const leaf = stateAt(i, name);
        if (!(leaf instanceof tf.Variable)) return false;
        scalars.push(leaf);
      }
    }
    const engine = tf.engine() as unknown as { backend: tf.KernelBackend; state: { tensorInfo: Map<object, { backend: tf.KernelBackend }> } };
    const onBackend = (t: tf.Tensor) => engine.state.tensorInfo.get(t.dataId)?.backend === engine.backend;
    const written = [...this.paramLeaves, ...slots.flat(), ...scalars];
    if (![...written, ...grads].every(onBackend)) return false;
    const counts = nodes.map(({ state }) => {
      const count = (state as Record<string, unknown> | null)?.count;
      return typeof count === 'number' ? count : this.steps;
    });
    const hyper = nodes.map(({ part }, i) => (part.hyperParams as (step: number) => Record<string, number>)(counts[i] as number));
    const observed = top
      .slice(0, k)
      .map((p, i) => tf.tidy(() => p.update(gradTree, topStates[i] as StateTree, this.params, extras).state as tf.TensorContainer) as StateTree);
    for (const v of written) makeExclusive(v);
    runFusedKernel(kernel, { params: this.paramLeaves, grads, slots, scalars, options, hyper, counts, step: this.steps });
    afterInPlaceWrite(tf.getBackend(), tf.backend(), written);
    const next = [...observed, ...top.slice(k).map((p, i) => advanced(p, topStates[k + i] as StateTree))];
    this.state = (this.transform.parts ? next : next[0]) as Tree<StateLeaf>;
    this.last = `fused:${kernel.kernelName}`;
    return true;
  }
}

/** A transformation and its state, flattened as fused kernels see them: chains into their parts, wrappers before their inner. */
function expand(part: GradientTransformation, state: StateTree): { part: GradientTransformation; state: StateTree }[] {
  if (part.parts) return part.parts.flatMap((p, i) => expand(p, (state as StateTree[])[i] as StateTree));
  if (part.inner) return [{ part, state }, ...expand(part.inner, (state as Record<string, StateTree>).inner as StateTree)];
  return [{ part, state }];
}

/** The state after a fused step: every `count` in it (chains' parts, wrappers and their inner) one more. */
function advanced(part: GradientTransformation, state: StateTree): StateTree {
  if (part.parts) return (state as StateTree[]).map((s, i) => advanced(part.parts?.[i] as GradientTransformation, s));
  const s = advanceCount(state);
  return part.inner ? { ...(s as Record<string, StateTree>), inner: advanced(part.inner, (s as Record<string, StateTree>).inner as StateTree) } : s;
}

/** A new state whose root `count`, if any, is one more. */
function advanceCount(state: StateTree): StateTree {
  if (state === null || typeof state !== 'object' || Array.isArray(state) || state instanceof tf.Tensor) return state;
  const s = state as Record<string, StateTree>;
  return typeof s.count === 'number' ? { ...s, count: s.count + 1 } : s;
}

/** Turns the tensor leaves of a freshly built state into non-trainable variables (numbers stay). */
function toVariables(state: StateTree): Tree<StateLeaf> {
  const entries = flatten(state);
  const leaves = entries.map(({ path, value }) => {
    if (typeof value === 'number') return value;
    if (!(value instanceof tf.Tensor)) throw new ValueError(path, `state leaf '${path}' is neither a tensor nor a number`);
    const v = tf.variable(value, false);
    // A state initialised with a parameter itself (or any variable) shares its buffer: keep that one.
    if (!(value instanceof tf.Variable)) value.dispose();
    return v;
  });
  return unflatten(state, leaves);
}

/**
 * Copy-on-write: gives `v` a buffer of its own when it shares one with another tensor (a variable
 * made from a tensor that is still alive shares that tensor's buffer), so that in-place kernels never
 * change other tensors.
 */
function makeExclusive(v: tf.Variable): void {
  const backend = tf.backend() as unknown as { refCount?(dataId: object): number };
  if ((backend.refCount?.(v.dataId) ?? 1) <= 1) return;
  const copy = tf.tidy(() => tf.mul(v, tf.scalar(1, v.dtype)));
  v.assign(copy);
  copy.dispose();
}
