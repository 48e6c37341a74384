// The cpu backend's WebAssembly matmul (cpu-matmul.ts) against float64 products worked here: every
// transpose combination, tile edges (1, 3, 5, 17, 33), batches and broadcast batches, NaN and ±Infinity,
// empty dims, the fused bias and every activation, the fallbacks to tfjs's kernel, and (on the cpu
// project, where it is installed) tf.matMul, fused matMul and a dense layer's gradients against tfjs's
// own kernels. The kernel-level tests run in every project: they call the kernels with the cpu
// backend's instance directly (started, not activated, on wasm and webgpu).
import { currentBackend, expectClose, expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CPU_MATMUL_MAX_BYTES, cpuBatchMatMul, cpuFusedMatMul, cpuMatMulRuns, setCpuMatMulMaxBytes, setCpuMatMulVariant } from './cpu-matmul.js';
import { product, values } from './matmul-reference.js';
import { fastPaths, installFastPaths, setFastPaths } from './registry.js';

// Registers the cpu backend in the wasm and webgpu projects too (a no-op where useBackend loaded it).
await import('@tensorflow/tfjs-backend-cpu');
const cpu = tf.findBackend('cpu') as tf.KernelBackend & { data: { get(id: tf.DataId): { values: Float32Array } } };
// What useBackend('cpu') does once fast-paths/index.ts imports cpu-matmul.ts (idempotent).
if (currentBackend() === 'cpu') installFastPaths('cpu');

const sizeOf = (shape: readonly number[]) => shape.reduce((s, d) => s * d, 1);

/** A float32 (or other) tensor on the cpu backend, outside the engine: the kernels' input. */
function onCpu(v: Float32Array | Int32Array, shape: number[], dtype: tf.DataType = 'float32'): tf.TensorInfo {
  return { dataId: cpu.write(v, shape, dtype), shape, dtype };
}

/** tfjs's own kernel must not run: fails the test when it does. */
const noOriginal: tf.KernelFunc = () => {
  throw new Error("tfjs's own kernel ran where the fast path should have");
};

/**
 * Runs `kernel` on the cpu backend and returns its output's shape and values, checking that it made
 * exactly one data entry (its output: intermediates freed) and ran the module `modules` times.
 */
function run(kernel: tf.KernelFunc, inputs: Record<string, tf.TensorInfo>, attrs: tf.NamedAttrMap, modules = 1) {
  const [before, runs] = [cpu.numDataIds(), cpuMatMulRuns()];
  const out = kernel({ inputs, attrs, backend: cpu }) as tf.TensorInfo;
  const result = { shape: out.shape, values: cpu.data.get(out.dataId).values.slice(), dtype: out.dtype };
  expect(cpu.numDataIds() - before, 'data entries left besides the output').toBe(1);
  expect(cpuMatMulRuns() - runs, 'products computed by the module').toBe(modules);
  cpu.disposeData(out.dataId);
  for (const t of Object.values(inputs)) cpu.disposeData(t.dataId);
  return result;
}

const matMul = cpuBatchMatMul(noOriginal);
const fusedMatMul = cpuFusedMatMul(noOriginal);
/** Sums of up to k float32 products of numbers in [-1, 1): float32 rounding stays far below this. */
const tolerance = (k: number) => ({ rtol: 1e-5, atol: 1e-6 * Math.max(k, 1) });

afterEach(() => {
  setCpuMatMulVariant(undefined);
  setCpuMatMulMaxBytes(CPU_MATMUL_MAX_BYTES);
  setFastPaths(true);
});

