import * as tf from '@tensorflow/tfjs-core';

/** The geometry of a 2-D convolution, resolved for one input. */
export interface ConvGeometry {
  readonly strides: [number, number];
  readonly dilations: [number, number];
  /** [[top, bottom], [left, right]] zeros. */
  readonly pads: [number, number][];
  readonly groups: number;
}

/**
 * Spreads a kernel `[kh, kw, in, out]` by the dilation, with zeros between its taps:
 * `[(kh − 1)·dh + 1, (kw − 1)·dw + 1, in, out]`. tfjs has no gradient for dilated convolutions (its
 * Conv2D and DepthwiseConv2dNative gradients assert dilation 1) and refuses stride > 1 with dilation
 * > 1, so a dilated convolution runs as an undilated one with this kernel: exact, since the zeros
 * add exact zeros (an infinite input under a zero tap gives NaN where PyTorch would skip it), and its
 * gradient is the slice of the spread kernel's.
 */
export function dilateKernel(kernel: tf.Tensor4D, dilations: readonly [number, number]): tf.Tensor4D {
  const [dh, dw] = dilations;
  const [kh, kw, cin, cout] = kernel.shape;
  if ((dh === 1 || kh === 1) && (dw === 1 || kw === 1)) return kernel;
  // Rows, then columns, each spread by padding a unit axis (ranks ≤ 4: tfjs's webgpu pad breaks at rank 6).
  const rows = tf.pad(tf.reshape(kernel, [kh, 1, kw * cin * cout]), [
    [0, 0],
    [0, dh - 1],
    [0, 0],
  ]);
  const tall = tf.slice(tf.reshape<tf.Rank.R4>(rows, [kh * dh, kw, cin, cout]), [0, 0, 0, 0], [(kh - 1) * dh + 1, kw, cin, cout]);
  const cols = tf.pad(tf.reshape(tall, [(kh - 1) * dh + 1, kw, 1, cin * cout]), [
    [0, 0],
    [0, 0],
    [0, dw - 1],
    [0, 0],
  ]);
  return tf.slice(tf.reshape<tf.Rank.R4>(cols, [(kh - 1) * dh + 1, kw * dw, cin, cout]), [0, 0, 0, 0], [(kh - 1) * dh + 1, (kw - 1) * dw + 1, cin, cout]);
}

/**
 * A 2-D convolution of NHWC `x` with `kernel` `[kh, kw, in/groups, out]` (PyTorch's semantics for
 * groups: group g maps input channels g·in/G … to output channels g·out/G …). One group is
 * `tf.conv2d`; groups = in channels is `tf.depthwiseConv2d` with the kernel read as
 * `[kh, kw, in, out/in]` (the same channel order); other counts split the channels.
 */
export function convolve(x: tf.Tensor4D, kernel: tf.Tensor4D, g: ConvGeometry): tf.Tensor4D {
  const k = dilateKernel(kernel, g.dilations);
  const [top, bottom] = g.pads[0] as [number, number];
  const [left, right] = g.pads[1] as [number, number];
  const pad: 'valid' | tf.backend_util.ExplicitPadding =
    top + bottom + left + right === 0
      ? 'valid'
      : [
          [0, 0],
          [top, bottom],
          [left, right],
          [0, 0],
        ];
  const inChannels = x.shape[3];
  if (g.groups === 1) return tf.conv2d(x, k, g.strides, pad);
  if (g.groups === inChannels) {
    const [kh, kw, , out] = k.shape;
    return tf.depthwiseConv2d(x, tf.reshape(k, [kh, kw, inChannels, out / inChannels]), g.strides, pad);
  }
  const xs = tf.split<tf.Tensor4D>(x, g.groups, 3);
  const ks = tf.split<tf.Tensor4D>(k, g.groups, 3);
  return tf.concat<tf.Tensor4D>(
    xs.map((xi, i) => tf.conv2d(xi, ks[i] as tf.Tensor4D, g.strides, pad) as tf.Tensor4D),
    3,
  );
}
