import { checkOptions, type Module, ValueError } from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import { BaseModule, checkName } from './internal/base.js';

/** Options of `globalAvgPool2d` and `flatten`. @example `{ name: 'pool' }` */
export interface ShapeModuleOptions {
  /** The module's name, its tap name outside a container (default `'globalAvgPool2d'` / `'flatten'`). */
  readonly name?: string;
}

/**
 * A module without parameters that changes the shape of its input (`globalAvgPool2d`, `flatten`).
 *
 * @example
 * ```ts
 * const gap: ShapeModule = globalAvgPool2d();
 * gap.apply(x).shape; // [batch, c]
 * ```
 */
export type ShapeModule = Module<Record<string, never>>;

/** A parameter-free module computing `fn(x)` after checking the input's rank. */
export class ShapeOnlyModule extends BaseModule<Record<string, never>> {
  readonly name: string;
  readonly params: Record<string, never> = {};

  constructor(
    kind: string,
    options: ShapeModuleOptions | undefined,
    private readonly check: (x: tf.Tensor) => string | null,
    private readonly fn: (x: tf.Tensor) => tf.Tensor,
  ) {
    super();
    const o = checkOptions(kind, options, ['name'], { example: `${kind}({ name: '${kind}' })` });
    this.name = checkName(o.name, kind);
  }

  protected forward(x: tf.Tensor): tf.Tensor {
    const expected = this.check(x);
    if (expected !== null) throw new ValueError('x', `${this.name}: expected input ${expected}, got shape [${x.shape.join(', ')}]`);
    return this.fn(x);
  }
}

/**
 * Global average pooling: the mean of each channel over the height and width of NHWC input,
 * `[batch, h, w, c]` → `[batch, c]`: y[b, c] = (1 / (h·w)) Σ_{i, j} x[b, i, j, c]. No parameters;
 * its output is tapped.
 *
 * PyTorch: `nn.AdaptiveAvgPool2d(1)` followed by `flatten(1)` (on NCHW); Keras:
 * `layers.GlobalAveragePooling2D()`.
 *
 * @throws UnknownOptionError for an option other than `name`; `apply` throws a ValueError naming `x`
 *   for an input that is not rank 4.
 * @example
 * ```ts
 * const head = sequential(conv2d({ inChannels: 3, outChannels: 16, kernelSize: 3, seed: 1 }), globalAvgPool2d(), dense({ inFeatures: 16, outFeatures: 10, seed: 2 }));
 * ```
 */
export function globalAvgPool2d(options?: ShapeModuleOptions): ShapeModule {
  return new ShapeOnlyModule(
    'globalAvgPool2d',
    options,
    (x) => (x.rank === 4 ? null : '[batch, height, width, channels] (NHWC)'),
    (x) => tf.mean(x, [1, 2]),
  );
}
