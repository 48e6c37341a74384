// tfjs-backend-cpu 4.22 multiplies matrices in plain JavaScript loops: 0.5–0.9 GFLOP/s on the 2-core
// AMD EPYC (Node 20) this was measured on (128×784 · 784×256 in 55–90 ms), which made the matmuls of
// a dense net ~95% of a training step on that backend, the one most Node users without tfjs-node
// train on. This fast path runs `BatchMatMul` and `_FusedMatMul` in WebAssembly (cpu-matmul.wat):
// each operand is copied into one module-owned WebAssembly.Memory and packed into panels (4 rows of
// A, 8 columns of B; a transposed operand is packed with other strides, never transposed first), an
// f32x4 kernel computes every 4×8 tile of the product over the whole k in 8 registers, and the rows
// are compacted (with the bias row and relu/relu6 when fused) and copied out: 18–36 GFLOP/s on the
// same machine, 30–65× tfjs's, and a 784-256-256-10 MLP's training step (batch 128, Adam) in 8 ms
// instead of 230 ms. Engines without wasm SIMD run the scalar build (~3 GFLOP/s, same results bit
// for bit). Results equal tfjs's up to float rounding (each sum is taken in p order, in float32), and
// NaN and ±Infinity propagate as in tfjs (NaN·0 = NaN). tfjs's own kernel runs for anything else:
// other dtypes, a batch broadcast tfjs-cpu itself does not compute, a call needing more than
// CPU_MATMUL_MAX_BYTES (256 MiB: operands, panels and product, about 4·(2mk + 2kn + mn) bytes, so
// square operands beyond ~3600), and while the module compiles asynchronously (engines that refuse
// to compile synchronously). Memory grown beyond 32 MiB by one call is released after it.
import * as tf from '@tensorflow/tfjs-core';
import { type WasmVariant, wasmSimdSupported } from '../kernels/wasm.js';
import builds from './cpu-matmul.wat';
import { defineFastPath } from './registry.js';

/** The memory one call may use (operands, packed panels, padded product): above it tfjs's kernel runs. */
export const CPU_MATMUL_MAX_BYTES = 256 * 2 ** 20;
let maxBytes = CPU_MATMUL_MAX_BYTES;
/** The memory kept between calls; a call that grew it beyond releases it afterwards. */
const KEEP_BYTES = 32 * 2 ** 20;
const PAGE = 65536;

/** What the kernels use of tfjs-backend-cpu 4.22's MathBackendCPU (duck-typed: DESIGN §1). */
interface CpuBackend {
  readonly data: { get(dataId: tf.DataId): { values?: unknown } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array): tf.TensorInfo;
  disposeIntermediateTensorInfo(t: tf.TensorInfo): void;
}

/** cpu-matmul.wat's exports (byte addresses into its memory). */
interface MatMulExports {
  pack(src: number, dst: number, x: number, k: number, sx: number, sp: number, w: number): void;
  gemm(a: number, b: number, c: number, mp: number, np: number, k: number, ldc: number): void;
  finish(c: number, m: number, n: number, ldc: number, bias: number, flags: number): void;
}

interface Home {
  readonly variant: WasmVariant;
  readonly memory: WebAssembly.Memory;
  readonly w: MatMulExports;
}

/** Per variant: the compiled module, its pending asynchronous compilation, or why there is none. */
const modules = new Map<WasmVariant, WebAssembly.Module | Promise<unknown> | Error>();
let home: Home | undefined;
let forced: WasmVariant | undefined;
let runs = 0;

/** The compiled module of `variant`, or undefined while it compiles asynchronously or where it cannot. */
function moduleOf(variant: WasmVariant): WebAssembly.Module | undefined {
  const hit = modules.get(variant);
  if (hit instanceof WebAssembly.Module) return hit;
  if (hit !== undefined) return undefined;
  try {
    const module = new WebAssembly.Module(builds[variant]);
    modules.set(variant, module);
    return module;
  } catch {
    // e.g. Chrome's main thread, which refuses synchronous compilation of larger modules.
    const pending = WebAssembly.compile(builds[variant]).then(
      (module) => modules.set(variant, module),
      (e: unknown) => modules.set(variant, e instanceof Error ? e : new Error(String(e))),
    );
    modules.set(variant, pending);
    return undefined;
  }
}

