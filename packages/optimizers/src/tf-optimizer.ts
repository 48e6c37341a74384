import {
  assertTransformation,
  checkOptions,
  DisposedError,
  type GradientTransformation,
  HyperParameterError,
  hasEvalPoint,
  Optimizer,
  type OptimizerOptions,
  type PointMode,
  type SavedOptimizerState,
  StateError,
  ValueError,
} from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import { configOf, fromConfigOf } from './tf-optimizer-config.js';
import { layerRelativeNames } from './tf-optimizer-names.js';
import { theRatePart, withLearningRate } from './tf-optimizer-rate.js';
import { META, readWeights, weightsOf } from './tf-optimizer-weights.js';

type Runner = Optimizer<Record<string, tf.Variable>>;

/** What `eval(model)` / `train(model)` read of a tfjs-layers model: its trainable weights, in the order `model.fit` passes them. */
interface TrainableModel {
  readonly trainableWeights: readonly { read(): tf.Tensor }[];
}

const EVAL_STEP = 'this optimizer is in eval mode (opt.eval() put the weights at the point to evaluate): call opt.train() before model.fit or the next step';

/** The names of a model's trainable variables, in order; a ValueError naming `model` for anything else. */
function variableNamesOf(model: unknown): string[] {
  const weights = (model as Partial<TrainableModel> | null)?.trainableWeights;
  const names = Array.isArray(weights)
    ? weights.map((w: unknown) => {
        const v = typeof (w as { read?: unknown } | null)?.read === 'function' ? (w as { read(): unknown }).read() : undefined;
        return v instanceof tf.Variable ? v.name : undefined;
      })
    : [];
  if (names.length === 0 || names.some((n) => n === undefined))
    throw new ValueError(
      'model',
      'eval(model) / train(model) take the tfjs-layers model this optimizer trains (one with trainableWeights), e.g. opt.eval(model)',
    );
  return names as string[];
}

/** The gradients `applyGradients` was given, by variable name; a ValueError naming what is wrong. */
function gradientsByName(g: unknown): Map<string, tf.Tensor> {
  const entries: [string, unknown][] = [];
  if (Array.isArray(g)) {
    g.forEach((e: unknown, i) => {
      const { name, tensor } = (e ?? {}) as { name?: unknown; tensor?: unknown };
      if (typeof name !== 'string') throw new ValueError(`variableGradients.${i}`, `variableGradients[${i}] must be { name: string, tensor }`);
      entries.push([name, tensor]);
    });
  } else if (g !== null && typeof g === 'object' && !(g instanceof tf.Tensor)) entries.push(...Object.entries(g));
  else throw new ValueError('variableGradients', 'applyGradients takes { [variableName]: gradient } or [{ name, tensor }] (what tf.Optimizer.minimize passes)');
  if (entries.length === 0) throw new ValueError('variableGradients', 'applyGradients got no gradients');
  const out = new Map<string, tf.Tensor>();
  for (const [name, t] of entries) {
    if (out.has(name)) throw new ValueError(name, `applyGradients got two gradients for '${name}'`);
    if (!(t instanceof tf.Tensor)) throw new ValueError(name, `the gradient for '${name}' is not a tensor`);
    out.set(name, t);
  }
  return out;
}

