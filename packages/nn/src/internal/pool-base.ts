import { checkOptions, HyperParameterError, type Module, optionOr, ValueError } from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import { BaseModule, checkFloatInput, checkName } from './base.js';
import { type Padding, paddingFor, parsePadding, type SpatialSize, spatialSizes } from './conv-geometry.js';

/** Options of `maxPool2d` and `avgPool2d`. @example `{ kernelSize: 2 }` or `{ kernelSize: 3, stride: 2, padding: 1 }` */
export interface Pool2dOptions {
  /** The window: a positive integer or `[kh, kw]`. */
  readonly kernelSize: SpatialSize;
  /** Step between windows: a positive integer or `[sh, sw]` (default `kernelSize`, as PyTorch). */
  readonly stride?: SpatialSize;
  /** `'valid'` (default), `'same'` (TF/Keras) or a number (or `[ph, pw]`) of positions added on each side (PyTorch's `padding`, at most half the window). */
  readonly padding?: Padding;
  /** The module's name, its tap name outside a container (default `'maxPool2d'` / `'avgPool2d'`). */
  readonly name?: string;
}

/**
 * A 2-D pooling layer over NHWC input (see `maxPool2d` and `avgPool2d`); it has no parameters.
 *
 * @example
 * ```ts
 * const pool: Pool2d = maxPool2d({ kernelSize: 2 });
 * pool.apply(x).shape; // [batch, h/2, w/2, c]
 * ```
 */
export interface Pool2d extends Module<Record<string, never>> {
  /** `[kh, kw]`. */
  readonly kernelSize: readonly number[];
  /** `[sh, sw]`. */
  readonly stride: readonly number[];
  /** `'valid'`, `'same'` or the positions added on each side `[ph, pw]`. */
  readonly padding: 'valid' | 'same' | readonly number[];
}

const POOL_KEYS = ['kernelSize', 'stride', 'padding', 'name'];

/** Max or average pooling over a window of each channel. */
export class PoolModule extends BaseModule<Record<string, never>> implements Pool2d {
  readonly name: string;
  readonly params: Record<string, never> = {};
  readonly kernelSize: readonly number[];
  readonly stride: readonly number[];
  readonly padding: 'valid' | 'same' | readonly number[];
  private readonly kind: 'max' | 'avg';

  constructor(kind: 'max' | 'avg', pool: Pool2dOptions) {
    super();
    const fn = `${kind}Pool2d`;
    const options = checkOptions(fn, pool, POOL_KEYS, { example: `${fn}({ kernelSize: 2 })`, required: true });
    this.kind = kind;
    if (options.kernelSize === undefined) throw new HyperParameterError('kernelSize', `${fn}: kernelSize is required, e.g. ${fn}({ kernelSize: 2 })`);
    this.kernelSize = spatialSizes('kernelSize', options.kernelSize, 2, 'the window size');
    this.stride = spatialSizes('stride', optionOr('stride', options.stride, this.kernelSize), 2, 'the step between windows');
    const padding = parsePadding(optionOr('padding', options.padding, 'valid'), 2);
    if (Array.isArray(padding))
      padding.forEach((p, i) => {
        const k = this.kernelSize[i] as number;
        if (2 * p > k)
          throw new HyperParameterError(
            'padding',
            `${fn}: padding ${p} is more than half the window ${k} (a window could hold only padding; PyTorch refuses it too); use at most ${Math.floor(k / 2)}`,
          );
      });
    this.padding = padding;
    this.name = checkName(options.name, fn);
  }

  protected forward(x: tf.Tensor): tf.Tensor {
    if (x.rank !== 4) throw new ValueError('x', `${this.name}: expected input [batch, height, width, channels] (NHWC), got shape [${x.shape.join(', ')}]`);
    checkFloatInput(this.name, x);
    const windows = this.kernelSize.map((kernel, i) => ({ kernel, stride: this.stride[i] as number, dilation: 1 }));
    const pads = paddingFor(this.name, this.padding as 'valid' | 'same' | number[], x.shape.slice(1, 3), windows, ['height', 'width']);
    const x4 = x as tf.Tensor4D;
    const k = this.kernelSize as [number, number];
    const s = this.stride as [number, number];
    if (this.kind === 'max') {
      // Padded positions never win (PyTorch pads with −∞, TF's 'same' ignores them).
      const pad = typeof this.padding === 'string' ? this.padding : explicitPadding(pads);
      return tf.maxPool(x4, k, s, pad);
    }
    // 'same' (Keras): padded positions do not count (tfjs's AvgPool; @gradkit/core registers its
    // correct gradient at the borders). A number (PyTorch's count_include_pad=True): real zeros.
    if (this.padding === 'same') return tf.avgPool(x4, k, s, 'same');
    return tf.avgPool(pads.flat().some((p) => p > 0) ? tf.pad(x4, explicitPadding(pads)) : x4, k, s, 'valid');
  }
}

/** tfjs's explicit padding of an NHWC input from [[top, bottom], [left, right]]. */
function explicitPadding(pads: [number, number][]): tf.backend_util.ExplicitPadding {
  return [[0, 0], pads[0] as [number, number], pads[1] as [number, number], [0, 0]];
}
