// tfjs 4.22's gradient of AvgPool is wrong where a window overlaps the padding ('same', explicit
// pads): the forward pass divides each window's sum by the elements inside the input (cpu, wasm and
// webgpu alike), but AvgPoolGrad divides dy by the whole window, fh·fw. A 2×2 'same' pool over a
// 3×3 input gives the last element 1 instead of 2.25 (finite differences agree with 2.25). tfjs-layers'
// averagePooling2d({ padding: 'same' }) trains on that wrong gradient on every backend. gradkit
// registers AvgPool's gradient again with dy first scaled by fh·fw / count(window): the same
// AvgPoolGrad kernel then gives Σ_{windows ∋ x} dy / count, the derivative of the forward pass. A
// pool whose windows all lie inside the input (every 'valid' one) computes exactly as before. It is
// registered at import and again by useBackend (a backend package may load tfjs's gradients anew).
import * as tf from '@tensorflow/tfjs-core';
import { defineGradient } from './registry.js';

type Attrs = {
  filterSize: number | [number, number];
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
};

/** fh·fw / (in-bounds elements) per output position, [oh·ow], or undefined when every window is whole. @internal */
export function windowScale(xShape: readonly number[], attrs: Attrs): Float32Array | undefined {
  const info = tf.backend_util.computePool2DInfo(
    xShape as [number, number, number, number],
    attrs.filterSize,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
  const inside = (o: number, stride: number, before: number, k: number, size: number) => {
    const start = o * stride - before;
    return Math.min(size, start + k) - Math.max(0, start);
  };
  const { outHeight: oh, outWidth: ow, filterHeight: fh, filterWidth: fw } = info;
  const scale = new Float32Array(oh * ow);
  let whole = true;
  for (let oy = 0; oy < oh; oy++)
    for (let ox = 0; ox < ow; ox++) {
      const count = inside(oy, info.strideHeight, info.padInfo.top, fh, info.inHeight) * inside(ox, info.strideWidth, info.padInfo.left, fw, info.inWidth);
      scale[oy * ow + ox] = count > 0 ? (fh * fw) / count : 0;
      whole &&= count === fh * fw;
    }
  return whole ? undefined : scale;
}

defineGradient({
  kernelName: 'AvgPool',
  inputsToSave: ['x'],
  gradFunc: (dy, saved, attrs) => {
    const [x] = saved as [tf.Tensor4D];
    const a = attrs as unknown as Attrs;
    return {
      x: () =>
        tf.tidy(() => {
          const scale = windowScale(x.shape, a);
          const [, oh, ow] = (dy as tf.Tensor4D).shape;
          const scaled = scale ? tf.mul(dy as tf.Tensor, tf.tensor4d(scale, [1, oh, ow, 1])) : (dy as tf.Tensor);
          return tf.engine().runKernel('AvgPoolGrad', { dy: scaled, input: x }, { filterSize: a.filterSize, strides: a.strides, pad: a.pad }) as tf.Tensor;
        }),
    };
  },
});