/** The module's instance, its memory at least `bytes` long, or undefined (tfjs's kernel runs). */
function homeFor(bytes: number): Home | undefined {
  if (bytes > maxBytes) return undefined;
  const variant = forced ?? (wasmSimdSupported(builds) ? 'simd' : 'scalar');
  const pages = Math.max(1, Math.ceil(bytes / PAGE));
  try {
    if (home?.variant !== variant) {
      const module = moduleOf(variant);
      if (!module) return undefined;
      const memory = new WebAssembly.Memory({ initial: pages, maximum: CPU_MATMUL_MAX_BYTES / PAGE });
      const w = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as MatMulExports;
      home = { variant, memory, w };
    } else if (home.memory.buffer.byteLength < bytes) home.memory.grow(pages - home.memory.buffer.byteLength / PAGE);
  } catch {
    return undefined; // the engine refused the memory
  }
  return home;
}

/** A matmul as tfjs-cpu's BatchMatMul reads it: [batch, m, k] · [batch, k, n] → outShape. */
export interface Product {
  readonly m: number;
  readonly k: number;
  readonly n: number;
  readonly batch: number;
  readonly batchA: number;
  readonly batchB: number;
  readonly transposeA: boolean;
  readonly transposeB: boolean;
  readonly outShape: number[];
}

const size = (shape: readonly number[]) => shape.reduce((s, d) => s * d, 1);

/**
 * The product tfjs-cpu's BatchMatMul computes for `a` and `b`, or undefined where its own kernel must
 * answer: fewer than 2 dims, inner sizes that differ, batch shapes that do not broadcast, or a
 * broadcast it does not compute (it pairs batch i of the larger with i mod the smaller's, which is
 * the broadcast only when the sizes are equal or one is 1; an empty batch is an empty product).
 */
export function productOf(a: tf.TensorInfo, b: tf.TensorInfo, transposeA: boolean, transposeB: boolean): Product | undefined {
  const ra = a.shape.length;
  const rb = b.shape.length;
  if (ra < 2 || rb < 2) return undefined;
  const [a0, a1] = [a.shape[ra - 2] as number, a.shape[ra - 1] as number];
  const [b0, b1] = [b.shape[rb - 2] as number, b.shape[rb - 1] as number];
  const [m, k] = transposeA ? [a1, a0] : [a0, a1];
  const [kb, n] = transposeB ? [b1, b0] : [b0, b1];
  if (k !== kb) return undefined;
  let outer: number[];
  try {
    outer = tf.broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  } catch {
    return undefined;
  }
  const batchA = size(a.shape.slice(0, -2));
  const batchB = size(b.shape.slice(0, -2));
  const batch = size(outer);
  if (batch !== 0 && (batch !== Math.max(batchA, batchB) || (batchA !== batchB && Math.min(batchA, batchB) !== 1))) return undefined;
  return { m, k, n, batch, batchA, batchB, transposeA, transposeB, outShape: [...outer, m, n] };
}

/** A float32 tensor's array on the cpu backend, or undefined (another dtype or storage). */
function float32(backend: CpuBackend, t: tf.TensorInfo): Float32Array | undefined {
  const values = t.dtype === 'float32' ? backend.data.get(t.dataId).values : undefined;
  return values instanceof Float32Array && values.length === size(t.shape) ? values : undefined;
}

const up = (x: number, q: number) => Math.ceil(x / q) * q;

/**
 * The product's values (with `bias`, a row of n added, and relu/relu6 when `flags` say so: bit 0
 * bias, 1 relu, 2 relu6), written into `into` (batch·m·n floats; a new array when absent), or
 * undefined when the module cannot run it now (nothing written).
 */