describe('cpu matmul fast path: the kernel', () => {
  const sizes = [
    [1, 1, 1],
    [3, 5, 17],
    [17, 33, 5],
    [33, 3, 1],
    [5, 17, 33],
    [4, 8, 8],
  ] as const;
  for (const [m, k, n] of sizes)
    for (const [ta, tb] of [
      [false, false],
      [true, false],
      [false, true],
      [true, true],
    ] as const) {
      it(`[${m}×${k}]·[${k}×${n}] with transposeA=${ta}, transposeB=${tb} equals the float64 product`, async () => {
        const [aShape, bShape] = [ta ? [k, m] : [m, k], tb ? [n, k] : [k, n]];
        const [av, bv] = [values(m * k, m + 7 * k), values(k * n, n + 3 * k)];
        const got = run(matMul, { a: onCpu(av, aShape), b: onCpu(bv, bShape) }, { transposeA: ta, transposeB: tb });
        expect(got.shape).toEqual([m, n]);
        expect(got.dtype).toBe('float32');
        await expectClose(got.values, product(av, aShape, bv, bShape, ta, tb), tolerance(k));
      });
    }

  it('a larger product (the MLP’s first layer, transposed as in its gradient) equals the float64 product', async () => {
    const [m, k, n] = [40, 129, 70];
    const [av, bv] = [values(m * k, 1), values(k * n, 2)];
    const got = run(matMul, { a: onCpu(av, [k, m]), b: onCpu(bv, [n, k]) }, { transposeA: true, transposeB: true });
    await expectClose(got.values, product(av, [k, m], bv, [n, k], true, true), tolerance(k));
  });

  it('the scalar build (engines without wasm SIMD) equals the float64 product and, bitwise, the SIMD build', async () => {
    const [av, bv] = [values(17 * 33, 3), values(33 * 12, 4)];
    const runWith = (variant: 'simd' | 'scalar') => {
      setCpuMatMulVariant(variant);
      return run(matMul, { a: onCpu(av, [33, 17]), b: onCpu(bv, [12, 33]) }, { transposeA: true, transposeB: true }).values;
    };
    const [simd, scalar] = [runWith('simd'), runWith('scalar')];
    await expectClose(scalar, product(av, [33, 17], bv, [12, 33], true, true), tolerance(33));
    expect(Array.from(scalar)).toEqual(Array.from(simd));
  });

  const batches: [number[], number[], boolean, boolean][] = [
    [[2, 3, 5, 4], [2, 3, 4, 17], false, false],
    [[4, 5, 3], [1, 3, 9], false, false], // b broadcast over a's batch
    [[5, 3], [2, 2, 9, 3], false, true], // a (rank 2) broadcast over b's batch
    [[1, 3, 5], [6, 3, 2], true, false], // a's batch of 1 against 6
  ];
  for (const [aShape, bShape, ta, tb] of batches) {
    it(`batched [${aShape}]·[${bShape}] (transposeA=${ta}, transposeB=${tb}) equals the float64 product, batch by batch`, async () => {
      const [av, bv] = [values(sizeOf(aShape), 5), values(sizeOf(bShape), 6)];
      const got = run(matMul, { a: onCpu(av, aShape), b: onCpu(bv, bShape) }, { transposeA: ta, transposeB: tb });
      const outer = tf.broadcast_util.assertAndGetBroadcastShape(aShape.slice(0, -2), bShape.slice(0, -2));
      const [m, n] = [ta ? aShape.at(-1) : aShape.at(-2), tb ? bShape.at(-2) : bShape.at(-1)] as [number, number];
      expect(got.shape).toEqual([...outer, m, n]);
      await expectClose(got.values, product(av, aShape, bv, bShape, ta, tb), tolerance(5));
    });
  }

  it('NaN and ±Infinity propagate as in tfjs (NaN·0 = NaN, ∞·0 = NaN, ∞ − ∞ = NaN) and stay in their rows and columns', async () => {
    const [m, k, n] = [6, 3, 10];
    const av = values(m * k, 8);
    const bv = values(k * n, 9);
    av[0] = Number.NaN; // row 0
    av[1 * k + 1] = Number.POSITIVE_INFINITY; // row 1
    av[2 * k] = Number.POSITIVE_INFINITY; // row 2: ∞ against a column of B with a 0 …
    av[2 * k + 1] = Number.NEGATIVE_INFINITY; // … and −∞: ∞ − ∞ in the others
    for (let p = 0; p < k; p++) bv[p * n + 9] = 0; // column 9 of B is zero
    bv[0 * n + 9] = 0;
    bv[1 * n + 4] = 2;
    bv[0 * n + 4] = 1; // row 2, column 4: ∞·1 + (−∞)·2 = NaN
    const got = run(matMul, { a: onCpu(av, [m, k]), b: onCpu(bv, [k, n]) }, { transposeA: false, transposeB: false });
    const want = product(av, [m, k], bv, [k, n], false, false);
    expect(Number.isNaN(want[0 * n + 9])).toBe(true); // NaN·0
    expect(Number.isNaN(want[1 * n + 9])).toBe(true); // ∞·0
    expect(want[1 * n + 4]).toBe(Number.POSITIVE_INFINITY);
    expect(Number.isNaN(want[2 * n + 4])).toBe(true);
    expect(Number.isFinite(want[3 * n + 0])).toBe(true);
    await expectClose(got.values, want, tolerance(k));
  });

  it('empty dims: m, n or the batch 0 give an empty product; k = 0 gives zeros', async () => {
    for (const [aShape, bShape, outShape] of [
      [
        [0, 3],
        [3, 5],
        [0, 5],
      ],
      [
        [4, 3],
        [3, 0],
        [4, 0],
      ],
      [
        [0, 4, 3],
        [3, 5],
        [0, 4, 5],
      ],
    ] as const) {
      const got = run(matMul, { a: onCpu(new Float32Array(sizeOf(aShape)), [...aShape]), b: onCpu(new Float32Array(sizeOf(bShape)), [...bShape]) }, {}, 0);
      expect(got.shape).toEqual(outShape);
      expect(got.values.length).toBe(0);
    }
    const got = run(matMul, { a: onCpu(new Float32Array(0), [3, 0]), b: onCpu(new Float32Array(0), [0, 9]) }, {});
    expect(got.shape).toEqual([3, 9]);
    expect(Array.from(got.values)).toEqual(new Array(27).fill(0));
  });

  it("hands tfjs's own kernel what it does not run: other dtypes, rank < 2, mismatched or unbroadcastable shapes, batches tfjs-cpu pairs by index, over its memory limit", () => {
    const original = vi.fn<tf.KernelFunc>(() => 'tfjs' as unknown as tf.TensorInfo);
    const kernel = cpuBatchMatMul(original);
    const cases: [tf.TensorInfo, tf.TensorInfo][] = [
      [onCpu(new Int32Array(6), [2, 3], 'int32'), onCpu(new Int32Array(6), [3, 2], 'int32')],
      [onCpu(new Float32Array(3), [3]), onCpu(new Float32Array(6), [3, 2])],
      [onCpu(new Float32Array(6), [2, 3]), onCpu(new Float32Array(8), [4, 2])],
      [onCpu(new Float32Array(12), [2, 2, 3]), onCpu(new Float32Array(18), [3, 3, 2])],
      // batch [3] against [3, 1] broadcasts to [3, 3] (9), which tfjs-cpu computes as 3 products.
      [onCpu(new Float32Array(45), [3, 3, 5]), onCpu(new Float32Array(18), [3, 1, 3, 2])],
    ];
    const runs = cpuMatMulRuns();
    for (const [a, b] of cases) {
      expect(kernel({ inputs: { a, b }, attrs: { transposeA: false, transposeB: false }, backend: cpu })).toBe('tfjs');
      cpu.disposeData(a.dataId);
      cpu.disposeData(b.dataId);
    }
    setCpuMatMulMaxBytes(4 * 1024);
    const [a, b] = [onCpu(new Float32Array(32 * 32), [32, 32]), onCpu(new Float32Array(32 * 32), [32, 32])];
    expect(kernel({ inputs: { a, b }, attrs: { transposeA: false, transposeB: false }, backend: cpu })).toBe('tfjs');
    cpu.disposeData(a.dataId);
    cpu.disposeData(b.dataId);
    expect(original).toHaveBeenCalledTimes(cases.length + 1);
    expect(cpuMatMulRuns()).toBe(runs);
  });

  it("runs tfjs's kernel while the module compiles asynchronously (engines that refuse to compile synchronously), then its own", async () => {
    setCpuMatMulVariant('scalar', true);
    const refuse = vi.spyOn(WebAssembly, 'Module').mockImplementation(() => {
      throw new RangeError('WebAssembly.Compile is disallowed on the main thread, if the buffer size is larger than 4KB');
    });
    const original = vi.fn<tf.KernelFunc>(() => 'tfjs' as unknown as tf.TensorInfo);
    const kernel = cpuBatchMatMul(original);
    const inputs = () => ({ a: onCpu(values(6, 1), [2, 3]), b: onCpu(values(6, 2), [3, 2]) });
    try {
      const first = inputs();
      expect(kernel({ inputs: first, attrs: {}, backend: cpu })).toBe('tfjs');
      for (const t of Object.values(first)) cpu.disposeData(t.dataId);
    } finally {
      refuse.mockRestore();
    }
    await vi.waitFor(() => {
      const next = inputs();
      const out = kernel({ inputs: next, attrs: {}, backend: cpu }) as tf.TensorInfo | string;
      for (const t of Object.values(next)) cpu.disposeData(t.dataId);
      expect(out).not.toBe('tfjs');
      cpu.disposeData((out as tf.TensorInfo).dataId);
    });
    expect(original).toHaveBeenCalled();
  });
});

