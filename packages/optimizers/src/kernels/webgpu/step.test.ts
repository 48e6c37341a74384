import { Optimizer, type WebGpuBackend } from '@gradkit/core';
import { currentBackend, expectClose, expectNoLeaks, spread } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { adam, sgd } from '../../index.js';
import type { FusedPlan } from '../plan.js';
import { webgpuStep } from './step.js';

// The WebGPU fused step's structure (one submit, no readback, any size) and its decisions on the
// device, against float64 transcriptions of plan.ts's formulas (PyTorch `torch.optim.SGD` and
// `torch.nn.utils.clip_grad_norm_`, optax `apply_if_finite`). Rules' values: fused.test.ts.
const onWebGpu = currentBackend() === 'webgpu';

/** Counts `queue.submit` and `GPUBuffer.mapAsync` calls while installed. */
function countGpuCalls(backend: WebGpuBackend) {
  const queue = backend.device.queue as { submit(b: unknown[]): void };
  const proto = (globalThis as unknown as { GPUBuffer: { prototype: { mapAsync(...a: unknown[]): Promise<void> } } }).GPUBuffer.prototype;
  const [submit, mapAsync] = [queue.submit, proto.mapAsync];
  const counts = { submits: 0, readbacks: 0 };
  queue.submit = function (this: unknown, b: unknown[]) {
    counts.submits++;
    return submit.call(this, b);
  };
  proto.mapAsync = function (this: unknown, ...a: unknown[]) {
    counts.readbacks++;
    return mapAsync.apply(this, a);
  };
  return {
    counts,
    restore: () => {
      queue.submit = submit;
      proto.mapAsync = mapAsync;
    },
  };
}

/** Drops tfjs's CPU copies of tensors the step wrote (the `Optimizer` runner does this after its kernels). */
const dropCopies = (b: WebGpuBackend, ts: tf.Tensor[]) => {
  for (const t of ts) {
    const data = b.tensorMap.get(t.dataId);
    if (data) data.values = null;
  }
};

/** tfjs-backend-webgpu's `numBytesInGPU`: bytes of the buffers its pool has handed out. */
const gpuBytes = () => (tf.memory() as unknown as { numBytesInGPU: number }).numBytesInGPU;

/** Submits what tfjs has recorded but not submitted yet. */
const flushTfjs = (b: WebGpuBackend) => {
  if (b.commandEncoder) {
    b.endComputePassEncoder();
    b.submitQueue();
  }
};