/**
 * A `tf.Optimizer` that runs a gradkit transformation, so tfjs-layers models can train with any
 * gradkit optimizer or chain: `model.compile({ optimizer: toTfOptimizer(adamw(...)), loss })`. A
 * gradkit `Optimizer` (fused kernels included) runs the steps, from the first `applyGradients` on,
 * when the variables are known (tfjs-layers passes them by name).
 *
 * **Save and resume.** It implements `getWeights`/`setWeights`/`getConfig`/`fromConfig` and is
 * registered with tfjs's serialization as `GradkitTransformOptimizer` when `@gradkit/optimizers` is
 * imported, so `model.save(handler, { includeOptimizer: true })` then `tf.loadLayersModel(handler)`
 * gives a model whose optimizer runs the same transformation (rebuilt from its config, schedules
 * included) from the same state, and training continues exactly as it would have. The config is
 * the transformation's JSON config (`transformationToConfig`); a transformation that cannot be
 * written (a mask predicate, a schedule without config) makes `model.save` fail with a
 * HyperParameterError naming the option.
 *
 * **State names.** The state is keyed by layer-relative names, not by tfjs's variable names, which
 * carry counters global to the process (`dense_Dense3/kernel` here is `dense_Dense7/kernel` in a
 * model built later): an automatic layer name's counter becomes the layer's ordinal among the layers
 * of its class, in the model's order (`dense_Dense#1/kernel`, `dense_Dense#2/kernel`), names given
 * to layers are kept (`head/kernel`), and tfjs-layers' `_1` suffix for a name taken twice is
 * dropped. So a re-created model of the same architecture, with any counters, loads the state;
 * another model fails with a StateError naming the first path that differs.
 *
 * **Weights** (`getWeights`): `iter` (the step count), `gradkit:meta` (a string tensor: the saved
 * state's JSON without its tensors) and one `gradkit:state:<path>` tensor per state tensor. They
 * belong to this optimizer and stay valid until its next `getWeights`, `setWeights` or `dispose`.
 * `setWeights` before the first step (what `loadLayersModel` does) is kept and applied when the
 * variables become known.
 *
 * **Learning rate.** `learningRate` reads and sets the rate of the one part with a `learningRate`
 * option (what Keras-style rate callbacks do: `model.optimizer.learningRate = x`), keeping the state.
 *
 * **Eval point.** For optimizers that evaluate elsewhere than they train (`scheduleFreeAdamW`,
 * `scheduleFreeSgd`, `emaParams`, `lookahead`), `eval()` puts the model's weights at the point to
 * evaluate (schedule-free's x) and `train()` puts them back, as core's `Optimizer.eval()`/`train()`:
 * `opt.eval(); await model.evaluate(xs, ys); opt.train()`. In eval mode `model.fit` (its
 * `applyGradients`) is a StateError (path `mode`), and `model.save(…, { includeOptimizer: true })`
 * writes the weights at x with the mode, so the loaded model's optimizer is in eval mode too.
 *
 * @example
 * ```ts
 * model.compile({ optimizer: toTfOptimizer(chain(clipByGlobalNorm(1), adamw({ learningRate: 1e-3 }))), loss: 'meanSquaredError' });
 * await model.fit(xs, ys, { epochs: 5 });
 * await model.save('file://./ckpt', { includeOptimizer: true });
 * const resumed = await tf.loadLayersModel('file://./ckpt/model.json'); // its optimizer: the same chain, the same state
 * ```
 */
export class TransformOptimizer extends tf.Optimizer {
  /** Name under which tfjs's serialization knows this class. */
  static readonly className = 'GradkitTransformOptimizer';
  private tx: GradientTransformation;
  private readonly runnerOptions: OptimizerOptions;
  private inner: Runner | null = null;
  /** Variable name → layer-relative name, from the first step on. */
  private bound: Map<string, string> | null = null;
  /** State given to `setWeights` before the first step, loaded when the runner is made. */
  private pending: SavedOptimizerState | null = null;
  /** The mode before the runner exists (from `eval()`/`train()`, or the state `setWeights` gave). */
  private waiting: PointMode = 'train';
  /** The tensors the last `getWeights` returned (this optimizer's, released on the next call). */
  private handedOut: tf.Tensor[] = [];
  private disposed = false;

  /**
   * `x instanceof TransformOptimizer` checks the prototype chain (tf.Optimizer's own check, which
   * this class would inherit, accepts any object with `minimize` and `applyGradients`).
   */
  static override [Symbol.hasInstance](x: unknown): boolean {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the class on the right of instanceof (a subclass too)
    return Function.prototype[Symbol.hasInstance].call(this, x);
  }

