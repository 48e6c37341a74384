// The cpu Slice and SplitV fast paths (cpu-slice.ts) against slices indexed here element by element:
// ranks 1–4, begins and sizes on every axis (−1 sizes), empty slices, int32, uneven splits on every
// axis. Called directly on the cpu backend in every project, and through tf.slice/tf.split and an
// LSTM-like gate split's gradient on the active backend with fast paths on and off.
import { expectClose, expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it } from 'vitest';
import { cpuSlice, cpuSplitV } from './cpu-slice.js';
import { values } from './matmul-reference.js';
import { setFastPaths } from './registry.js';

await import('@tensorflow/tfjs-backend-cpu');
const cpu = tf.findBackend('cpu') as tf.KernelBackend & { data: { get(id: tf.DataId): { values: Float32Array | Int32Array } } };
const noOriginal: tf.KernelFunc = () => {
  throw new Error("tfjs's kernel ran");
};

afterEach(() => setFastPaths(true));

/** x[begin … begin + size) read element by element (row-major). */
function reference(x: ArrayLike<number>, shape: number[], begin: number[], size: number[]): number[] {
  const out: number[] = [];
  const total = size.reduce((a, b) => a * b, 1);
  for (let i = 0; i < total; i++) {
    let [rest, from, stride] = [i, 0, 1];
    const at: number[] = [];
    for (let d = size.length - 1; d >= 0; d--) {
      at[d] = rest % (size[d] as number);
      rest = Math.floor(rest / (size[d] as number));
    }
    for (let d = shape.length - 1; d >= 0; d--) {
      from += ((begin[d] as number) + (at[d] as number)) * stride;
      stride *= shape[d] as number;
    }
    out.push(x[from] as number);
  }
  return out;
}

const cases = [
  { shape: [7], begin: [2], size: [4] },
  { shape: [4, 6], begin: [1, 2], size: [2, 3] },
  { shape: [4, 6], begin: [0, 3], size: [-1, -1] },
  { shape: [3, 4, 5], begin: [1, 0, 2], size: [2, 4, 1] },
  { shape: [2, 3, 4, 5], begin: [1, 1, 1, 1], size: [1, 2, 3, 4] },
  { shape: [3, 4], begin: [1, 1], size: [0, 2] },
];

describe('cpu Slice and SplitV', () => {
  it.each(cases)('Slice $shape from $begin size $size, float32 and int32', async ({ shape, begin, size }) => {
    for (const dtype of ['float32', 'int32'] as const) {
      const n = shape.reduce((a, b) => a * b, 1);
      const x = dtype === 'int32' ? Int32Array.from({ length: n }, (_, i) => i * 3 - 7) : values(n, 19);
      const input = { dataId: cpu.write(x, shape, dtype), shape, dtype };
      const out = cpuSlice(noOriginal)({ inputs: { x: input }, attrs: { begin, size }, backend: cpu }) as tf.TensorInfo;
      const full = size.map((s, d) => (s === -1 ? (shape[d] as number) - (begin[d] as number) : s));
      expect([out.shape, out.dtype]).toEqual([full, dtype]);
      expect(Array.from(cpu.data.get(out.dataId).values)).toEqual(reference(x, shape, begin, full));
      cpu.disposeData(input.dataId);
      cpu.disposeData(out.dataId);
    }
  });

  it.each([
    { shape: [4, 12], splits: 4, axis: 1 },
    { shape: [4, 12], splits: [5, 0, 7], axis: -1 },
    { shape: [6, 2, 3], splits: [1, 2, 3], axis: 0 },
    { shape: [2, 5, 3], splits: [2, -1], axis: 1 },
  ])('SplitV $shape into $splits along $axis', ({ shape, splits, axis }) => {
    const x = values(
      shape.reduce((a, b) => a * b, 1),
      23,
    );
    const input = { dataId: cpu.write(x, shape, 'float32'), shape, dtype: 'float32' as const };
    const outs = cpuSplitV(noOriginal)({ inputs: { x: input }, attrs: { numOrSizeSplits: splits, axis }, backend: cpu }) as tf.TensorInfo[];
    const ax = axis < 0 ? shape.length + axis : axis;
    const sizes =
      typeof splits === 'number'
        ? new Array(splits).fill((shape[ax] as number) / splits)
        : splits.map((s) => (s === -1 ? (shape[ax] as number) - splits.reduce((a, b) => a + (b === -1 ? 0 : b), 0) : s));
    let at = 0;
    sizes.forEach((s, i) => {
      const begin = shape.map((_, d) => (d === ax ? at : 0));
      const size = shape.map((n, d) => (d === ax ? s : n));
      const out = outs[i] as tf.TensorInfo;
      expect(out.shape).toEqual(size);
      expect(Array.from(cpu.data.get(out.dataId).values)).toEqual(reference(x, shape, begin, size));
      at += s;
      cpu.disposeData(out.dataId);
    });
    expect(outs.length).toBe(sizes.length);
    cpu.disposeData(input.dataId);
  });

  it('gives an LSTM-like gate split its values and gradient on the active backend, fast paths on and off', async () => {
    const z = values(3 * 16, 5);
    const w = values(3 * 16, 8);
    for (const on of [true, false]) {
      setFastPaths(on);
      const g = await expectNoLeaks(() =>
        tf.tidy(() =>
          tf.grad((t) => {
            const [i, f, c, o] = tf.split(t, 4, 1) as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
            return tf.sum(tf.mul(tf.concat([o, c, f, i], 1), tf.tensor2d(w, [3, 16])));
          })(tf.tensor2d(z, [3, 16])),
        ),
      );
      // d/dz of Σ concat([o, c, f, i])·w: the gate at column block k of z meets w's block 3 − k.
      const expected = Array.from({ length: 48 }, (_, e) => {
        const [row, col] = [Math.floor(e / 16), e % 16];
        return w[row * 16 + (3 - Math.floor(col / 4)) * 4 + (col % 4)] as number;
      });
      await expectClose(Array.from(await g.data()), expected, { rtol: 0, atol: 0, what: `fast paths ${on}` });
      g.dispose();
    }
  });
});
