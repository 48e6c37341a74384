import * as tf from '@tensorflow/tfjs-core';
import { valueAndGradConnected } from '../autograd.js';
import { BackendError, DisposedError, HyperParameterError, StateError, TreeMismatchError, ValueError } from '../errors.js';
import { evalParams, hasEvalPoint, type PointMode, trainParams } from '../eval-point.js';
import { checkOptions } from '../options.js';
import { assertTransformation, checkSameTensorType, type GradientTransformation, type StateLeaf, type StateTree, type UpdateExtras } from '../transform.js';
import { alignLeaves, alignTrees, flatten, type GradTree, leaves, type ParamTree, type Tree, unflatten } from '../tree.js';
import { fusedRegistryVersion } from './fused.js';
import { type FusedPlan, type FusedSkeleton, fusedSkeleton, onActiveBackend, planFused, type ReferenceGroup } from './fused-plan.js';
import { runPlan } from './fused-run.js';
import { awayFromWebGpu, ownerIsWebGpuInNode, refuseBareMasked } from './guards.js';
import { partNodes } from './parts.js';
import { type Persisted, readState, type SavedOptimizerState, signatureOf, writeState } from './persist.js';
import { commitUpdate, computeUpdate, discardUpdate, type PendingUpdate } from './reference-update.js';

export type { SavedOptimizerState } from './persist.js';

/** Options of the `Optimizer` runner. @example `new Optimizer(params, sgd({ learningRate: 0.1 }), { fused: false })` */
export interface OptimizerOptions {
  /** Use a registered fused kernel when one matches (default true); false always takes the reference path. */
  readonly fused?: boolean;
}

/** What `Optimizer.step` accepts beside the gradients. @example `opt.step(grads, { loss })` */
export interface StepExtras {
  /** The loss at this step, as a scalar tensor (for transformations that read it, such as `reduceOnPlateau`). */
  readonly loss?: tf.Scalar;
}

/**
 * How a step was computed: by fused kernels (their names, joined by `+`; `+reference` at the end when
 * some groups of a routing transformation had no kernel and ran their reference update in the same
 * step) or by the reference tf-ops path. @example `'fused:GradkitSgd'`, `'fused:GradkitAdamw+reference'`
 */
export type StepPath = 'reference' | `fused:${string}`;