export function multiply(p: Product, av: Float32Array, bv: Float32Array, bias?: Float32Array, flags = 0, into?: Float32Array): Float32Array | undefined {
  const { m, k, n, batch } = p;
  if (batch * m * n === 0) return into ?? new Float32Array(0);
  const [mp, np] = [up(m, 4), up(n, 8)];
  // Byte offsets: A and B as given, their panels, the padded product, the bias row.
  let bytes = 0;
  const place = (floats: number) => {
    const at = bytes;
    bytes += up(floats * 4, 16);
    return at;
  };
  const aRaw = place(m * k);
  const bRaw = place(k * n);
  const aPack = place(mp * k);
  const bPack = place(k * np);
  const c = place(mp * np);
  const biasAt = place(np);
  const h = homeFor(bytes);
  if (!h) return undefined;
  const heap = new Float32Array(h.memory.buffer);
  if (bias) heap.set(bias, biasAt / 4);
  const out = into ?? new Float32Array(batch * m * n);
  let [lastA, lastB] = [-1, -1];
  for (let i = 0; i < batch; i++) {
    const [ia, ib] = [i % p.batchA, i % p.batchB];
    if (ia !== lastA) {
      heap.set(av.subarray(ia * m * k, (ia + 1) * m * k), aRaw / 4);
      // A[i, p] lies at i·k + p, or at p·m + i when transposed.
      h.w.pack(aRaw, aPack, m, k, p.transposeA ? 4 : k * 4, p.transposeA ? m * 4 : 4, 4);
      lastA = ia;
    }
    if (ib !== lastB) {
      heap.set(bv.subarray(ib * k * n, (ib + 1) * k * n), bRaw / 4);
      // B[p, j] lies at p·n + j, or at j·k + p when transposed.
      h.w.pack(bRaw, bPack, n, k, p.transposeB ? k * 4 : 4, p.transposeB ? 4 : n * 4, 8);
      lastB = ib;
    }
    h.w.gemm(aPack, bPack, c, mp / 4, np / 8, k, np * 4);
    h.w.finish(c, m, n, np * 4, biasAt, flags);
    out.set(heap.subarray(c / 4, c / 4 + m * n), i * m * n);
  }
  if (h.memory.buffer.byteLength > KEEP_BYTES) home = undefined;
  runs++;
  return out;
}

/** A matmul kernel (`BatchMatMul`) for the cpu backend that runs cpu-matmul.wat, else `original`. */
export function cpuBatchMatMul(original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const backend = args.backend as unknown as CpuBackend;
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
    const p = productOf(a, b, transposeA, transposeB);
    const [av, bv] = [float32(backend, a), float32(backend, b)];
    const values = p && av && bv && multiply(p, av, bv);
    return values ? backend.makeTensorInfo((p as Product).outShape, 'float32', values) : original(args);
  };
}

/** tfjs-cpu's activation kernels of `_FusedMatMul`, for the activations the module does not apply. */
const ACTIVATION_KERNELS: Readonly<Record<string, string>> = {
  relu: 'Relu',
  relu6: 'Relu6',
  elu: 'Elu',
  prelu: 'Prelu',
  leakyrelu: 'LeakyRelu',
  sigmoid: 'Sigmoid',
};
/** The module's flags for the activations it applies itself (bit 1 relu, bit 2 relu6: same values as tfjs's Math.max/min). */
const ACTIVATION_FLAGS: Readonly<Record<string, number>> = { linear: 0, relu: 2, relu6: 4 };

/** `bias` as one row of n, when it broadcasts along the last axis only (else undefined: tfjs's Add). */
function biasRow(backend: CpuBackend, bias: tf.TensorInfo, p: Product): Float32Array | undefined {
  const values = float32(backend, bias);
  const shape = bias.shape;
  const last = shape.length === 0 ? 1 : (shape[shape.length - 1] as number);
  const row = shape.length <= p.outShape.length && shape.slice(0, -1).every((d) => d === 1) && (last === p.n || last === 1);
  if (!values || !row) return undefined;
  return last === p.n ? values : new Float32Array(p.n).fill(values[0] as number);
}

