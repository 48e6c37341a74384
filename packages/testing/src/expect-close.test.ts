import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it } from 'vitest';
import { AssertionError, backendTolerance, currentBackend, DEFAULT_TOLERANCES, expectClose } from './index.js';

/** Tensors made by a test, disposed after it. */
const made: tf.Tensor[] = [];
const own = <T extends tf.Tensor>(t: T): T => {
  made.push(t);
  return t;
};
afterEach(() => {
  tf.dispose(made.splice(0));
});

describe('expectClose', () => {
  it('accepts equal values given as tensors, numbers, nested arrays and typed arrays', async () => {
    const t = tf.tensor2d([1, 2, 3, 4], [2, 2]);
    await expectClose(t, [
      [1, 2],
      [3, 4],
    ]);
    await expectClose(t, own(tf.tensor2d([1, 2, 3, 4], [2, 2])));
    await expectClose(own(tf.scalar(6)), 6);
    await expectClose(3, 3);
    await expectClose(new Float32Array([0.5, 1.5]), [0.5, 1.5]);
    await expectClose([], []);
    expect(t.isDisposed).toBe(false); // it reads, it does not dispose
    t.dispose();
  });

  it('accepts differences within atol + rtol·|expected| and rejects those just beyond', async () => {
    // allowed at expected = 100: 1e-6 + 1e-5 · 100 = 1.001e-3
    await expectClose([100.001], [100], { rtol: 1e-5, atol: 1e-6 });
    await expect(expectClose([100.0011], [100], { rtol: 1e-5, atol: 1e-6 })).rejects.toThrow(AssertionError);
    // at expected = 0 only atol counts
    await expectClose([1e-6], [0], { rtol: 1e-5, atol: 1e-6 });
    await expect(expectClose([1.1e-6], [0], { rtol: 1e-5, atol: 1e-6 })).rejects.toThrow(/> allowed 1\.00e-6/);
  });

  it('scales rtol by |expected|, not |actual| (as numpy)', async () => {
    await expectClose([1], [2], { rtol: 0.6, atol: 0 }); // |diff| 1 ≤ 0.6 · 2
    await expect(expectClose([2], [1], { rtol: 0.6, atol: 0 })).rejects.toThrow(/> allowed 6\.00e-1/); // |diff| 1 > 0.6 · 1
  });

  it('fails on a mismatch, naming the worst element, both values and the tolerance', async () => {
    const actual = tf.tensor2d([1, 2, 3, 4.01, 5, 6.5], [2, 3]);
    const p = expectClose(
      actual,
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      { rtol: 1e-5, atol: 1e-6, what: 'grads.w' },
    );
    await expect(p).rejects.toThrow(AssertionError);
    await expect(p).rejects.toThrow(/^expectClose \(grads\.w\) on \w+: 2 of 6 elements differ .*\(rtol 0\.00001, atol 0\.000001\)/);
    await expect(p).rejects.toThrow(/worst at \[1, 2\]: actual 6\.5, expected 6, \|diff\| 5\.00e-1 > allowed 6\.10e-5/);
    await expect(p).rejects.toThrow(/mismatches: \[1, 0\] 4\.01\d* vs 4; \[1, 2\] 6\.5 vs 6/);
    actual.dispose();
  });

  it('fails on a scalar mismatch', async () => {
    await expect(expectClose(own(tf.scalar(2)), 3)).rejects.toThrow(/1 of 1 element differ.*\n {2}worst at \(scalar\): actual 2, expected 3/);
  });

  it('compares shapes strictly (no broadcasting) and rejects ragged arrays', async () => {
    await expect(expectClose(own(tf.tensor1d([6])), 6)).rejects.toThrow(/shape \[1\] differs from the expected shape \[\]/);
    await expect(expectClose([[1, 2]], [1, 2])).rejects.toThrow(/shape \[1, 2\] differs from the expected shape \[2\]/);
    await expect(
      expectClose(
        [[1, 2], [3]],
        [
          [1, 2],
          [3, 4],
        ],
      ),
    ).rejects.toThrow(/actual is ragged: element \[1\]/);
  });

  it('matches NaN with NaN and an infinity with the same infinity, and nothing else', async () => {
    await expectClose([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY], [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]);
    await expect(expectClose([Number.NaN], [1])).rejects.toThrow(/actual NaN, expected 1/);
    await expect(expectClose([1], [Number.NaN])).rejects.toThrow(/actual 1, expected NaN/);
    await expect(expectClose([Number.POSITIVE_INFINITY], [Number.NEGATIVE_INFINITY])).rejects.toThrow(/actual Infinity, expected -Infinity/);
    await expect(expectClose([1e30], [Number.POSITIVE_INFINITY], { rtol: 1 })).rejects.toThrow(AssertionError);
  });

  it('reads tensors computed on the backend', async () => {
    const x = tf.tensor1d([-1, 0, 2]);
    const y = tf.mul(x, x);
    await expectClose(y, [1, 0, 4]);
    await expect(expectClose(y, [1, 0, 4.1])).rejects.toThrow(/worst at \[2\]: actual 4, expected 4\.1/);
    tf.dispose([x, y]);
  });

  it("defaults to the active backend's tolerance", async () => {
    const tol = DEFAULT_TOLERANCES[currentBackend()];
    expect(backendTolerance()).toEqual(tol);
    // a relative error of half the default passes, of twice the default fails
    await expectClose([1 + tol.rtol / 2], [1]);
    await expect(expectClose([1 + 2 * (tol.rtol + tol.atol)], [1])).rejects.toThrow(`(rtol ${tol.rtol}, atol ${tol.atol})`);
  });

  it('rejects a disposed tensor and a negative or NaN tolerance', async () => {
    const t = tf.tensor1d([1]);
    t.dispose();
    await expect(expectClose(t, [1])).rejects.toThrow(/the actual tensor is disposed/);
    await expect(expectClose([1], [1], { rtol: -1 })).rejects.toThrow(/rtol must be a number ≥ 0/);
    await expect(expectClose([1], [1], { atol: Number.NaN })).rejects.toThrow(/atol must be a number ≥ 0/);
  });
});

describe('backendTolerance', () => {
  it('applies the overrides of the named backend only', () => {
    expect(backendTolerance({ webgpu: { atol: 1e-3 } }, 'webgpu')).toEqual({ rtol: DEFAULT_TOLERANCES.webgpu.rtol, atol: 1e-3 });
    expect(backendTolerance({ webgpu: { atol: 1e-3 } }, 'cpu')).toEqual(DEFAULT_TOLERANCES.cpu);
    expect(DEFAULT_TOLERANCES.cpu).toEqual({ rtol: 1e-5, atol: 1e-6 });
  });
});