describe('cpu matmul fast path: fused (bias, activation)', () => {
  const [m, k, n] = [5, 17, 9];
  const av = values(k * m, 11); // stored [k, m]: transposeA
  const bv = values(k * n, 12);
  const biasRow = values(n, 13).map((v) => 8 * v); // beyond ±6: relu6 clamps
  const plain = product(av, [k, m], bv, [k, n], true, false);
  const withBias = plain.map((v, i) => v + (biasRow[i % n] as number));
  const relu = (v: number) => Math.max(0, v);
  const formulas: [string, (v: number, j: number) => number, tf.NamedAttrMap?][] = [
    ['linear', (v) => v],
    ['relu', relu],
    ['relu6', (v) => Math.min(relu(v), 6)],
    ['elu', (v) => (v >= 0 ? v : Math.expm1(v))],
    ['sigmoid', (v) => 1 / (1 + Math.exp(-v))],
    ['leakyrelu', (v) => (v < 0 ? 0.3 * v : v), { leakyreluAlpha: 0.3 }],
    ['prelu', (v, j) => (v < 0 ? (biasRow[(j + 1) % n] as number) * v : v)],
  ];
  for (const [activation, f, extra] of formulas) {
    it(`bias [${n}] then ${activation} equals the float64 formula; no intermediate left`, async () => {
      expect(Math.max(...withBias) > 6 && Math.min(...withBias) < -6, 'values beyond ±6').toBe(true);
      const inputs: Record<string, tf.TensorInfo> = { a: onCpu(av, [k, m]), b: onCpu(bv, [k, n]), bias: onCpu(biasRow, [n]) };
      if (activation === 'prelu')
        inputs.preluActivationWeights = onCpu(
          Float32Array.from({ length: n }, (_, j) => biasRow[(j + 1) % n] as number),
          [n],
        );
      const got = run(fusedMatMul, inputs, { transposeA: true, transposeB: false, activation, ...extra });
      expect(got.shape).toEqual([m, n]);
      await expectClose(
        got.values,
        withBias.map((v, i) => f(v, i % n)),
        tolerance(k),
      );
    });
  }

  it('no bias, relu; a [1, n] bias, relu6; a scalar bias, linear; a column bias [m, 1] with relu (tfjs’s Add, then Relu)', async () => {
    const cases: [number[] | undefined, Float32Array | undefined, string, (v: number, i: number) => number][] = [
      [undefined, undefined, 'relu', (v) => Math.max(0, v)],
      [[1, n], biasRow, 'relu6', (v, i) => Math.min(Math.max(0, v + (biasRow[i % n] as number)), 6)],
      [[], Float32Array.of(0.25), 'linear', (v) => v + 0.25],
      [[m, 1], biasRow.subarray(0, m), 'relu', (v, i) => Math.max(0, v + (biasRow[Math.floor(i / n)] as number))],
    ];
    for (const [shape, bias, activation, f] of cases) {
      const inputs: Record<string, tf.TensorInfo> = { a: onCpu(av, [k, m]), b: onCpu(bv, [k, n]) };
      if (shape) inputs.bias = onCpu(Float32Array.from(bias as Float32Array), shape);
      const got = run(fusedMatMul, inputs, { transposeA: true, transposeB: false, activation });
      expect(got.shape).toEqual([m, n]);
      await expectClose(got.values, plain.map(f), { ...tolerance(k), what: `bias [${shape}], ${activation}` });
    }
  });

  it('relu keeps NaN (as tfjs’s Math.max) and batched fused products add the bias to every batch', async () => {
    const a = values(2 * 3 * 4, 14);
    a[5] = Number.NaN; // batch 0, row 1
    const b = values(4 * 6, 15);
    const bias = values(6, 16);
    const got = run(
      fusedMatMul,
      { a: onCpu(a, [2, 3, 4]), b: onCpu(b, [4, 6]), bias: onCpu(bias, [6]) },
      { transposeA: false, transposeB: false, activation: 'relu' },
    );
    expect(got.shape).toEqual([2, 3, 6]);
    const want = product(a, [2, 3, 4], b, [4, 6], false, false).map((v, i) => Math.max(0, v + (bias[i % 6] as number)));
    expect(Number.isNaN(want[6])).toBe(true);
    await expectClose(got.values, want, tolerance(4));
  });

  it("hands tfjs's own kernel an activation it does not know and non-float32 operands", () => {
    const original = vi.fn<tf.KernelFunc>(() => 'tfjs' as unknown as tf.TensorInfo);
    const kernel = cpuFusedMatMul(original);
    for (const [a, b, activation] of [
      [onCpu(values(6, 1), [2, 3]), onCpu(values(6, 2), [3, 2]), 'gelu'],
      [onCpu(new Int32Array(6), [2, 3], 'int32'), onCpu(new Int32Array(6), [3, 2], 'int32'), 'relu'],
    ] as const) {
      expect(kernel({ inputs: { a, b }, attrs: { transposeA: false, transposeB: false, activation }, backend: cpu })).toBe('tfjs');
      cpu.disposeData(a.dataId);
      cpu.disposeData(b.dataId);
    }
    expect(original).toHaveBeenCalledTimes(2);
  });
});