/**
 * A fused matmul kernel (`_FusedMatMul`: a·b, then bias, then activation) for the cpu backend: the
 * product, a bias row and linear/relu/relu6 in cpu-matmul.wat, any other bias and activation with
 * tfjs-cpu's own kernels (as its `_FusedMatMul` does); `original` for what the module cannot run.
 */
export function cpuFusedMatMul(original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const backend = args.backend as unknown as CpuBackend;
    const { a, b, bias, preluActivationWeights } = args.inputs as Record<string, tf.TensorInfo | undefined>;
    const attrs = args.attrs as { transposeA: boolean; transposeB: boolean; activation?: string; leakyreluAlpha?: number };
    const activation = attrs.activation ?? 'linear';
    const kernelName = ACTIVATION_KERNELS[activation];
    const activate = kernelName === undefined ? undefined : tf.getKernel(kernelName, 'cpu')?.kernelFunc;
    const add = bias ? tf.getKernel('Add', 'cpu')?.kernelFunc : undefined;
    const p = productOf(a as tf.TensorInfo, b as tf.TensorInfo, attrs.transposeA, attrs.transposeB);
    const [av, bv] = [float32(backend, a as tf.TensorInfo), float32(backend, b as tf.TensorInfo)];
    if (!p || !av || !bv || (bias && !add) || (activation !== 'linear' && !activate)) return original(args);
    const row = bias && biasRow(backend, bias, p);
    const inModule = bias === undefined || row !== undefined ? ACTIVATION_FLAGS[activation] : undefined;
    const values = multiply(p, av, bv, row, (row ? 1 : 0) | (inModule ?? 0));
    if (!values) return original(args);
    let current = backend.makeTensorInfo(p.outShape, 'float32', values);
    const replace = (next: tf.TensorInfo) => {
      backend.disposeIntermediateTensorInfo(current);
      current = next;
    };
    if (bias && !row) replace((add as tf.KernelFunc)({ inputs: { a: current, b: bias }, backend: args.backend }) as tf.TensorInfo);
    if (inModule === undefined && activation !== 'linear') {
      const inputs = activation === 'prelu' ? { x: current, alpha: preluActivationWeights as tf.TensorInfo } : { x: current };
      const alpha: tf.NamedAttrMap = activation === 'leakyrelu' ? { alpha: attrs.leakyreluAlpha as number } : {};
      replace((activate as tf.KernelFunc)({ inputs, backend: args.backend, attrs: alpha }) as tf.TensorInfo);
    }
    return current;
  };
}

/**
 * How many products cpu-matmul.wat has computed in this process (tests check that the fast path ran).
 * @internal
 */
export function cpuMatMulRuns(): number {
  return runs;
}

/**
 * Runs the given build (`'scalar'` to test the build for engines without SIMD) or, with undefined,
 * the one the engine supports; `recompile` also forgets the compiled modules. For tests.
 * @internal
 */
export function setCpuMatMulVariant(variant: 'simd' | 'scalar' | undefined, recompile = false): void {
  forced = variant;
  home = undefined;
  if (recompile) modules.clear();
}

/**
 * Lowers (or restores, with CPU_MATMUL_MAX_BYTES) the memory one call may use. For tests.
 * @internal
 */
export function setCpuMatMulMaxBytes(bytes: number): void {
  maxBytes = Math.min(bytes, CPU_MATMUL_MAX_BYTES);
  home = undefined;
}

const why = 'tfjs-cpu multiplies in JavaScript loops (<1 GFLOP/s): packed f32x4 WebAssembly tiles instead (18–36 GFLOP/s, 30–65×)';
defineFastPath({ backend: 'cpu', kernelName: 'BatchMatMul', why, kernel: cpuBatchMatMul });
defineFastPath({ backend: 'cpu', kernelName: '_FusedMatMul', why, kernel: cpuFusedMatMul });