/**
 * Runs a gradient transformation on a tree of `tf.Variable`s, in place: the fast path of gradkit.
 * It owns the transformation's state as tf.Variables keyed by tree path (never by position), and on
 * each step either runs registered fused kernels for the chain on the active backend (one per group
 * of a `partition` or `muon` where the group's transformation has one, the other groups running
 * their own tf ops in the same step), or the reference path (the transformation's tf ops inside
 * `tf.tidy`). Both give the same numbers.
 *
 * A step is all-or-nothing: gradients are paired with the parameters by key and checked first
 * (paths, shapes, dtypes); on the reference path new values are committed only once all are
 * computed; a fused kernel that is not `atomic` has its writes undone when it throws, and a step of
 * several kernels (a `partition`) validates them all before the first runs (an `atomic` kernel
 * promises to throw only before it writes); groups without a kernel compute their new values before
 * the kernels run and write them after. So a step that throws leaves the parameters and the
 * state exactly as they were. Non-finite gradients propagate, as in PyTorch, unless a guard such as
 * `applyIfFinite` is in the chain. Checkpoints (`saveState`) are consistent: they hold the state as it
 * was when they were called, whatever steps run while they are read back.
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
  private tx: GradientTransformation;
  private readonly paramLeaves: tf.Variable[];
  private readonly paramPaths: string[];
  private readonly useFused: boolean;
  private state: Tree<StateLeaf>;
  private steps = 0;
  private disposed = false;
  private last: StepPath = 'reference';
  private reported: tf.Scalar | null = null;
  private point: PointMode = 'train';
  /** The state's variables (made once; steps and loadState assign into them, never replace them). */
  private readonly stateVars: { path: string; v: tf.Variable }[];
  /** The backend every parameter and state variable was last seen on. */
  private home: tf.KernelBackend | null = null;
  /** The fused kernels found for the transformation, by what they depend on (the transformation, the backend, the kernel registry). */
  private skeleton: {
    key: { tx: GradientTransformation; observers: number; backend: tf.KernelBackend; version: number };
    skeleton: FusedSkeleton | null;
  } | null = null;

  /**
   * @param params - a tree whose leaves are float32 `tf.Variable`s (each variable at one path only).
   * @param transform - the gradient transformation, e.g. `chain(clipByGlobalNorm(1), sgd({ learningRate: 0.1 }))`.
   * @throws ValueError when a leaf is not a float32 tf.Variable or appears twice; HyperParameterError
   *   when `transform` is not a transformation (e.g. `adam` instead of `adam()`), for unknown options,
   *   or for a bare `masked(...)`, which would add raw gradients to the parameters it does not select.
   */
  constructor(params: P, transform: GradientTransformation, options: OptimizerOptions = {}) {
    if (params === null || params === undefined)
      throw new ValueError('params', 'new Optimizer(params, transform) needs a tree of tf.Variables, e.g. { w: tf.variable(tf.zeros([3])) }');
    assertTransformation('transform', transform);
    const o = checkOptions('Optimizer', options, ['fused'], { example: 'new Optimizer(params, adam(), { fused: false })' });
    if (o.fused !== undefined && typeof o.fused !== 'boolean') throw new HyperParameterError('fused', `fused must be true or false, got ${String(o.fused)}`);
    refuseBareMasked(transform);
    const entries = flatten(params);
    if (entries.length === 0) throw new ValueError('params', 'the parameter tree has no variables: nothing to optimize');
    const seen = new Map<number, string>();
    for (const { path, value } of entries) {
      const where = path || '(root)';
      if (!(value instanceof tf.Variable))
        throw new ValueError(path, `parameter '${where}' is not a tf.Variable: the Optimizer updates variables in place (wrap it: tf.variable(tensor))`);
      if (value.isDisposed) throw new ValueError(path, `parameter '${where}' was already disposed`);
      if (value.dtype !== 'float32') throw new ValueError(path, `parameter '${where}' has dtype ${value.dtype}: only float32 variables can be optimized`);
      const other = seen.get(value.id);
      if (other !== undefined) throw new ValueError(path, `the same variable is at '${other}' and '${where}': give each parameter one path`);
      seen.set(value.id, where);
    }
    this.params = params;
    this.tx = transform;
    this.paramLeaves = entries.map((e) => e.value as tf.Variable);
    this.paramPaths = entries.map((e) => e.path);
    this.useFused = o.fused ?? true;
    const initial = tf.tidy(() => transform.init(params) as tf.TensorContainer) as StateTree;
    this.state = toVariables(initial);
    this.stateVars = flatten(this.state).flatMap(({ path, value }) => (value instanceof tf.Variable ? [{ path, v: value }] : []));
  }

  /** The transformation it runs (replaced by `setTransform`). */
  get transform(): GradientTransformation {
    return this.tx;
  }

  /** Number of successful steps taken (restored by `loadState`). */
  get stepCount(): number {
    return this.steps;
  }

  /** Which point the parameters hold: `'train'` (the default) or `'eval'` (after `eval()`). */
  get mode(): PointMode {
    return this.point;
  }

  /**
   * Puts the parameters at the point to evaluate, for optimizers that keep one: schedule-free's x
   * (`scheduleFreeAdamW`, `scheduleFreeSgd`), the average of `emaParams`. Call it before validating,
   * testing or saving the model's weights, and `train()` before the next step, as with PyTorch's
   * schedule-free `optimizer.eval()` / `optimizer.train()`. For other optimizers the parameters do
   * not change, but the mode does (so code can switch without knowing the optimizer). Calling it
   * twice is the same as once. Stepping in eval mode is an error. `train()` computes the training
   * point from what the parameters hold then: weights set in eval mode (restoring the best ones, say)
   * become the evaluation point it starts from (for a swap, such as `emaParams`, they go to the state's
   * slot and the training weights come back).
   *
   * @example
   * ```ts
   * const opt = new Optimizer(params, scheduleFreeAdamW({ learningRate: 0.0025 }));
   * for (const batch of batches) await opt.minimize((p) => loss(p, batch));
   * opt.eval();
   * const accuracy = await evaluate(params); // at x
   * opt.train(); // back to y before the next step
   * ```
   */
  eval(): void {
    this.switchTo('eval');
  }

  /**
   * Puts the parameters back at the point being trained, after `eval()` (a no-op in train mode).
   *
   * @example
   * ```ts
   * opt.eval(); await evaluate(params); opt.train();
   * ```
   */
  train(): void {
    this.switchTo('train');
  }

  /** Moves the parameters to `to`'s point (all or nothing), then records the mode. */
  private switchTo(to: PointMode): void {
    this.assertAlive();
    if (this.point === to) return;
    this.checkLive([]);
    if (hasEvalPoint(this.tx)) {
      const stateEntries = flatten(this.state);
      const own = new Set<tf.Tensor>(this.stateVars.map((x) => x.v));
      const { newParams, newState } = tf.tidy(() => {
        const r = (to === 'eval' ? evalParams : trainParams)(this.tx, this.params, this.state as StateTree);
        const next = alignLeaves(this.state, r.state as Tree<StateLeaf>);
        next.forEach((value, i) => {
          const { path, value: before } = stateEntries[i] as { path: string; value: StateLeaf };
          if (typeof before === 'number' ? value !== before : !(value instanceof tf.Tensor))
            throw new TreeMismatchError(path, `'${this.tx.name}' changed the state at '${path}' when switching to ${to} mode`);
          if (typeof before !== 'number') checkSameTensorType(path, before, value, 'state');
        });
        // A swap returns state variables as parameters and parameters as state: write copies (the
        // parameters are written first; commitUpdate copies a state variable moved to another slot).
        const copy = <T>(t: T, mine: (x: tf.Tensor) => boolean) => (t instanceof tf.Tensor && mine(t) ? (tf.clone(t) as T) : t);
        const isParam = (x: tf.Tensor) => this.paramLeaves.includes(x as tf.Variable);
        const moved = alignLeaves(this.params, r.params).map((t) => copy(t, (x) => own.has(x) || isParam(x)));
        return { newParams: moved, newState: next.map((v) => copy(v, isParam)) };
      });
      // Commit: everything was computed and checked.
      commitUpdate({ params: this.paramLeaves, newParams, state: this.state, newState }, own, new Set([...own, ...this.paramLeaves]));
    }
    this.point = to;
  }

  /**
   * How the last step ran: `'fused:<kernelName>'` (kernels joined by `+` for groups), followed by
   * `'+reference'` when groups without a kernel ran their reference update in the same step (e.g.
   * `muon`'s matrices beside its fused AdamW: `'fused:GradkitAdamw+reference'`), or `'reference'`.
   */
  get lastStepPath(): StepPath {
    return this.last;
  }

  /**
   * Applies one update from `grads`: a tree with the parameters' keys (in any order), shapes and
   * dtypes. It neither keeps nor disposes `grads` (nor `extras.loss`). Work is queued on the backend;
   * nothing waits on a readback. `extras.loss` feeds transformations that read the loss
   * (`reduceOnPlateau`).
   *
   * @throws TreeMismatchError naming the first path where `grads` does not match the parameters;
   *   DisposedError naming a parameter or state that was disposed under the optimizer; BackendError
   *   when the parameters live on a backend they cannot be read from synchronously (call
   *   `await moveToActiveBackend()` after switching backends).
   */
  step(grads: GradTree, extras: StepExtras = {}): void {
    this.assertAlive();
    this.assertTraining();
    const ex = checkOptions('step', extras, ['loss'], { example: 'opt.step(grads, { loss })' });
    if (ex.loss !== undefined && !(ex.loss instanceof tf.Tensor && ex.loss.rank === 0 && !ex.loss.isDisposed))
      throw new ValueError('loss', 'extras.loss must be a live scalar tensor');
    const { leaves: gradLeaves, sameOrder } = this.checkGrads(grads);
    this.checkLive([...gradLeaves, ...(ex.loss ? [ex.loss] : [])]);
    this.applyStep(grads, gradLeaves, sameOrder, ex);
  }

  /** One step from gradients already checked against the parameters, with everything live. */
  private applyStep(grads: GradTree, gradLeaves: tf.Tensor[], sameOrder: boolean, ex: StepExtras): void {
    const aligned = sameOrder ? grads : unflatten(this.params, gradLeaves);
    let commit!: (ok: boolean) => void;
    const committed = new Promise<boolean>((resolve) => {
      commit = resolve;
    });
    const full: UpdateExtras = { ...ex, committed, transform: this.tx, ...(this.reported ? { metric: this.reported } : {}) };
    try {
      if (!(this.useFused && this.tryFused(gradLeaves, aligned, full))) {
        this.referenceStep(aligned, gradLeaves, full);
        this.last = 'reference';
      }
    } catch (e) {
      commit(false);
      throw e;
    }
    this.steps++;
    this.reported?.dispose();
    this.reported = null;
    commit(true);
  }

  /**
   * Computes the loss and its gradients with respect to the parameters, takes one step, and returns
   * the loss as a number (read back asynchronously after the step was queued). Parameters left on
   * another backend by a backend switch are moved to the active one first.
   *
   * @param loss - `(params) => scalar tensor`.
   * @throws ValueError when `loss` is not a function, does not return a scalar, or does not depend on
   *   any parameter (check that it uses the `params` it is given, not variables captured elsewhere).
   * @example
   * ```ts
   * const value = await opt.minimize((p) => tf.losses.meanSquaredError(y, predict(p, x)));
   * ```
   */
  async minimize(loss: (params: P) => tf.Scalar | tf.Tensor): Promise<number> {
    this.assertAlive();
    this.assertTraining();
    if (typeof loss !== 'function')
      throw new ValueError('loss', `minimize takes the loss function (params) => scalar tensor, got ${loss === null ? 'null' : typeof loss}`);
    // After a backend switch, move the data first (the loss would read WebGPU data synchronously).
    if (tf.backend() !== this.home && this.variables().some((v) => !v.isDisposed && !onActiveBackend(v))) await this.moveToActiveBackend();
    this.checkLive([]);
    const { value, grads, connected } = valueAndGradConnected(loss)(this.params);
    try {
      if (!connected.some(Boolean))
        throw new ValueError(
          'loss',
          "the loss does not depend on any of the optimizer's parameters: compute it from the params the function is given (p => …), not from variables captured elsewhere",
        );
      // The gradients are ours, in the parameters' structure, order and shapes, on the active backend;
      // only what the loss function may have done (disposed a parameter) is checked again.
      this.checkLive([]);
      this.applyStep(grads, leaves(grads), true, { loss: value });
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
   * Reports a metric measured outside the training step, such as the validation loss after an
   * epoch (PyTorch: `scheduler.step(val_loss)`). The next step passes it to the transformations as
   * `extras.metric` (e.g. `reduceOnPlateau({ on: 'metric' })`), once; a second report before that step
   * replaces the first.
   *
   * @throws ValueError for a value that is not a finite number or a scalar tensor.
   * @example
   * ```ts
   * opt.reportMetric(await evaluate(valSet));
   * ```
   */
  reportMetric(value: number | tf.Scalar): void {
    this.assertAlive();
    const ok = typeof value === 'number' ? Number.isFinite(value) : value instanceof tf.Tensor && value.rank === 0 && !value.isDisposed;
    if (!ok) throw new ValueError('metric', `reportMetric takes a finite number or a live scalar tensor, got ${String(value)}`);
    const t = tf.tidy(() => (typeof value === 'number' ? tf.scalar(value) : tf.cast(value as tf.Scalar, 'float32')));
    this.reported?.dispose();
    this.reported = t as tf.Scalar;
  }

  /**
   * The numeric hyper-parameters of every part at the current step (the values the next step uses),
   * schedules evaluated: PyTorch's `get_last_lr`, for every option. Keys name each part from the
   * root: `'adamw'`, `'applyIfFinite/adam'`, `'partition/head/adamw'`; a name repeated in a chain gets
   * its index, `'sgd[1]'`.
   *
   * @example
   * ```ts
   * opt.hyperParams(); // { clipByGlobalNorm: { maxNorm: 1 }, adamw: { learningRate: 0.00097, beta1: 0.9, … } }
   * ```
   */
  hyperParams(): Record<string, Record<string, number>> {
    this.assertAlive();
    const out: Record<string, Record<string, number>> = {};
    for (const { part, state, key } of partNodes(this.tx, this.state as StateTree)) {
      if (!part.hyperParams) continue;
      const count = (state as Record<string, unknown> | null)?.count;
      out[key] = { ...part.hyperParams(typeof count === 'number' ? count : this.steps) };
    }
    return out;
  }

  /**
   * What the transformations measured at the last step (their `metrics`, such as
   * `clipByGlobalNorm`'s `norm` and `clipped`), read back asynchronously without holding up any step:
   * `{ 'clipByGlobalNorm.norm': 3.2, 'clipByGlobalNorm.clipped': 1 }`. Keys are the part's key (as
   * in `hyperParams`), the metric, and for per-tensor metrics the parameter path.
   *
   * @example
   * ```ts
   * await opt.minimize(loss);
   * const { 'clipByGlobalNorm.norm': norm } = await opt.metrics(); // what PyTorch's clip_grad_norm_ returns
   * ```
   */
  async metrics(): Promise<Record<string, number>> {
    this.assertAlive();
    const taken: { name: string; t: tf.Tensor }[] = [];
    for (const { part, state, key } of partNodes(this.tx, this.state as StateTree)) {
      for (const m of part.metrics ?? []) {
        const sub = (state as Record<string, StateTree>)[m];
        if (sub === undefined) continue;
        for (const { path, value } of flatten(sub))
          if (value instanceof tf.Tensor) taken.push({ name: `${key}.${m}${path ? `.${path}` : ''}`, t: tf.clone(value) });
      }
    }
    try {
      const values = await Promise.all(taken.map(({ t }) => t.data()));
      return Object.fromEntries(taken.map(({ name }, i) => [name, (values[i] as ArrayLike<number>)[0] as number]));
    } finally {
      tf.dispose(taken.map((x) => x.t));
    }
  }

  /**
   * Replaces the transformation by one of the same structure, keeping the state: another learning
   * rate, another schedule (what a Keras-style rate callback does). The new transformation must have
   * the same parts (names, in order) and make a state of the same paths, shapes and dtypes.
   *
   * @throws StateError naming the first difference; nothing changes then.
   * @example
   * ```ts
   * opt.setTransform(adamw({ learningRate: 1e-4 })); // was adamw({ learningRate: 1e-3 })
   * ```
   */
  setTransform(transform: GradientTransformation): void {
    this.assertAlive();
    assertTransformation('transform', transform);
    refuseBareMasked(transform);
    if (signatureOf(transform) !== signatureOf(this.tx))
      throw new StateError('transform', `setTransform needs a transformation of the same parts: '${signatureOf(transform)}' is not '${signatureOf(this.tx)}'`);
    const fresh = tf.tidy(() => transform.init(this.params) as tf.TensorContainer) as StateTree;
    try {
      const now = new Map(flatten(this.state).map((e) => [e.path, e.value]));
      const made = flatten(fresh);
      for (const { path, value } of made) {
        const current = now.get(path);
        if (!now.has(path)) throw new StateError(path, `the new transformation's state has '${path}', which the current state does not have`);
        if (typeof value === 'number' ? typeof current !== 'number' : !(current instanceof tf.Tensor))
          throw new StateError(path, `the new transformation's state at '${path}' is of another kind`);
        if (value instanceof tf.Tensor) checkSameTensorType(path, current as tf.Tensor, value, 'new state');
      }
      if (made.length !== now.size) throw new StateError('', `the new transformation's state has ${made.length} leaves, the current one ${now.size}`);
    } finally {
      tf.dispose(fresh as tf.TensorContainer);
    }
    this.tx = transform;
  }

  /**
   * Moves the parameters and the state to the active tfjs backend, after `tf.setBackend` switched it
   * (tfjs moves data between backends lazily and synchronously, which WebGPU in Node cannot do).
   * `minimize` calls it itself; call it before `step` after a switch.
   *
   * @example
   * ```ts
   * await tf.setBackend('cpu');
   * await opt.moveToActiveBackend();
   * ```
   */
  async moveToActiveBackend(): Promise<void> {
    this.assertAlive();
    const away = this.variables().filter((v) => !v.isDisposed && !onActiveBackend(v));
    const values = await Promise.all(away.map((v) => v.data()));
    away.forEach((v, i) => {
      if (v.isDisposed || onActiveBackend(v)) return;
      const moved = tf.tensor(values[i] as tf.TypedArray, v.shape, v.dtype);
      v.assign(moved);
      moved.dispose();
    });
  }

  /**
   * The optimizer state as a plain JSON-serializable object (tensor bytes in base64, exact). The
   * state is taken when it is called (a consistent checkpoint, even if steps run before it resolves);
   * it is asynchronous because reading tensors back is (WebGPU cannot read synchronously).
   *
   * @example
   * ```ts
   * localStorage.setItem('opt', JSON.stringify(await opt.saveState()));
   * ```
   */
  async saveState(): Promise<SavedOptimizerState> {
    this.assertAlive();
    this.checkLive([]);
    return writeState(this.persisted());
  }

  /**
   * Restores state saved by `saveState` (possibly after a JSON round trip); training then continues
   * exactly as it would have. Every value is checked first (counts are integers ≥ 0, moments finite,
   * second moments ≥ 0 …); all-or-nothing: on any mismatch nothing changes. State that a newer
   * version added only to report on the last step (`metrics`) may be missing. The mode it was saved
   * in (`eval()` or train) is restored too: load the parameters saved with it (a checkpoint saves
   * both), since a parameter's values are not part of the optimizer's state.
   *
   * @throws StateError naming the first mismatch: another transformation, other parameter paths,
   *   shapes or dtypes, invalid values, or an object that is not saved gradkit state.
   */
  loadState(saved: SavedOptimizerState): void {
    this.assertAlive();
    this.checkLive([]);
    const { values, stepCount, mode, created } = readState(this.persisted(), saved);
    try {
      // Commit: everything was checked.
      const current = flatten(this.state);
      current.forEach(({ value }, i) => {
        if (value instanceof tf.Variable && values[i] !== value) value.assign(values[i] as tf.Tensor);
      });
      this.state = unflatten(
        this.state,
        current.map(({ value }, i) => (value instanceof tf.Variable ? value : (values[i] as number))),
      );
      this.steps = stepCount;
      this.point = mode;
    } finally {
      tf.dispose(created);
    }
  }

  /** What saving and loading the state need to know of this optimizer. */
  private persisted(): Persisted {
    return {
      signature: signatureOf(this.tx),
      transform: this.tx,
      params: this.paramLeaves,
      paths: this.paramPaths,
      state: this.state,
      steps: this.steps,
      mode: this.point,
    };
  }

  /** Releases the state variables (not the parameters). The optimizer cannot be used afterwards. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const { value } of flatten(this.state)) if (value instanceof tf.Tensor) value.dispose();
    this.reported?.dispose();
    this.reported = null;
  }

  private assertAlive(): void {
    if (this.disposed) throw new DisposedError('Optimizer');
  }

  private assertTraining(): void {
    if (this.point === 'eval')
      throw new StateError(
        'mode',
        'this optimizer is in eval mode (opt.eval() put the parameters at the point to evaluate): call opt.train() before the next step',
      );
  }

  /** The parameters and the state's variables. */
  private variables(): tf.Variable[] {
    return [...this.paramLeaves, ...this.stateVars.map((s) => s.v)];
  }

  /**
   * Throws unless every parameter and state tensor is alive, and (with `others`, the step's
   * gradients) readable on the active backend.
   */
  private checkLive(others: readonly tf.Tensor[]): void {
    for (const [i, v] of this.paramLeaves.entries()) {
      if (v.isDisposed) {
        const path = this.paramPaths[i] as string;
        throw new DisposedError(
          path,
          `parameter '${path || '(root)'}' was disposed while this optimizer still updates it: dispose the optimizer first (opt.dispose()), or create a new one for new parameters`,
        );
      }
    }
    for (const { path, v } of this.stateVars)
      if (v.isDisposed)
        throw new DisposedError(
          `state.${path}`,
          `the optimizer's state '${path}' was disposed (tf.disposeVariables() disposes it too): create a new optimizer, or loadState into a new one`,
        );
    const active = tf.backend();
    const moved = active !== this.home ? this.variables() : [];
    for (const t of [...moved, ...others]) if (!onActiveBackend(t) && ownerIsWebGpuInNode(t)) throw new BackendError(tf.getBackend(), awayFromWebGpu());
    if (moved.every(onActiveBackend)) this.home = active;
  }

  /** The gradient leaves in the parameters' order, paired by key, each checked against its parameter. */
  private checkGrads(grads: GradTree): { leaves: tf.Tensor[]; sameOrder: boolean } {
    if (grads === null || grads === undefined) throw new TreeMismatchError('', 'step(grads) needs a tree of gradients shaped like the parameters');
    const aligned = alignTrees(this.params, grads);
    for (const [i, g] of aligned.leaves.entries()) checkSameTensorType(this.paramPaths[i] as string, this.paramLeaves[i] as tf.Tensor, g, 'gradient');
    return aligned;
  }

  /** Reference path: the transformation's tf ops, committed only once everything is computed. */
  private referenceStep(grads: GradTree, gradLeaves: tf.Tensor[], extras: UpdateExtras): void {
    const pending = computeUpdate(this.tx, grads, this.state, this.params, this.paramLeaves, this.paramPaths, extras);
    // Commit: nothing below can fail (shapes and dtypes were checked).
    const own = this.ownState();
    this.state = commitUpdate(pending, own, this.notTheStepsToRelease(own, gradLeaves, extras));
  }

  /** The state's variables. */
  private ownState(): Set<tf.Tensor> {
    return new Set<tf.Tensor>(this.stateVars.map((s) => s.v));
  }

  /**
   * What a step's computed state may hold that is not the step's to release: the state's own
   * variables (`own`), the parameters, the caller's gradients and loss, a reported metric.
   */
  private notTheStepsToRelease(own: ReadonlySet<tf.Tensor>, gradLeaves: readonly tf.Tensor[], extras: UpdateExtras): Set<tf.Tensor> {
    const keep = new Set<tf.Tensor>([...own, ...this.paramLeaves, ...gradLeaves]);
    if (extras.loss) keep.add(extras.loss);
    if (extras.metric) keep.add(extras.metric);
    return keep;
  }

  /**
   * A group's reference update (a routing transformation's group that no kernel implements), over
   * its parameters as a flat tree keyed by path, as `partition` gives them: computed, not written.
   */
  private groupUpdate(group: ReferenceGroup, state: StateTree, grads: readonly tf.Tensor[], extras: UpdateExtras): PendingUpdate {
    const pick = <L>(all: readonly L[]) => Object.fromEntries(group.members.map((i) => [this.paramPaths[i] as string, all[i] as L]));
    const params = pick(this.paramLeaves);
    const entries = flatten(params);
    const groupState = (state as Record<string, Tree<StateLeaf>>)[group.label] as Tree<StateLeaf>;
    return computeUpdate(
      group.transform,
      pick(grads),
      groupState,
      params,
      entries.map((e) => e.value),
      entries.map((e) => e.path),
      extras,
    );
  }

  /**
   * Fused path: returns false (and changes nothing) when no kernel applies. Observers at the head of
   * the chain (`observer: true`) run on their reference path first, on the same raw gradients they
   * would see there; kernels run the rest of the chain (one per group of a `partition`, whose groups
   * without a kernel run their reference update: `runMixed`).
   */
  private tryFused(grads: tf.Tensor[], gradTree: GradTree, extras: UpdateExtras): boolean {
    const top = this.tx.parts ?? [this.tx];
    const topStates = (this.tx.parts ? this.state : [this.state]) as StateTree[];
    let k = 0;
    while (k < top.length && top[k]?.observer && leaves(topStates[k] as StateTree).every((v) => typeof v === 'number')) k++;
    const rest = top.slice(k);
    if (rest.length === 0) return false;
    const restTx = rest.length === 1 ? (rest[0] as GradientTransformation) : ({ ...this.tx, parts: rest } as GradientTransformation);
    const restState = (rest.length === 1 ? topStates[k] : topStates.slice(k)) as StateTree;
    const key = { tx: this.tx, observers: k, backend: tf.backend(), version: fusedRegistryVersion() };
    const cached = this.skeleton;
    if (!cached || cached.key.tx !== key.tx || cached.key.observers !== k || cached.key.backend !== key.backend || cached.key.version !== key.version) {
      const found = fusedSkeleton(restTx, restState, this.paramLeaves, this.paramPaths);
      // Data on another backend may move (moveToActiveBackend): look again at the next step.
      this.skeleton = found === 'elsewhere' ? null : { key, skeleton: found };
    }
    const skeleton = this.skeleton?.skeleton;
    const plan = skeleton && planFused(skeleton, restTx, restState, grads, this.steps);
    if (!plan) return false;
    const observed = top
      .slice(0, k)
      .map((p, i) => tf.tidy(() => p.update(gradTree, topStates[i] as StateTree, this.params, extras).state as tf.TensorContainer) as StateTree);
    const after = this.runMixed(plan, restState, grads, extras);
    const restNext = rest.length === 1 ? [after] : (after as StateTree[]);
    const next = [...observed, ...restNext];
    this.state = (this.tx.parts ? next : next[0]) as Tree<StateLeaf>;
    const kernels = plan.calls.length === 1 ? plan.calls[0]?.kernel.kernelName : [...new Set(plan.calls.map((c) => c.kernel.kernelName))].join('+');
    this.last = `fused:${kernels}${plan.reference.length > 0 ? '+reference' : ''}`;
    return true;
  }

  /**
   * Runs a fused plan's kernels and its groups without a kernel (their reference `update`): those
   * groups' new values are computed first and written only once every kernel succeeded, so the step
   * stays all-or-nothing. Returns the state, after the step, of the transformation the plan covers.
   */
  private runMixed(plan: FusedPlan, state: StateTree, grads: readonly tf.Tensor[], extras: UpdateExtras): StateTree {
    if (plan.reference.length === 0) {
      runPlan(plan);
      return plan.next;
    }
    const own = this.ownState();
    const keep = this.notTheStepsToRelease(own, grads, extras);
    const pending: PendingUpdate[] = [];
    try {
      for (const group of plan.reference) pending.push(this.groupUpdate(group, state, grads, extras));
      runPlan(plan);
    } catch (e) {
      for (const p of pending) discardUpdate(p, keep);
      throw e;
    }
    // Commit: the kernels ran; nothing below can fail (shapes and dtypes were checked).
    const written = plan.reference.map((g, i) => [g.label, commitUpdate(pending[i] as PendingUpdate, own, keep)]);
    return { ...(plan.next as Record<string, StateTree>), ...Object.fromEntries(written) };
  }
}

/** Turns the tensor leaves of a freshly built state into non-trainable variables (numbers stay). */
function toVariables(state: StateTree): Tree<StateLeaf> {
  const entries = flatten(state);
  const made = entries.map(({ path, value }) => {
    if (typeof value === 'number') return value;
    if (!(value instanceof tf.Tensor)) throw new ValueError(path, `state leaf '${path}' is neither a tensor nor a number`);
    const v = tf.variable(value, false);
    // A state initialised with a parameter itself (or any variable) shares its buffer: keep that one.
    if (!(value instanceof tf.Variable)) value.dispose();
    return v;
  });
  return unflatten(state, made);
}