describe.runIf(onWebGpu)('the fused step on webgpu', () => {
  let backend: WebGpuBackend;
  beforeEach(() => {
    backend = tf.backend() as unknown as WebGpuBackend;
  });
  afterEach(() => flushTfjs(backend));

  it('takes exactly one queue submit and no readback per step over 40 parameters (adam; guarded, clipped lion)', async () => {
    const params = tf.tidy(() => Object.fromEntries(Array.from({ length: 40 }, (_, k) => [`p${k}`, tf.variable(tf.tensor(spread(3 + 7 * k, k)))])));
    const grads = Object.fromEntries(Object.entries(params).map(([key, p], k) => [key, tf.tensor(spread(p.size, 50 + k))]));
    const opt = new Optimizer(params, adam({ learningRate: 0.01, amsgrad: true }));
    const ref = new Optimizer(
      tf.tidy(() => Object.fromEntries(Object.entries(params).map(([k, p]) => [k, tf.variable(p.clone())]))),
      adam({ learningRate: 0.01, amsgrad: true }),
      { fused: false },
    );
    opt.step(grads); // compiles and uploads
    ref.step(grads);
    flushTfjs(backend);
    const device = backend.device as unknown as { pushErrorScope(f: string): void; popErrorScope(): Promise<{ message: string } | null> };
    device.pushErrorScope('validation');
    const spy = countGpuCalls(backend);
    try {
      opt.step(grads);
    } finally {
      spy.restore();
    }
    expect(await device.popErrorScope()).toBeNull();
    expect(opt.lastStepPath).toBe('fused:GradkitAdam');
    expect(spy.counts).toEqual({ submits: 1, readbacks: 0 });
    expect(backend.commandEncoder).toBeNull();
    // The guarded, clipped path: reductions, finalize and updates still in one pass and one submit.
    const ps = Object.values(params);
    const slots = [ps.map((p) => tf.zerosLike(p))];
    const guard = { notfiniteCount: tf.scalar(0, 'int32'), totalNotfinite: tf.scalar(0, 'int32'), lastFinite: tf.scalar(true, 'bool') };
    const lion: FusedPlan = { rule: { kind: 'lion', lr: 1e-4, beta1: 0.9, beta2: 0.99, weightDecay: 0 }, maxNorm: 1, guard: 3 };
    const tensors = { params: ps.map((p) => tf.mul(p, 1)), grads: Object.values(grads), slots, guard };
    device.pushErrorScope('validation');
    webgpuStep(backend as unknown as tf.KernelBackend, lion, tensors);
    expect(await device.popErrorScope()).toBeNull();
    flushTfjs(backend);
    const spy2 = countGpuCalls(backend);
    try {
      webgpuStep(backend as unknown as tf.KernelBackend, lion, tensors);
    } finally {
      spy2.restore();
    }
    expect(spy2.counts).toEqual({ submits: 1, readbacks: 0 });
    tf.dispose([...tensors.params, ...slots.flat(), ...Object.values(guard)]);
    ref.step(grads);
    for (const [k, p] of Object.entries(params)) await expectClose(p, ref.params[k] as tf.Tensor);
    opt.dispose();
    ref.dispose();
    tf.dispose([...Object.values(params), ...Object.values(grads), ...Object.values(ref.params)]);
  });

  it('merges tfjs’s pending commands into its one submit, in order: ops queued before see the old values, ops after the new', async () => {
    const w = tf.tidy(() => tf.variable(tf.tensor1d([3, 4])));
    const g = tf.tensor1d([0.5, -0.5]);
    const plan: FusedPlan = { rule: { kind: 'sgd', lr: 1, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, first: true }, maxNorm: 0.5 };
    flushTfjs(backend);
    const spy = countGpuCalls(backend);
    let before: tf.Tensor;
    try {
      before = tf.mul(w, 10); // recorded, not submitted
      webgpuStep(backend as unknown as tf.KernelBackend, plan, { params: [w], grads: [g], slots: [] });
    } finally {
      spy.restore();
    }
    const after = tf.mul(w, 10);
    expect(spy.counts.submits).toBe(1);
    // ‖g‖ = √0.5 ≈ 0.7071 ≥ 0.5: g·0.5/‖g‖ = ±0.35355
    const c = 0.5 / Math.sqrt(0.5);
    await expectClose(before, [30, 40]);
    await expectClose(after, [10 * (3 - 0.5 * c), 10 * (4 + 0.5 * c)]);
    tf.dispose([w, g, before, after]);
  });

  it('guards on the device: a NaN anywhere skips every parameter and counts it in the int32/bool scalars', async () => {
    const ps = [tf.tensor1d([1, 2, 3]), tf.scalar(4)];
    const good = [tf.tensor1d([3, 0, 0]), tf.scalar(4)];
    const bad = [tf.tensor1d([1, Number.NaN, 1]), tf.scalar(1)];
    const guard = { notfiniteCount: tf.scalar(0, 'int32'), totalNotfinite: tf.scalar(5, 'int32'), lastFinite: tf.scalar(true, 'bool') };
    const rule = { kind: 'sgd', lr: 0.1, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, first: true } as const;
    const step = (grads: tf.Tensor[]) =>
      webgpuStep(backend as unknown as tf.KernelBackend, { rule, maxNorm: 1, guard: 1 }, { params: ps, grads, slots: [], guard });
    step(bad); // skipped: 1 in a row (not > 1)
    await expectClose(ps[0] as tf.Tensor, [1, 2, 3]);
    expect([...(await guard.notfiniteCount.data())]).toEqual([1]);
    expect([...(await guard.totalNotfinite.data())]).toEqual([6]);
    expect([...(await guard.lastFinite.data())]).toEqual([0]);
    dropCopies(backend, [...ps, ...Object.values(guard)]);
    step(good); // ‖g‖ = 5 → g/5 = (0.6, 0, 0, 0.8), p − 0.1·that
    await expectClose(ps[0] as tf.Tensor, [0.94, 2, 3]);
    await expectClose(ps[1] as tf.Tensor, 3.92);
    expect([...(await guard.notfiniteCount.data())]).toEqual([0]);
    expect([...(await guard.totalNotfinite.data())]).toEqual([6]);
    expect([...(await guard.lastFinite.data())]).toEqual([1]);
    tf.dispose([...ps, ...good, ...bad, ...Object.values(guard)]);
  });

  it('handles a parameter past one dispatch dimension (65535 workgroups of 64 threads × 4 elements = 16.8M), clipped by the global norm', async () => {
    const n = 65535 * 256 + 1001;
    const p = tf.fill([n], 1);
    const g = tf.fill([n], 0.5);
    const plan: FusedPlan = { rule: { kind: 'sgd', lr: 2, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, first: true }, maxNorm: 1 };
    webgpuStep(backend as unknown as tf.KernelBackend, plan, { params: [p], grads: [g], slots: [] });
    const v = await p.data();
    // ‖g‖ = 0.5·√n; each g becomes 0.5/‖g‖ = 1/√n; p = 1 − 2/√n everywhere, the last elements included.
    const expected = 1 - 2 / Math.sqrt(n);
    for (const i of [0, 1, 255, 256, 65535 * 256 - 1, 65535 * 256, n - 2, n - 1]) expect(v[i]).toBeCloseTo(expected, 6);
    let wrong = 0;
    for (let i = 0; i < n; i++) if (Math.abs((v[i] as number) - expected) > 1e-6) wrong++;
    expect(wrong).toBe(0);
    tf.dispose([p, g]);
  });

  it('refuses a gradient of another size or dtype instead of binding past its end', () => {
    const rule = { kind: 'sgd', lr: 1, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, first: true } as const;
    const [p, short, ints] = [tf.zeros([5]), tf.zeros([4]), tf.zeros([5], 'int32')];
    for (const g of [short, ints]) {
      expect(() => webgpuStep(backend as unknown as tf.KernelBackend, { rule }, { params: [p], grads: [g], slots: [] })).toThrow(/same size/);
    }
    tf.dispose([p, short, ints]);
  });

  it('clips by the right norm when another layout of partials ran before (stale partials are cleared)', async () => {
    const rule = { kind: 'sgd', lr: 1, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, first: true } as const;
    const run = async (n: number, value: number) => {
      const p = tf.zeros([n]);
      const g = tf.fill([n], value);
      webgpuStep(backend as unknown as tf.KernelBackend, { rule, maxNorm: 1 }, { params: [p], grads: [g], slots: [] });
      const v = await p.data();
      tf.dispose([p, g]);
      return v;
    };
    await run(4097, 100); // vec4 workgroups and a scalar tail partial (100² from the last element)
    const v = await run(4096, 1); // the same vec4 workgroups, no tail: ‖g‖ = 64, each g → 1/64
    await expectClose(v, new Float32Array(4096).fill(-1 / 64));
  });

  it('reads a parameter passed as its own gradient from a copy', async () => {
    const params = { w: tf.tidy(() => tf.variable(tf.tensor1d([2, -4, 6]))) };
    const opt = new Optimizer(params, sgd({ learningRate: 0.25 }));
    opt.step({ w: params.w });
    expect(opt.lastStepPath).toBe('fused:GradkitSgd');
    await expectClose(params.w, [1.5, -3, 4.5]);
    opt.dispose();
    params.w.dispose();
  });

  it('allocates nothing per step: GPU bytes and tensors unchanged over 500 guarded, clipped steps', async () => {
    const ps = [tf.ones([33]), tf.scalar(1)];
    const slots = [ps.map((p) => tf.zerosLike(p)), ps.map((p) => tf.zerosLike(p))];
    const grads = [tf.fill([33], 0.1), tf.scalar(-0.2)];
    const guard = { notfiniteCount: tf.scalar(0, 'int32'), totalNotfinite: tf.scalar(0, 'int32'), lastFinite: tf.scalar(true, 'bool') };
    const rule = { kind: 'adam', lr: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.01, decoupled: true, amsgrad: false } as const;
    const step = (t: number) =>
      webgpuStep(
        backend as unknown as tf.KernelBackend,
        { rule: { ...rule, stepSize: 1e-3 / (1 - 0.9 ** t), bc2Sqrt: Math.sqrt(1 - 0.999 ** t) }, maxNorm: 0.5, guard: 1 },
        { params: ps, grads, slots, guard },
      );
    step(1);
    await ps[0]?.data();
    const bytes = gpuBytes();
    await expectNoLeaks(async () => {
      for (let t = 2; t <= 501; t++) step(t);
      await ps[0]?.data();
    });
    expect(gpuBytes()).toBe(bytes);
    tf.dispose([...ps, ...slots.flat(), ...grads, ...Object.values(guard)]);
  });
});
