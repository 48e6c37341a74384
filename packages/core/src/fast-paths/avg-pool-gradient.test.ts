// AvgPool's gradient (avg-pool-gradient.ts): tfjs's divided dy by the whole window where the forward
// pass divides by the elements inside the input. Against values worked by hand and central finite
// differences of tf.avgPool itself, on the active backend.
import { expectClose, expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, it } from 'vitest';
import { values } from './matmul-reference.js';
import './avg-pool-gradient.js';

/** ∂/∂x of Σ avgPool(x)·w by central differences, in float64 sums of float32 forward passes. */
async function finiteDifferences(
  x: Float32Array,
  shape: [number, number, number, number],
  w: tf.Tensor,
  pool: (t: tf.Tensor4D) => tf.Tensor,
): Promise<number[]> {
  const f = async (v: Float32Array) => {
    const s = tf.tidy(() => tf.sum(tf.mul(pool(tf.tensor4d(v, shape)), w)));
    const [out] = await s.data();
    s.dispose();
    return out as number;
  };
  const h = 1e-2;
  const grad: number[] = [];
  for (let i = 0; i < x.length; i++) {
    const [up, down] = [x.slice(), x.slice()];
    up[i] = (up[i] as number) + h;
    down[i] = (down[i] as number) - h;
    grad.push(((await f(up)) - (await f(down))) / (2 * h));
  }
  return grad;
}

describe("AvgPool's gradient", () => {
  it('is Σ dy / (elements inside the input) over the windows of each element: 2×2 same pool of a 3×3 input, worked by hand', async () => {
    const g = await expectNoLeaks(() => tf.tidy(() => tf.grad((x) => tf.sum(tf.avgPool(x as tf.Tensor4D, 2, 1, 'same')))(tf.ones([1, 3, 3, 1]))));
    // Windows start at each element; the last row/column windows hold 2 elements, the corner 1.
    await expectClose(Array.from(await g.data()), [0.25, 0.5, 0.75, 0.5, 1, 1.5, 0.75, 1.5, 2.25], { rtol: 1e-6, atol: 1e-6 });
    g.dispose();
  });

  it.each([
    { shape: [2, 5, 4, 2], k: 3, s: 2, pad: 'same' as const },
    { shape: [1, 4, 6, 3], k: 2, s: 1, pad: 'same' as const },
    { shape: [1, 5, 5, 2], k: 3, s: 1, pad: 1 },
    { shape: [2, 6, 6, 1], k: 2, s: 2, pad: 'valid' as const },
  ])('matches finite differences: $shape, $k×$k stride $s pad $pad', async ({ shape, k, s, pad }) => {
    const x = values(
      shape.reduce((a, b) => a * b, 1),
      5,
    );
    const s4 = shape as [number, number, number, number];
    const pool = (t: tf.Tensor4D) => tf.avgPool(t, k, s, pad);
    const outShape = tf.tidy(() => pool(tf.zeros(s4)).shape);
    const w = tf.tensor(
      values(
        outShape.reduce((a, b) => a * b, 1),
        7,
      ),
      outShape,
    );
    const g = await expectNoLeaks(() => tf.tidy(() => tf.grad((t) => tf.sum(tf.mul(pool(t as tf.Tensor4D), w)))(tf.tensor4d(x, s4))));
    await expectClose(Array.from(await g.data()), await finiteDifferences(x, s4, w, pool), { rtol: 1e-2, atol: 2e-3 });
    tf.dispose([g, w]);
  });
});
