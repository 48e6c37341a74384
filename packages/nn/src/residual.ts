import { type ApplyOptions, checkOptions, HyperParameterError, type Module, type ParamTree, ValueError } from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import { BaseModule, checkName } from './internal/base.js';
import { checkModule } from './internal/check-module.js';
import { applyChild } from './internal/scope.js';

/** Options of `residual`. @example `{ projection: dense({ inFeatures: 16, outFeatures: 32, useBias: false }) }` */
export interface ResidualOptions<Q extends ParamTree = ParamTree> {
  /** A module applied to the skip path when the inner module changes the shape: y = projection(x) + inner(x). Default: none (y = x + inner(x)). */
  readonly projection?: Module<Q>;
  /** The module's name, used as its tap name outside a container (default `'residual'`). */
  readonly name?: string;
}

/** Parameters of a residual block without projection. @example `{ inner: [{ gamma, beta }, { kernel, bias }, {}] }` */
export type ResidualParams<P extends ParamTree> = { readonly inner: P };
/** Parameters of a residual block with a projection on the skip path. @example `{ inner: {...}, projection: { kernel } }` */
export type ProjectedResidualParams<P extends ParamTree, Q extends ParamTree> = { readonly inner: P; readonly projection: Q };

/**
 * A residual block (see `residual`): y = x + inner(x), or projection(x) + inner(x).
 *
 * @example
 * ```ts
 * const block: Residual = residual(dense({ inFeatures: 32, outFeatures: 32, activation: 'relu' }));
 * ```
 */
export interface Residual<P extends ParamTree = ParamTree> extends Module<P> {
  /** The residual branch. */
  readonly inner: Module;
  /** The module on the skip path, if any. */
  readonly projection: Module | undefined;
  /** `{ inner }` (and `projection`): the children's buffers, keyed like `params`. */
  readonly buffers: ParamTree;
}

class ResidualModule<P extends ParamTree> extends BaseModule<P> implements Residual<P> {
  readonly name: string;
  protected override readonly applyKeys: readonly string[];
  protected override readonly passesOptions = true;
  readonly params: P;
  override readonly buffers: ParamTree;
  readonly inner: Module;
  readonly projection: Module | undefined;

  constructor(inner: Module, options: ResidualOptions) {
    super();
    this.inner = checkModule('inner', inner);
    const o = checkOptions('residual', options, ['projection', 'name'], {
      example: 'residual(inner, { projection: dense({ inFeatures: 32, outFeatures: 16 }) })',
    });
    this.projection = o.projection === undefined ? undefined : checkModule('projection', o.projection);
    if (this.projection === this.inner) throw new HyperParameterError('projection', 'projection must be another module than inner');
    this.name = checkName(o.name, 'residual');
    const gather = (of: (m: Module) => ParamTree): ParamTree => {
      const tree: Record<string, ParamTree> = { inner: of(this.inner) };
      if (this.projection) tree.projection = of(this.projection);
      return Object.freeze(tree);
    };
    this.params = gather((m) => m.params) as unknown as P;
    this.buffers = gather((m) => m.buffers ?? {});
    this.applyKeys = BaseModule.passedKeys(this.children());
  }

  protected forward(x: tf.Tensor, _training: boolean, options: ApplyOptions): tf.Tensor {
    const fx = applyChild(this.inner, 'inner', x, options);
    const skip = this.projection ? applyChild(this.projection, 'projection', x, options) : x;
    if (!tf.util.arraysEqual(fx.shape, skip.shape))
      throw new ValueError(
        'inner',
        `${this.name}: the inner module maps [${x.shape.join(', ')}] to [${fx.shape.join(', ')}], but the skip path is [${skip.shape.join(', ')}]: ` +
          (this.projection
            ? 'make the projection output the inner module’s shape'
            : 'keep the shape, or pass { projection } (e.g. a dense layer) to map x to it'),
      );
    return tf.add(skip, fx);
  }

  protected override children(): readonly Module[] {
    return this.projection ? [this.inner, this.projection] : [this.inner];
  }

  /** The children own every parameter. */
  protected override disposeOwn(): void {}
}

/**
 * A residual (skip) connection (He et al. 2016, "Deep Residual Learning"): y = x + inner(x), or
 * y = projection(x) + inner(x) when the inner module changes the shape. Gradients reach early layers
 * through the identity path, which is what lets very deep nets train. `params` is `{ inner }` (and
 * `projection`), so paths read `inner.0.kernel`; the inner module's output is tapped under `inner`
 * (its children under `inner.0`, …), the projection's under `projection`, and the sum under the
 * block's own path. Combine with a normalization for pre-norm blocks:
 * `residual(sequential(new LayerNorm({ features }), dense(...), act('relu')))`. `buffers` gathers the
 * children's under the same keys (`inner`, `projection`).
 *
 * @throws HyperParameterError (field `inner` or `projection`) when they are not modules;
 *   UnknownOptionError for another option.
 * @example
 * ```ts
 * const block = residual(sequential(dense({ inFeatures: 32, outFeatures: 32, activation: 'relu' }), dense({ inFeatures: 32, outFeatures: 32 })));
 * const down = residual(dense({ inFeatures: 32, outFeatures: 16 }), { projection: dense({ inFeatures: 32, outFeatures: 16, useBias: false }) });
 * ```
 */
export function residual<P extends ParamTree, Q extends ParamTree>(
  inner: Module<P>,
  options: ResidualOptions<Q> & { readonly projection: Module<Q> },
): Residual<ProjectedResidualParams<P, Q>>;
export function residual<P extends ParamTree>(inner: Module<P>, options?: ResidualOptions): Residual<ResidualParams<P>>;
export function residual<P extends ParamTree>(
  inner: Module<P>,
  options: ResidualOptions = {},
): Residual<ResidualParams<P> | ProjectedResidualParams<P, ParamTree>> {
  return new ResidualModule(inner, options);
}