  /**
   * @param transform - any gradkit transformation or chain.
   * @param options - options of the underlying `Optimizer` runner (`fused`).
   * @throws HyperParameterError for something that is not a transformation (`adam` instead of
   *   `adam()`) or an unknown option.
   */
  constructor(transform: GradientTransformation, options: OptimizerOptions = {}) {
    super();
    assertTransformation('transform', transform);
    const o = checkOptions('toTfOptimizer', options, ['fused'], { example: 'toTfOptimizer(adam(), { fused: false })' });
    if (o.fused !== undefined && typeof o.fused !== 'boolean') throw new HyperParameterError('fused', `fused must be true or false, got ${String(o.fused)}`);
    this.tx = transform;
    this.runnerOptions = o;
  }

  /** The transformation it runs (replaced by `setTransform` and by setting `learningRate`). */
  get transform(): GradientTransformation {
    return this.tx;
  }

  /**
   * The gradkit `Optimizer` running the steps (`hyperParams()`, `metrics()`, `lastStepPath` …). It is
   * made on the first `applyGradients` (the first batch of `model.fit`), when the variables are known.
   *
   * @throws StateError (path `runner`) before that; DisposedError after `dispose`.
   */
  get runner(): Optimizer<Record<string, tf.Variable>> {
    this.assertAlive();
    if (!this.inner)
      throw new StateError(
        'runner',
        'the runner exists from the first applyGradients on (the first batch of model.fit), when the variables are known; before that, getWeights/setWeights, learningRate and setTransform work on this optimizer itself',
      );
    return this.inner;
  }

  /**
   * The learning rate of the one part that has a `learningRate` option; a schedule's value at the
   * current step. Setting it (a number > 0) rebuilds that part from its config with the new constant
   * rate and keeps the state, like `setTransform`.
   *
   * @throws HyperParameterError (field `learningRate`) when no part or several have a rate, when
   *   setting a rate that is a schedule, or a value that is not a finite number > 0.
   */
  get learningRate(): number {
    const part = theRatePart(this.tx);
    if (typeof part.rate === 'number') return part.rate;
    const now = this.inner
      ? Object.values(this.inner.hyperParams())
          .map((h) => h.learningRate)
          .filter((v): v is number => v !== undefined)
      : [];
    return now.length === 1 ? (now[0] as number) : part.rate(this.iterations);
  }

  set learningRate(value: number) {
    this.setTransform(withLearningRate(this.tx, value));
  }

  /**
   * Replaces the transformation by one of the same structure, keeping the state (another rate,
   * another schedule). Before the first step it only replaces it; state given to `setWeights` is then
   * checked against it on the first step.
   *
   * @throws StateError naming the first difference in structure (nothing changes then).
   * @example
   * ```ts
   * (model.optimizer as TransformOptimizer).setTransform(adamw({ learningRate: cosineDecay({ initial: 1e-3, decaySteps: 500 }) }));
   * ```
   */
  setTransform(transform: GradientTransformation): void {
    this.assertAlive();
    assertTransformation('transform', transform);
    this.inner?.setTransform(transform);
    this.tx = transform;
  }

  /**
   * Which point the model's weights hold: `'train'` (the default) or `'eval'` (after `eval()`, or after
   * loading optimizer weights saved in eval mode).
   */
  get mode(): PointMode {
    return this.inner ? this.inner.mode : this.waiting;
  }

  /**
   * Puts the model's weights at the point to evaluate (core's `Optimizer.eval()`): schedule-free's x,
   * the average of `emaParams`; for other optimizers the weights stay and only the mode changes.
   * Call `train()` before training on. The runner (and so the variables) exists from the first
   * `applyGradients` on; before that, an optimizer with an eval point needs the model (`eval(model)`)
   * to find its variables. Calling it twice is the same as once.
   *
   * @param model - the tfjs-layers model it trains; needed only before the first step.
   * @throws StateError (path `mode`) before the first step of an optimizer with an eval point when no
   *   model is given; ValueError (field `model`) for something that is not a model.
   * @example
   * ```ts
   * const opt = toTfOptimizer(scheduleFreeAdamW({ learningRate: 0.0025 }));
   * model.compile({ optimizer: opt, loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
   * await model.fit(xs, ys, { epochs: 5 });
   * opt.eval(); // the weights hold x
   * const [loss, accuracy] = model.evaluate(testXs, testYs) as tf.Scalar[];
   * opt.train(); // back to y before the next fit
   * ```
   */
  eval(model?: { readonly trainableWeights: readonly { read(): tf.Tensor }[] }): void {
    this.switchTo('eval', model);
  }

