// Reference data for the matmul fast paths' tests: deterministic inputs and float64 products.

/** Deterministic values in [-1, 1) from a linear congruential generator. */
export function values(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    out[i] = s / 1073741824 - 1;
  }
  return out;
}

const sizeOf = (shape: readonly number[]) => shape.reduce((s, d) => s * d, 1);

/**
 * The float64 product tfjs-cpu's BatchMatMul defines: batch i pairs a's batch i mod batchA with b's
 * i mod batchB, of a [..., m, k] (stored [..., k, m] when transposed) and b [..., k, n] ([..., n, k]).
 */
export function product(a: Float32Array, aShape: number[], b: Float32Array, bShape: number[], ta: boolean, tb: boolean): Float64Array {
  const [a0, a1] = aShape.slice(-2) as [number, number];
  const [b0, b1] = bShape.slice(-2) as [number, number];
  const [m, k] = ta ? [a1, a0] : [a0, a1];
  const n = tb ? b0 : b1;
  const [batchA, batchB] = [sizeOf(aShape.slice(0, -2)), sizeOf(bShape.slice(0, -2))];
  const batch = Math.max(batchA, batchB);
  const out = new Float64Array(batch * m * n);
  for (let bi = 0; bi < batch; bi++) {
    const [oa, ob] = [(bi % batchA) * m * k, (bi % batchB) * k * n];
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let acc = 0;
        for (let p = 0; p < k; p++) {
          const x = a[oa + (ta ? p * m + i : i * k + p)] as number;
          const y = b[ob + (tb ? j * k + p : p * n + j)] as number;
          acc += x * y;
        }
        out[bi * m * n + i * n + j] = acc;
      }
  }
  return out;
}
