import { HyperParameterError, UnknownOptionError, ValueError } from '@gradkit/core';
import { currentBackend, expectClose, expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { newtonSchulz } from './index.js';
import { type Matrix, matmul, rowsOf, transpose, zeropowerViaNewtonSchulz } from './muon-references.js';
import { badHyperTests, badOptions } from './test-kit.js';

/** Tall, wide and square test matrices (row-major), none of them near orthogonal. */
const MATRICES: Record<string, { shape: [number, number]; values: number[] }> = {
  'tall [5, 3]': { shape: [5, 3], values: [0.9, -0.3, 0.5, 0.2, 1.1, -0.7, -0.6, 0.4, 0.8, 1.3, 0.1, -0.2, -0.4, -0.9, 0.6] },
  'wide [3, 5]': { shape: [3, 5], values: [0.7, -1.2, 0.3, 0.5, -0.1, 0.4, 0.9, -0.8, 0.2, 1, -1.1, 0.2, 0.6, -0.5, 0.3] },
  'square [4, 4]': { shape: [4, 4], values: [2, 0.3, -0.5, 0.1, -0.4, 1.5, 0.2, 0.7, 0.6, -0.3, 1, -0.8, 0.1, 0.9, 0.4, 0.5] },
};

/** Whether a symmetric matrix is positive definite: its Cholesky factorisation exists (float64, no SVD, no eigen-solver). */
function positiveDefinite(m: Matrix): boolean {
  const n = m.length;
  const l: Matrix = m.map(() => Array(n).fill(0));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = (m[i] as number[])[j] as number;
      for (let k = 0; k < j; k++) s -= ((l[i] as number[])[k] as number) * ((l[j] as number[])[k] as number);
      if (i === j) {
        if (s <= 0) return false;
        (l[i] as number[])[i] = Math.sqrt(s);
      } else (l[i] as number[])[j] = s / ((l[j] as number[])[j] as number);
    }
  }
  return true;
}

/**
 * Whether every singular value of `m` lies strictly between `lo` and `hi`: with G the smaller Gram
 * matrix (mᵀm or mmᵀ), G − lo²·I and hi²·I − G are both positive definite.
 */
function singularValuesWithin(m: Matrix, lo: number, hi: number): boolean {
  const gram = m.length < (m[0] as number[]).length ? matmul(m, transpose(m)) : matmul(transpose(m), m);
  const shifted = (s: number, sign: number) => gram.map((row, i) => row.map((v, j) => sign * v + (i === j ? s : 0)));
  return positiveDefinite(shifted(-lo * lo, 1)) && positiveDefinite(shifted(hi * hi, -1));
}

async function run(shape: [number, number], values: number[], options?: Parameters<typeof newtonSchulz>[1]): Promise<Matrix> {
  const g = tf.tensor2d(values, shape);
  const o = newtonSchulz(g, options);
  const out = rowsOf([...(await o.data())], shape[1]);
  tf.dispose([g, o]);
  return out;
}