  /**
   * Puts the model's weights back at the point being trained, after `eval()` (core's
   * `Optimizer.train()`; a no-op in train mode). A model loaded with optimizer weights saved in eval
   * mode needs `train(model)` before its first `fit`.
   *
   * @param model - the tfjs-layers model it trains; needed only before the first step.
   * @throws StateError (path `mode`) before the first step of an optimizer with an eval point when no
   *   model is given; ValueError (field `model`) for something that is not a model.
   * @example
   * ```ts
   * opt.eval(); model.evaluate(xs, ys); opt.train();
   * ```
   */
  train(model?: { readonly trainableWeights: readonly { read(): tf.Tensor }[] }): void {
    this.switchTo('train', model);
  }

  /** Applies one step from gradients named by variable (what `tf.Optimizer.minimize` and tfjs-layers pass). */
  applyGradients(variableGradients: tf.NamedTensorMap | { name: string; tensor: tf.Tensor }[]): void {
    this.assertAlive();
    if (this.mode === 'eval') throw new StateError('mode', EVAL_STEP);
    const given = gradientsByName(variableGradients);
    const runner = this.inner ?? this.start([...given.keys()]);
    const keyOf = this.bound as Map<string, string>;
    const missing = [...keyOf.keys()].find((n) => !given.has(n));
    const extra = [...given.keys()].find((n) => !keyOf.has(n));
    if (missing !== undefined || extra !== undefined)
      throw new ValueError(
        (missing ?? extra) as string,
        `this optimizer was bound to variables ${[...keyOf.keys()].join(', ')} on its first step; now ${missing !== undefined ? `'${missing}' is missing` : `'${extra}' is new`}: use one optimizer per set of variables`,
      );
    runner.step(Object.fromEntries([...given].map(([name, g]) => [keyOf.get(name) as string, g])));
    this.incrementIterations();
  }

  /**
   * The optimizer's weights for `model.save(…, { includeOptimizer: true })`: `iter`, then (once there
   * is state) `gradkit:meta` and `gradkit:state:<path>`. They belong to this optimizer and are
   * released by its next `getWeights`, `setWeights` or `dispose`.
   */
  override async getWeights(): Promise<{ name: string; tensor: tf.Tensor }[]> {
    this.assertAlive();
    const iterations = this.iterations;
    const saved = this.inner ? await this.inner.saveState() : this.pending;
    this.assertAlive();
    const weights = weightsOf(saved?.stepCount ?? iterations, saved);
    this.release();
    this.handedOut = weights.map((w) => w.tensor);
    return weights;
  }

  /**
   * Restores weights from `getWeights` (what `tf.loadLayersModel` passes). Before the first step
   * they are kept and loaded when the variables become known; after it, at once. All-or-nothing.
   *
   * @throws StateError naming the weight or state path that does not fit (an unknown weight name,
   *   another transformation, another model: a parameter path or shape that differs).
   */
  override async setWeights(weightValues: { name: string; tensor: tf.Tensor }[]): Promise<void> {
    this.assertAlive();
    const { iterations, saved } = await readWeights(weightValues);
    this.assertAlive();
    if (this.inner) {
      if (saved) this.inner.loadState(saved);
      else if (this.inner.stepCount > 0)
        throw new StateError(META, `these weights hold no state (saved before any step), but this optimizer has taken ${this.inner.stepCount} steps`);
    } else {
      this.pending = saved;
      this.waiting = saved?.mode ?? 'train';
    }
    this.iterations_ = iterations;
    this.release();
  }

