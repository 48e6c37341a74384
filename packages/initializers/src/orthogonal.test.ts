import { Xoshiro128 } from '@gradkit/core';
import { describe, expect, it } from 'vitest';
import { householderQ, orthogonal } from './orthogonal.js';
import { expectHyperError, expectOneTensor, valuesOf } from './test-support.js';

/** MᵀM (or MMᵀ when `rows`) of a row-major r × c matrix, in float64. */
function gram(m: readonly number[], r: number, c: number, rows = false): number[][] {
  const n = rows ? r : c;
  const at = (i: number, j: number) => m[i * c + j] as number;
  return Array.from({ length: n }, (_, a) =>
    Array.from({ length: n }, (_, b) => {
      let s = 0;
      if (rows) for (let k = 0; k < c; k++) s += at(a, k) * at(b, k);
      else for (let k = 0; k < r; k++) s += at(k, a) * at(k, b);
      return s;
    }),
  );
}

/** max |G − g²·I|. */
function offIdentity(g: number[][], gain = 1): number {
  let worst = 0;
  g.forEach((row, i) => {
    row.forEach((v, j) => {
      worst = Math.max(worst, Math.abs(v - (i === j ? gain * gain : 0)));
    });
  });
  return worst;
}

// torch.nn.init.orthogonal_: Q of the QR of a standard normal matrix, times sign(diag(R)), times gain.
describe('orthogonal (torch.nn.init.orthogonal_)', () => {
  it('hand-worked Householder QR: [[3], [4]] → Q = [[0.6], [0.8]] (R = 5 > 0)', () => {
    expect(Array.from(householderQ(new Float64Array([3, 4]), 2, 1)).map((v) => Math.round(v * 1e12) / 1e12)).toEqual([0.6, 0.8]);
    // [[0, 2], [1, 1]]: Q = [[0, 1], [1, 0]] with R = [[1, 1], [0, 2]], both diagonal entries positive.
    expect(Array.from(householderQ(new Float64Array([0, 2, 1, 1]), 2, 2)).map((v) => Math.round(v * 1e12) / 1e12 + 0)).toEqual([0, 1, 1, 0]);
  });

  for (const [what, shape, rows, cols] of [
    ['tall dense [64, 32]', [64, 32], 64, 32],
    ['wide dense [32, 64]', [32, 64], 32, 64],
    ['square [48, 48]', [48, 48], 48, 48],
    ['conv [3, 3, 8, 16] (72 × 16)', [3, 3, 8, 16], 72, 16],
    ['wide conv [1, 2, 4, 16] (8 × 16)', [1, 2, 4, 16], 8, 16],
  ] as const) {
    it(`${what}: ${rows >= cols ? 'WᵀW' : 'WWᵀ'} = I within 1e-5`, async () => {
      const w = await valuesOf(orthogonal({ seed: 1 })(shape));
      expect(offIdentity(gram(w, rows, cols, rows < cols))).toBeLessThan(1e-5);
    });
  }

  it('gain scales it: WᵀW = gain²·I', async () => {
    const w = await valuesOf(orthogonal({ gain: 2, seed: 2 })([20, 20]));
    expect(offIdentity(gram(w, 20, 20), 2)).toBeLessThan(4e-5);
  });

  it("applies PyTorch's sign correction: R = QᵀA is upper triangular with a positive diagonal", async () => {
    const [p, q] = [12, 5];
    const a = Xoshiro128.fromSeed(3).standardNormals(p * q); // the normal matrix the first call of seed 3 draws
    const w = await valuesOf(orthogonal({ seed: 3 })([p, q]));
    for (let i = 0; i < q; i++)
      for (let j = 0; j < q; j++) {
        let r = 0;
        for (let k = 0; k < p; k++) r += (w[k * q + i] as number) * (a[k * q + j] as number);
        if (i === j) expect(r, `R[${i}][${i}]`).toBeGreaterThan(0);
        if (i > j) expect(Math.abs(r), `R[${i}][${j}]`).toBeLessThan(1e-5);
      }
  });

  it('gives the numbers of numpy QR of the reference normals on every backend (seed 42), deterministically', async () => {
    const first = await valuesOf(orthogonal({ seed: 42 })([3, 2]));
    expect(await valuesOf(orthogonal({ seed: 42 })([3, 2]))).toEqual(first);
    expect(first).toEqual(PINNED);
  });

  it('rejects rank 1 and gain ≤ 0; leaks nothing', async () => {
    expectHyperError(() => orthogonal({ seed: 0 })([5]), 'shape', /rank ≥ 2/);
    expectHyperError(() => orthogonal({ gain: 0 }), 'gain');
    await expectOneTensor(orthogonal({ seed: 0 }), [6, 4]);
  });
});

// Independent: numpy.linalg.qr (LAPACK) of the reference generator's first six normals (C code) as a
// 3 × 2 matrix, Q times sign(diag(R)), rounded to float32.
const PINNED = [0.8642566204071045, -0.36553695797920227, -0.48428234457969666, -0.4186605215072632, -0.1361289769411087, -0.8313279151916504];
