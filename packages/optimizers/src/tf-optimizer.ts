import { type GradientTransformation, GradkitError, Optimizer, type OptimizerOptions } from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';

/**
 * A `tf.Optimizer` that runs a gradkit transformation, so tfjs-layers models can train with any
 * gradkit optimizer or chain: `model.compile({ optimizer: toTfOptimizer(adamw(...)), loss })`.
 * Variables are found by name in tfjs's registry on the first `applyGradients`, and a gradkit
 * `Optimizer` (fused kernels included) runs the steps; it is reachable as `runner` for
 * `saveState`/`loadState`.
 *
 * @example
 * ```ts
 * model.compile({ optimizer: toTfOptimizer(chain(clipByGlobalNorm(1), sgd({ learningRate: 0.1 }))), loss: 'meanSquaredError' });
 * ```
 */
export class TransformOptimizer extends tf.Optimizer {
  /** Name under which tfjs's serialization knows this class. */
  static readonly className = 'GradkitTransformOptimizer';
  /** The transformation it runs. */
  readonly transform: GradientTransformation;
  private readonly runnerOptions: OptimizerOptions;
  private inner: Optimizer<Record<string, tf.Variable>> | null = null;
  private names: string[] = [];

  /**
   * @param transform - any gradkit transformation or chain.
   * @param options - options of the underlying `Optimizer` runner.
   */
  constructor(transform: GradientTransformation, options: OptimizerOptions = {}) {
    super();
    this.transform = transform;
    this.runnerOptions = options;
  }

  /** The gradkit `Optimizer` running the steps (null before the first step). */
  get runner(): Optimizer<Record<string, tf.Variable>> | null {
    return this.inner;
  }

  /** Applies one step from gradients named by variable (what `tf.Optimizer.minimize` and tfjs-layers pass). */
  applyGradients(variableGradients: tf.NamedTensorMap | { name: string; tensor: tf.Tensor }[]): void {
    const given = new Map(Array.isArray(variableGradients) ? variableGradients.map((g) => [g.name, g.tensor] as const) : Object.entries(variableGradients));
    if (!this.inner) {
      const registered = tf.engine().registeredVariables;
      const params: Record<string, tf.Variable> = {};
      for (const name of given.keys()) {
        const v = registered[name];
        if (!v) throw new GradkitError('UNKNOWN_VARIABLE', `applyGradients got a gradient for '${name}', which is not a registered tf.Variable`);
        params[name] = v;
      }
      this.inner = new Optimizer(params, this.transform, this.runnerOptions);
      this.names = [...given.keys()];
    }
    const missing = this.names.find((n) => !given.has(n));
    const extra = [...given.keys()].find((n) => !this.names.includes(n));
    if (missing !== undefined || extra !== undefined) {
      throw new GradkitError(
        'VARIABLES_CHANGED',
        `this optimizer was bound to variables ${this.names.join(', ')} on its first step; now ${missing !== undefined ? `'${missing}' is missing` : `'${extra}' is new`}: use one optimizer per set of variables`,
      );
    }
    this.inner.step(Object.fromEntries(this.names.map((n) => [n, given.get(n) as tf.Tensor])));
    this.incrementIterations();
  }

  /** tfjs serialization config (the transformation's signature; transformations hold functions and are not serialized). */
  getConfig(): tf.serialization.ConfigDict {
    return { transform: this.transform.parts ? this.transform.parts.map((p) => p.name).join(' > ') : this.transform.name };
  }

  /** Releases the runner's state. */
  override dispose(): void {
    this.inner?.dispose();
    this.inner = null;
    super.dispose();
  }
}

/**
 * Wraps a gradkit transformation as a `tf.Optimizer` for tfjs-layers (`model.compile`) or
 * `tf.Optimizer.minimize`. See `TransformOptimizer`.
 *
 * @example
 * ```ts
 * model.compile({ optimizer: toTfOptimizer(sgd({ learningRate: 0.1, momentum: 0.9 })), loss: 'categoricalCrossentropy' });
 * await model.fit(xs, ys, { epochs: 5 });
 * ```
 */
export function toTfOptimizer(transform: GradientTransformation, options: OptimizerOptions = {}): TransformOptimizer {
  return new TransformOptimizer(transform, options);
}