describe(`newtonSchulz (torch.optim.Muon's quintic Newton–Schulz) on ${currentBackend()}`, () => {
  it('a row or a column vector: v/‖v‖ scaled by the scalar recursion s ← s(a + bs² + cs⁴) from s = 1 (worked by hand)', async () => {
    // X₀ = v/‖v‖ has the one singular value 1, so XXᵀ = s² and each step maps s to s(a + bs² + cs⁴).
    let s = 1;
    for (let k = 0; k < 5; k++) s = s * (3.4445 - 4.775 * s * s + 2.0315 * s ** 4);
    expect(s).toBeCloseTo(0.6964, 4); // 1 → 0.701 → … → 0.6964: inside the band, not 1
    await expectClose((await run([1, 4], [3, 4, 0, 0])).flat(), [0.6 * s, 0.8 * s, 0, 0], { rtol: 1e-5, atol: 1e-6 });
    await expectClose((await run([4, 1], [0, -3, 0, 4])).flat(), [0, -0.6 * s, 0, 0.8 * s], { rtol: 1e-5, atol: 1e-6 });
  });

  for (const [name, { shape, values }] of Object.entries(MATRICES)) {
    for (const steps of [1, 5, 10]) {
      it(`${name}, ${steps} steps: matches the float64 transcription of torch's _zeropower_via_newtonschulz`, async () => {
        const expected = zeropowerViaNewtonSchulz(rowsOf(values, shape[1]), steps, 1e-7);
        await expectClose((await run(shape, values, { steps })).flat(), expected.flat(), { rtol: 1e-4, atol: 1e-5, what: name });
      });
    }

    it(`${name}: the singular values move into the band (0.68, 1.2) (OᵀO, no SVD), from well outside it`, async () => {
      const g = rowsOf(values, shape[1]);
      const norm = Math.sqrt(values.reduce((s, v) => s + v * v, 0));
      // The normalised input is far from orthogonal: its singular values are not all above 0.68 …
      expect(
        singularValuesWithin(
          g.map((row) => row.map((v) => v / norm)),
          0.68,
          1.2,
        ),
      ).toBe(false);
      // … and after 5 steps they all are.
      expect(singularValuesWithin(await run(shape, values), 0.68, 1.2)).toBe(true);
    });
  }

  it('transposing the input transposes the output, exactly (a tall matrix is worked on as its transpose)', async () => {
    const { shape, values } = MATRICES['tall [5, 3]'] as { shape: [number, number]; values: number[] };
    const tall = await run(shape, values);
    const wide = await run([shape[1], shape[0]], transpose(rowsOf(values, shape[1])).flat());
    expect(transpose(wide)).toEqual(tall);
  });

  it('a zero matrix gives zeros (the norm is clamped at epsilon, no NaN)', async () => {
    expect((await run([2, 3], [0, 0, 0, 0, 0, 0])).flat()).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('scale does not matter: 1e-3·G and 1e3·G give the output of G', async () => {
    const { shape, values } = MATRICES['square [4, 4]'] as { shape: [number, number]; values: number[] };
    const base = (await run(shape, values)).flat();
    for (const k of [1e-3, 1e3])
      await expectClose(
        (
          await run(
            shape,
            values.map((v) => v * k),
          )
        ).flat(),
        base,
        { rtol: 1e-4, atol: 1e-5 },
      );
  });

  it('leaks no tensors', async () => {
    const g = tf.tensor2d(MATRICES['wide [3, 5]']?.values as number[], [3, 5]);
    await expectNoLeaks(() => tf.dispose(newtonSchulz(g)));
    g.dispose();
  });

  it('rejects what is not a live float32 matrix with a ValueError naming matrix', () => {
    const vector = tf.tensor1d([1, 2]);
    const ints = tf.tensor2d([[1, 2]], [1, 2], 'int32');
    const gone = tf.tensor2d([[1, 2]]);
    gone.dispose();
    for (const bad of [vector, ints, gone, [[1, 2]]]) {
      expect(() => newtonSchulz(bad as tf.Tensor)).toThrow(ValueError);
      try {
        newtonSchulz(bad as tf.Tensor);
      } catch (e) {
        expect((e as ValueError).what).toBe('matrix');
      }
    }
    expect(() => newtonSchulz(vector, { ns_steps: 5 } as never)).toThrow(UnknownOptionError);
    expect(() => newtonSchulz(vector, { steps: 0 })).toThrow(HyperParameterError);
    tf.dispose([vector, ints]);
  });

  badHyperTests(
    badOptions(
      (o: object) => newtonSchulz(null as never, o),
      [
        [{ steps: 0 }, 'steps', /steps must be an integer from 1 to 99/],
        [{ steps: 100 }, 'steps', /got 100/],
        [{ steps: 2.5 }, 'steps', /got 2\.5/],
        [{ steps: Number.NaN }, 'steps', /got NaN/],
        [{ steps: () => 5 }, 'steps', /got function/],
        [{ epsilon: 0 }, 'epsilon', /epsilon must be in \(0, ∞\)/],
        [{ epsilon: Number.POSITIVE_INFINITY }, 'epsilon', /finite number/],
      ],
    ),
  );
});
