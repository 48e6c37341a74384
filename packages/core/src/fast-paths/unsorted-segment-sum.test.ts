// UnsortedSegmentSum (unsorted-segment-sum.ts) against sums worked here: segments in any order,
// repeated, empty, out of range (dropped), 1-D and 2-D ids, and tf.gather's gradient (an embedding
// table's) with fast paths on and off, on the active backend (gradkit's kernel on wasm, which has
// none, and cpu; tfjs's on webgpu).
import { currentBackend, expectClose, expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it } from 'vitest';
import { values } from './matmul-reference.js';
import { setFastPaths } from './registry.js';

afterEach(() => setFastPaths(true));

/** Σ of x's rows per id, in float64 (ids outside [0, n) dropped). */
function reference(x: Float32Array, ids: number[], n: number): number[] {
  const inner = x.length / ids.length;
  const out = new Array<number>(n * inner).fill(0);
  ids.forEach((s, i) => {
    if (s < 0 || s >= n) return;
    for (let j = 0; j < inner; j++) out[s * inner + j] = (out[s * inner + j] as number) + (x[i * inner + j] as number);
  });
  return out;
}

describe('UnsortedSegmentSum', () => {
  // tfjs-webgpu's own kernel (webgpu keeps it) computes only 1-D ids in range over rows of x: the
  // other cases (`edge`) are the kernel's contract on cpu (tfjs-cpu's too) and wasm.
  it.each([
    { ids: [2, 0, 2, 1, 4], idShape: [5], inner: [3], n: 5, edge: false },
    { ids: [3, 3, 3], idShape: [3], inner: [2, 2], n: 6, edge: false },
    { ids: [0, 7, -1, 1], idShape: [4], inner: [1], n: 2, edge: true },
    { ids: [1, 0, 1, 2, 2, 0], idShape: [2, 3], inner: [4], n: 3, edge: true },
    { ids: [0, 1], idShape: [2], inner: [], n: 3, edge: true },
  ])('sums x by segment: ids $ids, inner $inner, $n segments', async ({ ids, idShape, inner, n, edge }) => {
    if (edge && currentBackend() === 'webgpu') return;
    const x = values(ids.length * inner.reduce((a, b) => a * b, 1), 17);
    const got = await expectNoLeaks(() =>
      tf.tidy(
        () =>
          tf
            .engine()
            .runKernel(
              'UnsortedSegmentSum',
              { x: tf.tensor(x, [...idShape, ...inner]), segmentIds: tf.tensor(ids, idShape, 'int32') },
              { numSegments: n },
            ) as tf.Tensor,
      ),
    );
    expect(got.shape).toEqual([n, ...inner]);
    await expectClose(Array.from(await got.data()), reference(x, ids, n), { rtol: 1e-6, atol: 1e-6 });
    got.dispose();
  });

  it("gives tf.gather its gradient (an embedding table's), fast paths on and off", async () => {
    const table = values(6 * 4, 3);
    const ids = [4, 1, 4, 0, 5, 4];
    const dy = values(ids.length * 4, 21);
    for (const on of [true, false]) {
      setFastPaths(on);
      const g = await expectNoLeaks(() =>
        tf.tidy(() => tf.grad((t) => tf.sum(tf.mul(tf.gather(t, tf.tensor2d(ids, [2, 3], 'int32')), tf.tensor3d(dy, [2, 3, 4]))))(tf.tensor2d(table, [6, 4]))),
      );
      await expectClose(Array.from(await g.data()), reference(dy, ids, 6), { rtol: 1e-6, atol: 1e-6, what: `fast paths ${on}` });
      g.dispose();
    }
  });
});
