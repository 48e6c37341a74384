import { type ApplyOptions, HyperParameterError, type Module, type ParamTree } from '@gradkit/core';
import type * as tf from '@tensorflow/tfjs-core';
import { BaseModule } from './internal/base.js';
import { checkModule } from './internal/check-module.js';
import { applyChild } from './internal/scope.js';

/** The parameter tree of a `sequential` of modules `M`: the array of their parameter trees, in order. @example `[{ kernel, bias }, {}, { kernel, bias }]` */
export type SequentialParams<M extends readonly Module[]> = { [K in keyof M]: M[K] extends Module<infer P> ? P : never };

/**
 * A chain of modules applied one after the other (see `sequential`).
 *
 * @example
 * ```ts
 * const net: Sequential = sequential(dense({ inFeatures: 2, outFeatures: 4 }), act('relu'));
 * net.layers.length; // 2
 * ```
 */
export interface Sequential<M extends readonly Module[] = readonly Module[]> extends Module<SequentialParams<M>> {
  /** The modules, input to output. */
  readonly layers: M;
  /** The children's buffers in order (`{}` for a child without), keyed like `params`. */
  readonly buffers: readonly ParamTree[];
}

class SequentialModule<M extends readonly Module[]> extends BaseModule<SequentialParams<M>> implements Sequential<M> {
  readonly name = 'sequential';
  protected override readonly applyKeys: readonly string[];
  protected override readonly passesOptions = true;
  readonly params: SequentialParams<M>;
  override readonly buffers: readonly ParamTree[];
  readonly layers: M;
  protected override readonly tapsOwnOutput = false;

  constructor(layers: M) {
    super();
    if (layers.length === 0)
      throw new HyperParameterError('modules', 'sequential needs at least one module, e.g. sequential(dense({ inFeatures: 2, outFeatures: 1 }))');
    if (layers.length === 1 && Array.isArray(layers[0]))
      throw new HyperParameterError(
        'modules',
        'sequential takes the modules as arguments, not an array: sequential(...layers) (Keras takes a list; gradkit, as PyTorch, does not)',
      );
    const seen = new Set<Module>();
    for (const [i, m] of layers.entries()) {
      checkModule(`modules[${i}]`, m);
      if (seen.has(m)) throw new HyperParameterError(`modules[${i}]`, `modules[${i}] appears twice in the sequential: create a new module for each position`);
      seen.add(m);
    }
    this.layers = Object.freeze([...layers]) as unknown as M;
    this.params = Object.freeze(layers.map((m) => m.params)) as unknown as SequentialParams<M>;
    this.buffers = Object.freeze(layers.map((m) => m.buffers ?? {}));
    this.applyKeys = BaseModule.passedKeys(this.layers);
  }

  protected forward(x: tf.Tensor, _training: boolean, options: ApplyOptions): tf.Tensor {
    let h = x;
    this.layers.forEach((m, i) => {
      h = applyChild(m, String(i), h, options);
    });
    return h;
  }

  protected override children(): readonly Module[] {
    return this.layers;
  }

  /** The children own every parameter. */
  protected override disposeOwn(): void {}
}

/**
 * Composes modules in order: y = fₙ(…f₂(f₁(x))). `params` is the array of the children's parameter
 * trees, input to output, so paths read `0.kernel`, `0.bias`, `2.kernel`, … (parameter-free modules
 * such as `act` or `dropout` hold `{}` and keep their index) and flatten input to output. Every
 * child's output is tapped under its index (`'0'`, `'1'`, …, nested: `'3.inner.1'`), children from
 * other packages included; `train()`, `eval()` and `dispose()` reach every child. `buffers` is the
 * array of the children's buffers (`{}` for a child without), keyed like `params`, so a checkpoint
 * saves `1.runningMean` of a BatchNorm at index 1 beside `0.kernel`. Accepts any
 * `Module` (for example `LayerNorm` and `BatchNorm` from `@gradkit/normalization`). PyTorch:
 * `nn.Sequential`.
 *
 * @throws HyperParameterError (field `modules[i]`) when an argument is not a module or the same module appears twice; `modules` when there is none.
 * @example
 * ```ts
 * const mlp = sequential(
 *   dense({ inFeatures: 784, outFeatures: 128, activation: 'relu', seed: 1 }),
 *   dropout(0.2, { seed: 2 }),
 *   dense({ inFeatures: 128, outFeatures: 10, seed: 3 }),
 * );
 * const opt = new Optimizer(mlp.params, adam()); // paths 0.kernel, 0.bias, 2.kernel, 2.bias
 * ```
 */
export function sequential<M extends readonly Module[]>(...modules: M): Sequential<M> {
  return new SequentialModule(modules);
}
