// The cpu fast paths against tfjs-backend-cpu's own kernels, bit for bit, and against values worked
// by hand. They run on the cpu backend directly (found with tf.findBackend), so every backend's
// project checks them; through the engine they replace tfjs's kernels only on cpu.
import { currentBackend } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fastPathCalls, installFastPaths, setFastPaths } from './registry.js';
import '@tensorflow/tfjs-backend-cpu';
import './cpu-elementwise.js';

interface Cpu extends tf.KernelBackend {
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array | Int32Array): tf.TensorInfo;
  data: { get(id: tf.DataId): { values: Float32Array | Int32Array } };
}
let cpu: Cpu;
beforeAll(() => {
  installFastPaths('cpu');
  cpu = tf.findBackend('cpu') as Cpu;
});
afterEach(() => setFastPaths(true));

const f32 = (shape: number[], values: number[] | Float32Array) => cpu.makeTensorInfo(shape, 'float32', Float32Array.from(values));

/** Runs the registered cpu kernel with fast paths on or off; returns shape, dtype and values (and frees them). */
function run(kernel: string, inputs: Record<string, tf.TensorInfo>, attrs: tf.NamedAttrMap, fast: boolean) {
  setFastPaths(fast);
  const func = tf.getKernel(kernel, 'cpu')?.kernelFunc as tf.KernelFunc;
  const out = func({ inputs, backend: cpu, attrs }) as tf.TensorInfo;
  const values = Array.from(cpu.data.get(out.dataId).values);
  cpu.disposeData(out.dataId);
  return { shape: out.shape, dtype: out.dtype, values };
}

/** Both ways; asserts they agree bit for bit (NaN included) and returns the fast one. */
function both(kernel: string, inputs: Record<string, tf.TensorInfo>, attrs: tf.NamedAttrMap = {}) {
  const own = run(kernel, inputs, attrs, false);
  const before = fastPathCalls('cpu', kernel);
  const fast = run(kernel, inputs, attrs, true);
  expect(fastPathCalls('cpu', kernel)).toBe(before + 1);
  expect(fast.shape).toEqual(own.shape);
  expect(fast.dtype).toBe(own.dtype);
  expect(Float32Array.from(fast.values)).toEqual(Float32Array.from(own.values));
  return fast;
}

const seq = (n: number, scale = 0.37) => Array.from({ length: n }, (_, i) => Math.fround(((i * 7919) % 113) * scale - 20));