  /** tfjs serialization config: the transformation's JSON config (see `TransformOptimizer`), and `fused` when set. */
  getConfig(): tf.serialization.ConfigDict {
    return configOf(this.tx, this.runnerOptions);
  }

  /**
   * Builds a TransformOptimizer from `getConfig()` (what `tf.loadLayersModel` calls).
   *
   * @throws HyperParameterError for an unknown transformation or schedule name, an unknown key, a bad option.
   */
  static override fromConfig<T extends tf.serialization.Serializable>(
    cls: tf.serialization.SerializableConstructor<T>,
    config: tf.serialization.ConfigDict,
  ): T {
    const { transform, options } = fromConfigOf(config);
    return new cls(transform, options);
  }

  /** Releases the runner's state and the tensors `getWeights` returned. It cannot be used afterwards. */
  override dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.inner?.dispose();
    this.inner = null;
    this.pending = null;
    this.release();
    super.dispose();
  }

  private assertAlive(): void {
    if (this.disposed) throw new DisposedError('TransformOptimizer');
  }

  /** Moves the weights to `to`'s point: through the runner, made first from `model`'s variables when there is none yet. */
  private switchTo(to: PointMode, model: TrainableModel | undefined): void {
    this.assertAlive();
    const names = model === undefined ? undefined : variableNamesOf(model);
    if (!this.inner && this.waiting !== to && hasEvalPoint(this.tx)) {
      if (!names)
        throw new StateError(
          'mode',
          `${to}(): this optimizer moves the weights between the point it trains and the point to evaluate, and it knows its variables only from its first step (the first batch of model.fit): pass the model, opt.${to}(model)`,
        );
      this.start(names);
    } else if (names && this.bound && (names.length !== this.bound.size || names.some((n) => !this.bound?.has(n))))
      throw new ValueError('model', `${to}(model): this optimizer trains the variables ${[...this.bound.keys()].join(', ')}, not this model's`);
    if (this.inner) this.inner[to]();
    else this.waiting = to;
  }

  private release(): void {
    tf.dispose(this.handedOut);
    this.handedOut = [];
  }

  /** Makes the runner over the variables named in the first step, keyed by layer-relative names, with the state `setWeights` gave. */
  private start(names: string[]): Runner {
    const registered = tf.engine().registeredVariables;
    const keys = layerRelativeNames(names);
    const params: Record<string, tf.Variable> = {};
    names.forEach((name, i) => {
      const v = Object.hasOwn(registered, name) ? registered[name] : undefined;
      if (!v) throw new ValueError(name, `applyGradients got a gradient for '${name}', which is not a registered tf.Variable`);
      params[keys[i] as string] = v;
    });
    const runner: Runner = new Optimizer(params, this.tx, this.runnerOptions);
    if (this.pending) {
      try {
        runner.loadState(this.pending);
      } catch (e) {
        runner.dispose();
        throw e;
      }
    }
    this.inner = runner;
    this.bound = new Map(names.map((n, i) => [n, keys[i] as string]));
    this.pending = null;
    return runner;
  }
}

tf.serialization.registerClass(TransformOptimizer);

/**
 * Wraps a gradkit transformation as a `tf.Optimizer` for tfjs-layers (`model.compile`) or
 * `tf.Optimizer.minimize`. See `TransformOptimizer` (save and resume, state names, learning rate).
 *
 * @throws HyperParameterError for something that is not a transformation or an unknown option.
 * @example
 * ```ts
 * model.compile({ optimizer: toTfOptimizer(sgd({ learningRate: 0.1, momentum: 0.9 })), loss: 'categoricalCrossentropy' });
 * await model.fit(xs, ys, { epochs: 5 });
 * ```
 */
export function toTfOptimizer(transform: GradientTransformation, options: OptimizerOptions = {}): TransformOptimizer {
  return new TransformOptimizer(transform, options);
}