describe.skipIf(currentBackend() !== 'cpu')('cpu matmul fast path: installed on the cpu backend (only the cpu project runs tfjs-cpu’s kernels)', () => {
  it('is listed and installed for BatchMatMul and _FusedMatMul', () => {
    const cpuPaths = fastPaths().filter((p) => p.backend === 'cpu' && p.kernelName.endsWith('MatMul'));
    expect(cpuPaths.map((p) => p.kernelName).sort()).toEqual(['BatchMatMul', '_FusedMatMul']);
    for (const p of cpuPaths) expect(p.installed).toBe(true);
  });

  it('tf.matMul and tf.fused.matMul run it, leak nothing, and equal tfjs’s own kernels (fast paths off)', async () => {
    const a = tf.tensor3d(values(2 * 33 * 17, 21), [2, 33, 17]);
    const b = tf.tensor2d(values(5 * 33, 22), [5, 33]);
    const bias = tf.tensor1d(values(5, 23));
    const compute = () => tf.tidy(() => [tf.matMul(a, b, true, true), tf.fused.matMul({ a, b, transposeA: true, transposeB: true, bias, activation: 'relu' })]);
    const runs = cpuMatMulRuns();
    const fast = await expectNoLeaks(compute);
    expect(cpuMatMulRuns() - runs).toBe(2);
    setFastPaths(false);
    const own = compute();
    expect(cpuMatMulRuns() - runs).toBe(2);
    for (const [i, t] of fast.entries()) {
      expect(t.shape).toEqual([2, 17, 5]);
      await expectClose(t, own[i] as tf.Tensor, tolerance(33));
    }
    tf.dispose([a, b, bias, ...fast, ...own]);
  });

  it("a dense layer's gradients (x·W + b, relu: the transposed matmuls of tfjs's gradients) equal tfjs's own", async () => {
    const x = tf.tensor2d(values(8 * 33, 31), [8, 33]);
    const w = tf.tensor2d(values(33 * 17, 32), [33, 17]);
    const bias = tf.tensor1d(values(17, 33));
    const c = tf.tensor2d(values(8 * 17, 34), [8, 17]);
    const grads = tf.grads((xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) =>
      tf.sum(tf.mul(tf.fused.matMul({ a: xx as tf.Tensor2D, b: ww as tf.Tensor2D, bias: bb, activation: 'relu' }), c)),
    );
    const runs = cpuMatMulRuns();
    const fast = await expectNoLeaks(() => grads([x, w, bias]));
    expect(cpuMatMulRuns() - runs).toBeGreaterThanOrEqual(3); // forward, dL/dx = dy·Wᵀ, dL/dW = xᵀ·dy
    setFastPaths(false);
    const own = grads([x, w, bias]);
    for (const [i, name] of ['dx', 'dW', 'db'].entries()) await expectClose(fast[i] as tf.Tensor, own[i] as tf.Tensor, { ...tolerance(33), what: name });
    tf.dispose([x, w, bias, c, ...fast, ...own]);
  });
});