describe(`cpu fast paths (checked from the ${currentBackend()} project)`, () => {
  it('add: same shape, a bias over the batch, the bias first, a scalar', () => {
    const x = f32([2, 3], [1, 2, 3, 4, 5, 6]);
    const bias = f32([3], [10, 20, 30]);
    expect(both('Add', { a: x, b: f32([2, 3], [1, 1, 1, 2, 2, 2]) }).values).toEqual([2, 3, 4, 6, 7, 8]);
    expect(both('Add', { a: x, b: bias }).values).toEqual([11, 22, 33, 14, 25, 36]);
    expect(both('Add', { a: bias, b: x })).toMatchObject({ shape: [2, 3], values: [11, 22, 33, 14, 25, 36] });
    expect(both('Add', { a: x, b: f32([], [0.5]) }).values).toEqual([1.5, 2.5, 3.5, 4.5, 5.5, 6.5]);
  });

  it('sub and multiply keep operand order when the first operand is the broadcast one', () => {
    const x = f32([2, 2], [1, 2, 3, 4]);
    const v = f32([2], [10, 100]);
    expect(both('Sub', { a: v, b: x }).values).toEqual([9, 98, 7, 96]);
    expect(both('Sub', { a: x, b: v }).values).toEqual([-9, -98, -7, -96]);
    expect(both('Multiply', { a: x, b: v }).values).toEqual([10, 200, 30, 400]);
    expect(both('Multiply', { a: f32([3], [Number.NaN, 0, Number.POSITIVE_INFINITY]), b: f32([3], [0, Number.POSITIVE_INFINITY, 0]) }).values).toEqual([
      Number.NaN,
      Number.NaN,
      Number.NaN,
    ]);
  });

  it('large dense-layer shapes agree bit for bit', () => {
    const x = f32([64, 48], seq(64 * 48));
    const b = f32([48], seq(48, 0.01));
    both('Add', { a: x, b });
    both('Multiply', { a: x, b: f32([64, 48], seq(64 * 48, 0.11)) });
    both('Sum', { x }, { axis: [0], keepDims: false });
  });

  it('layouts it does not speed up go to tfjs: [n,1] + [1,m], int32', () => {
    const col = f32([2, 1], [1, 2]);
    const row = f32([1, 3], [10, 20, 30]);
    expect(both('Add', { a: col, b: row }).values).toEqual([11, 21, 31, 12, 22, 32]);
    const ints = cpu.makeTensorInfo([2], 'int32', Int32Array.from([3, 4]));
    expect(both('Add', { a: ints, b: ints })).toMatchObject({ dtype: 'int32', values: [6, 8] });
  });

  it('divide both ways, square and square root (NaN, ±0 and negatives as tfjs)', () => {
    const x = f32([2, 2], [1, -2, 0, 8]);
    const v = f32([2], [4, -0.5]);
    expect(both('RealDiv', { a: x, b: v }).values).toEqual([0.25, 4, 0, -16]);
    expect(both('RealDiv', { a: v, b: x }).values).toEqual([4, 0.25, Number.POSITIVE_INFINITY, -0.0625]);
    expect(both('Square', { x: f32([3], [-3, Number.NaN, 0.5]) }).values).toEqual([9, Number.NaN, 0.25]);
    expect(both('Sqrt', { x: f32([3], [9, -1, 0.25]) }).values).toEqual([3, Number.NaN, 0.5]);
  });

  it('relu and step (NaN stays NaN, step takes alpha)', () => {
    const x = f32([5], [-2, -0, 0.5, Number.NaN, 3]);
    expect(both('Relu', { x }).values).toEqual([0, 0, 0.5, Number.NaN, 3]);
    expect(both('Step', { x }, { alpha: 0 }).values).toEqual([0, 0, 1, Number.NaN, 1]);
    expect(both('Step', { x }, { alpha: 0.25 }).values).toEqual([0.25, 0.25, 1, Number.NaN, 1]);
  });

  it('sum over leading axes (bias gradients), keepDims, negative axes; other axes go to tfjs', () => {
    const x = f32([2, 2, 3], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(both('Sum', { x }, { axis: [0], keepDims: false })).toMatchObject({ shape: [2, 3], values: [8, 10, 12, 14, 16, 18] });
    expect(both('Sum', { x }, { axis: [1, 0], keepDims: true })).toMatchObject({ shape: [1, 1, 3], values: [22, 26, 30] });
    expect(both('Sum', { x }, { axis: -3, keepDims: false }).values).toEqual([8, 10, 12, 14, 16, 18]);
    expect(both('Sum', { x }, { axis: [2], keepDims: false })).toMatchObject({ shape: [2, 2], values: [6, 15, 24, 33] });
    // float64 accumulation rounded once, like tfjs-cpu: 1 + 2⁻²⁴ + 2⁻²⁴ = 1 + 2⁻²³ (float32 steps would lose both).
    const tiny = 2 ** -24;
    expect(both('Sum', { x: f32([3, 1], [1, tiny, tiny]) }, { axis: [0], keepDims: false }).values).toEqual([1 + 2 ** -23]);
  });

  it('transpose of the last two axes, odd and batched shapes; other permutations go to tfjs', () => {
    const x = f32([2, 3], [1, 2, 3, 4, 5, 6]);
    expect(both('Transpose', { x }, { perm: [1, 0] })).toMatchObject({ shape: [3, 2], values: [1, 4, 2, 5, 3, 6] });
    both('Transpose', { x: f32([37, 45], seq(37 * 45)) }, { perm: [1, 0] });
    both('Transpose', { x: f32([2, 33, 5], seq(330)) }, { perm: [0, 2, 1] });
    expect(both('Transpose', { x: f32([1, 2, 3], [1, 2, 3, 4, 5, 6]) }, { perm: [2, 0, 1] })).toMatchObject({ shape: [3, 1, 2] });
  });
});
