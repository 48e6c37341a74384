import { Optimizer } from '@gradkit/core';
import { sgd } from '@gradkit/optimizers';
import { currentBackend, expectClose, expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { profileStep, type StepPhase, type StepProfile } from '../index.js';

// A one-layer network whose kernels are known by hand: loss = Σ relu(x·w), x [128, 64], w [64, 256].
// Forward: BatchMatMul, Relu, Sum. Backward (tfjs-core 4.22's gradients, with only w a variable):
// Sum's gradient reshapes dy to [1, 1] and multiplies it by ones([128, 256]) (Reshape, Multiply);
// Relu's is dy · cast(step(x)) (Step, Cast, Multiply); BatchMatMul's for b is matMul(a, dy, true)
// (BatchMatMul); x is not a variable, so its gradient is pruned.
const FORWARD = { BatchMatMul: 1, Relu: 1, Sum: 1 };
const BACKWARD = { BatchMatMul: 1, Cast: 1, Multiply: 2, Reshape: 1, Step: 1 };

const x = tf.randomUniform([128, 64], -1, 1, 'float32', 7);
const init = tf.randomUniform([64, 256], -0.1, 0.1, 'float32', 8);
const loss = (p: { w: tf.Tensor }) => tf.sum(tf.relu(tf.matMul(x, p.w)));
const small = { steps: 2, warmup: 1, timedSteps: 2 };

/** The calls per step of each kernel of one phase, by name. */
const callsIn = (p: StepProfile, phase: StepPhase) =>
  Object.fromEntries(
    p.kernels
      .filter((k) => k.phase === phase)
      .map((k) => [k.name, k.calls])
      .sort(([a], [b]) => String(a).localeCompare(String(b))),
  );
const row = (p: StepProfile, phase: StepPhase, name: string) => p.kernels.find((k) => k.phase === phase && k.name === name);

function model() {
  const w = tf.tidy(() => tf.variable(init.clone()));
  return { w, opt: new Optimizer({ w }, sgd({ learningRate: 1e-3 })) };
}

describe('profileStep', () => {
  afterAll(() => tf.dispose([x, init]));

  it('splits a gradkit step into the kernels counted by hand, per phase', async () => {
    const { w, opt } = model();
    const p = await profileStep({ optimizer: opt, loss }, small);
    expect(p.target).toBe('optimizer');
    expect(p.backend).toBe(tf.getBackend());
    expect(callsIn(p, 'forward')).toEqual(FORWARD);
    expect(callsIn(p, 'backward')).toEqual(BACKWARD);
    expect(p.phases.forward.calls).toBe(3);
    expect(p.phases.backward.calls).toBe(6);
    expect(p.phases.update.calls).toBeGreaterThanOrEqual(1);
    expect(p.customOps).toEqual([]);
    expect(row(p, 'forward', 'BatchMatMul')?.shapes).toBe('[128,64]·[64,256]');
    expect(row(p, 'backward', 'BatchMatMul')?.shapes).toBe('[128,64]·[128,256]');
    opt.dispose();
    w.dispose();
  });

  it('a loss function has the same forward and backward, and no update', async () => {
    const w = tf.tidy(() => tf.variable(init.clone()));
    const before = await w.data();
    const p = await profileStep({ loss: () => loss({ w }), params: [w] }, small);
    expect(p.target).toBe('loss');
    expect(callsIn(p, 'forward')).toEqual(FORWARD);
    expect(callsIn(p, 'backward')).toEqual(BACKWARD);
    expect(p.phases.update).toEqual({ ms: 0, calls: 0, bytes: 0 });
    expect(Array.from(await w.data())).toEqual(Array.from(before));
    w.dispose();
  });

  it('counts the bytes of each kernel’s outputs', async () => {
    const { w, opt } = model();
    const p = await profileStep({ optimizer: opt, loss }, small);
    const f32 = (...shape: number[]) => 4 * shape.reduce((a, b) => a * b, 1);
    expect(row(p, 'forward', 'BatchMatMul')?.bytes).toBe(f32(128, 256)); // 131072
    expect(row(p, 'forward', 'Relu')?.bytes).toBe(f32(128, 256));
    expect(row(p, 'forward', 'Sum')?.bytes).toBe(4);
    expect(row(p, 'backward', 'BatchMatMul')?.bytes).toBe(f32(64, 256)); // dL/dw
    expect(row(p, 'backward', 'Multiply')?.bytes).toBe(2 * f32(128, 256));
    expect(p.phases.forward.bytes).toBe(2 * f32(128, 256) + 4);
    opt.dispose();
    w.dispose();
  });

  it('phase times add up to the kernel time, and kernel rows to their phases', async () => {
    const { w, opt } = model();
    // One profiled step: the medians are that step's sums, so the totals must agree exactly.
    const p = await profileStep({ optimizer: opt, loss }, { steps: 1, warmup: 1, timedSteps: 1 });
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    expect(p.kernelMs).toBeGreaterThan(0);
    expect(p.phases.forward.ms + p.phases.backward.ms + p.phases.update.ms).toBeCloseTo(p.kernelMs, 9);
    for (const phase of ['forward', 'backward', 'update'] as const) {
      const rows = p.kernels.filter((k) => k.phase === phase);
      expect(sum(rows.map((k) => k.ms))).toBeCloseTo(p.phases[phase].ms, 9);
      expect(sum(rows.map((k) => k.calls))).toBe(p.phases[phase].calls);
    }
    expect([...p.kernels].sort((a, b) => b.ms - a.ms)).toEqual(p.kernels);
    opt.dispose();
    w.dispose();
  });

  it('times plain steps, and trains exactly warmup + steps + timedSteps steps', async () => {
    const { w, opt } = model();
    const p = await profileStep({ optimizer: opt, loss }, { steps: 2, warmup: 1, timedSteps: 3 });
    expect(p.settings).toEqual({ warmup: 1, steps: 2, timedSteps: 3 });
    expect(p.stepMs.p10).toBeGreaterThan(0);
    expect(p.stepMs.p10).toBeLessThanOrEqual(p.stepMs.median);
    expect(p.stepMs.median).toBeLessThanOrEqual(p.stepMs.p90);
    expect(p.profiledStepMs).toBeGreaterThan(0);
    expect(opt.stepCount).toBe(6);
    const twin = model();
    for (let i = 0; i < 6; i++) await twin.opt.minimize(loss);
    await expectClose(w, twin.w, { rtol: 1e-6, atol: 1e-7, what: 'w after 6 steps' });
    for (const t of [opt, twin.opt, w, twin.w]) t.dispose();
  });

  it('leaks no tensor and leaves tfjs as it was', async () => {
    const { w, opt } = model();
    await opt.minimize(loss); // the optimizer's lazily made state, before counting
    const flags = { ...tf.env().getFlags() };
    await expectNoLeaks(() => profileStep({ optimizer: opt, loss }, small), { what: 'profileStep' });
    await expectNoLeaks(() => profileStep({ loss: () => loss({ w }), params: [w] }, small), { what: 'profileStep on a loss' });
    expect(tf.env().getFlags()).toEqual(flags);
    expect(Object.hasOwn(tf.engine(), 'gradients')).toBe(false);
    expect((tf.engine() as unknown as { state: { profiling: boolean } }).state.profiling).toBe(false);
    opt.dispose();
    w.dispose();
  });

  it('turns tfjs’s per-kernel NaN check off while profiling, and restores it', async () => {
    const { w, opt } = model();
    tf.env().set('CHECK_COMPUTATION_FOR_ERRORS', true);
    const seen: boolean[] = [];
    try {
      await profileStep(
        {
          optimizer: opt,
          loss: (p) => {
            seen.push(tf.env().getBool('CHECK_COMPUTATION_FOR_ERRORS'));
            return loss(p);
          },
        },
        { steps: 1, warmup: 0, timedSteps: 1 },
      );
      expect(tf.env().getBool('CHECK_COMPUTATION_FOR_ERRORS')).toBe(true);
    } finally {
      delete tf.env().getFlags().CHECK_COMPUTATION_FOR_ERRORS;
    }
    // The loss ran for the check, the timed step (flag on) and the profiled step (flag off).
    expect(seen).toEqual([true, true, false]);
    opt.dispose();
    w.dispose();
  });

  it.skipIf(currentBackend() !== 'webgpu')('on WebGPU without timestamp queries, times kernels on the CPU and says so', async () => {
    const { w, opt } = model();
    const backend = tf.backend() as unknown as { supportTimestampQuery: boolean; hasTimestampQueryWarned: boolean };
    const saved = { supportTimestampQuery: backend.supportTimestampQuery, hasTimestampQueryWarned: backend.hasTimestampQueryWarned };
    // What a device without 'timestamp-query' looks like to tfjs (its warning already given).
    Object.assign(backend, { supportTimestampQuery: false, hasTimestampQueryWarned: true });
    let p: StepProfile;
    try {
      p = await profileStep({ optimizer: opt, loss }, { steps: 1, warmup: 1, timedSteps: 1 });
    } finally {
      Object.assign(backend, saved);
    }
    expect(p.timing).toBe('cpu-encode');
    expect(p.notes[0]).toContain('no timestamp queries');
    // tfjs reports 0 for every kernel there; the CPU time between records is what is left to measure.
    expect(p.kernelMs).toBeGreaterThan(0);
    expect(p.kernelMs).toBeLessThanOrEqual(p.profiledStepMs);
    expect(callsIn(p, 'forward')).toEqual(FORWARD);
    opt.dispose();
    w.dispose();
  });

  it('puts tfjs back when a profiled step throws', async () => {
    const { w, opt } = model();
    let calls = 0;
    const failing = (p: { w: tf.Tensor }) => {
      if (++calls === 3) throw new Error('boom');
      return loss(p);
    };
    await expect(profileStep({ optimizer: opt, loss: failing }, { steps: 1, warmup: 0, timedSteps: 1 })).rejects.toThrow('boom');
    expect((tf.engine() as unknown as { state: { profiling: boolean } }).state.profiling).toBe(false);
    expect(Object.hasOwn(tf.engine(), 'gradients')).toBe(false);
    const info = await tf.profile(() => tf.tidy(() => tf.add(x, 1)).dispose());
    expect(info.kernels.map((k) => k.name)).toEqual(['Add']);
    opt.dispose();
    w.dispose();
  });
});
