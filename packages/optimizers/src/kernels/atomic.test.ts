import { GradkitError } from '@gradkit/core';
import { currentBackend, expectClose } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { cpuStep } from './cpu/step.js';
import type { FusedPlan, FusedStep, FusedTensors } from './plan.js';
import { CAUTIOUS_STEPS } from './register.js';
import { wasmStep } from './wasm/step.js';
import { webgpuStep } from './webgpu/step.js';

// The kernels are registered `atomic`: every backend checks all its inputs before its first write, so
// a step that throws has changed nothing (and the Optimizer keeps no backup copy of the buffers).
const STEPS: Readonly<Record<string, FusedStep>> = { cpu: cpuStep, wasm: wasmStep, webgpu: webgpuStep };

for (const [kind, steps] of [
  ['', STEPS],
  ['cautious ', CAUTIOUS_STEPS],
] as const)
  describe(`the ${kind}fused steps on ${currentBackend()} check every input before they write`, () => {
    const step = steps[currentBackend()] as FusedStep;
    const adam: FusedPlan = {
      rule: { kind: 'adam', lr: 0.1, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0, decoupled: false, amsgrad: false, stepSize: 1, bc2Sqrt: 0.03 },
      maxNorm: 1,
    };

    for (const [what, spoil] of [
      ['the first gradient is shorter', (t: FusedTensors, short: tf.Tensor) => ({ ...t, grads: [short, t.grads[1]] })],
      ['the second gradient is longer', (t: FusedTensors) => ({ ...t, grads: [t.grads[0], t.grads[0]] })],
      ['a slot is missing', (t: FusedTensors) => ({ ...t, slots: [t.slots[0]] })],
      ['the clip metric is not a scalar', (t: FusedTensors, short: tf.Tensor) => ({ ...t, clipMetrics: { norm: short, clipped: short } })],
    ] as const) {
      it(`${what}: a BAD_KERNEL_INPUT error, and the first parameter and its slots unchanged`, async () => {
        const ps = [tf.tensor1d([1, 2, 3]), tf.tensor1d([4, 5])];
        const gs = [tf.tensor1d([0.5, 0.5, 0.5]), tf.tensor1d([0.5, 0.5])];
        const slots = [ps.map((p) => tf.zerosLike(p)), ps.map((p) => tf.zerosLike(p))];
        const short = tf.tensor1d([1, 1]);
        const metrics = { norm: tf.scalar(0), clipped: tf.scalar(0) };
        const good: FusedTensors = { params: ps, grads: gs, slots, clipMetrics: metrics };
        let caught: unknown;
        try {
          step(tf.backend(), adam, (spoil as (t: FusedTensors, s: tf.Tensor) => FusedTensors)(good, short));
        } catch (e) {
          caught = e;
        }
        expect(caught).toBeInstanceOf(GradkitError);
        expect((caught as GradkitError).code).toBe('BAD_KERNEL_INPUT');
        await expectClose(ps[0] as tf.Tensor, [1, 2, 3], { rtol: 0, atol: 0 });
        for (const s of slots) await expectClose(s[0] as tf.Tensor, [0, 0, 0], { rtol: 0, atol: 0 });
        await expectClose(metrics.norm, 0, { rtol: 0, atol: 0 });
        tf.dispose([...ps, ...gs, ...slots.flat(), short, metrics.norm, metrics.clipped]);
      });
    }
  });
