import { describeValue, HyperParameterError, ValueError } from '@gradkit/core';

/**
 * How a convolution or pooling pads its input: `'valid'` (none), `'same'` (TF/Keras: the output has
 * ⌈n / stride⌉ positions; the padding is split with the extra one at the end, bottom/right) or a number
 * of zeros on both sides of every spatial axis (PyTorch's `padding=p`), or one number per spatial axis.
 *
 * @example
 * ```ts
 * const p: Padding = 'same';
 * const q: Padding = 1;        // PyTorch's padding=1
 * const r: Padding = [1, 2];   // 1 row above and below, 2 columns left and right
 * ```
 */
export type Padding = 'valid' | 'same' | number | readonly number[];

/** A size per spatial axis, or one number for all of them. @example `3` or `[3, 5]` */
export type SpatialSize = number | readonly number[];

/** Parses a positive integer per spatial axis (`3` or `[3, 5]` for 2-D, `3` or `[3]` for 1-D). */
export function spatialSizes(field: string, value: unknown, axes: number, what: string): number[] {
  const list = typeof value === 'number' ? new Array<unknown>(axes).fill(value) : value;
  if (!Array.isArray(list) || list.length !== axes || !list.every((v) => typeof v === 'number' && Number.isInteger(v) && v >= 1))
    throw new HyperParameterError(
      field,
      `${field} must be a positive integer${axes > 1 ? ` or ${axes} of them ([h, w])` : ''} (${what}), got ${describeValue(value)}`,
    );
  return list as number[];
}

/** Parses a padding option: `'valid'`, `'same'`, or non-negative integers, one per spatial axis. */
export function parsePadding(value: unknown, axes: number): 'valid' | 'same' | number[] {
  if (value === 'valid' || value === 'same') return value;
  const list = typeof value === 'number' ? new Array<unknown>(axes).fill(value) : value;
  if (!Array.isArray(list) || list.length !== axes || !list.every((v) => typeof v === 'number' && Number.isInteger(v) && v >= 0))
    throw new HyperParameterError(
      'padding',
      `padding must be 'valid', 'same' or a non-negative integer${axes > 1 ? ` (or ${axes} of them, [h, w])` : ''} of zeros on each side, got ${describeValue(value)}`,
    );
  return list as number[];
}

/** The padding of one spatial axis, [before, after]. TF's 'same': total = max((⌈n/s⌉ − 1)·s + k_eff − n, 0), the smaller half before. */
export function axisPads(padding: 'valid' | 'same' | number[], axis: number, size: number, effectiveKernel: number, stride: number): [number, number] {
  if (padding === 'valid') return [0, 0];
  if (padding === 'same') {
    const total = Math.max((Math.ceil(size / stride) - 1) * stride + effectiveKernel - size, 0);
    return [Math.floor(total / 2), total - Math.floor(total / 2)];
  }
  const p = padding[axis] as number;
  return [p, p];
}

/** One spatial axis of a convolution or pooling window. */
export interface AxisWindow {
  readonly kernel: number;
  readonly stride: number;
  readonly dilation: number;
}

/**
 * The padding of every spatial axis of an input whose spatial sizes are `sizes`, after checking that
 * the (dilated) kernel fits in the padded input: a ValueError naming `x` (the module's input) if not.
 */
export function paddingFor(
  module: string,
  padding: 'valid' | 'same' | number[],
  sizes: readonly number[],
  windows: readonly AxisWindow[],
  axisNames: readonly string[],
): [number, number][] {
  return windows.map((w, i) => {
    const size = sizes[i] as number;
    const effective = (w.kernel - 1) * w.dilation + 1;
    const pads = axisPads(padding, i, size, effective, w.stride);
    if (size + pads[0] + pads[1] < effective)
      throw new ValueError(
        'x',
        `${module}: the input's ${axisNames[i]} (${size}${pads[0] + pads[1] ? `, ${size + pads[0] + pads[1]} padded` : ''}) is smaller than the ${w.dilation > 1 ? 'dilated ' : ''}kernel (${effective}): use a larger input, a smaller kernelSize${w.dilation > 1 ? ' or dilation' : ''}, or more padding`,
      );
    return pads;
  });
}
