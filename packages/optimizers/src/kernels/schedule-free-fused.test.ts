import type { ParamTree } from '@gradkit/core';
import { currentBackend, expectClose, expectFusedParity, PARITY_SHAPES, spread } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { scheduleFreeAdamW } from '../index.js';
import type { ScheduleFreeAdamWState } from '../schedule-free-adamw.js';
import { cpuStep } from './cpu/step.js';
import { type FusedStep, ruleOf } from './plan.js';
import { scheduleFreeHost } from './schedule-free-host.js';
import { wasmStep } from './wasm/step.js';
import { webgpuStep } from './webgpu/step.js';

// Schedule-Free AdamW's fused step against its functional path (scheduleFreeAdamW's own update, the
// reference the optimizer's tests check against facebookresearch/schedule_free), step by step: the
// backend's step is driven as core's runner drives it (rule from the options, this step's
// hyper-parameters and the state's lrMax/weightSum; those then advanced on the host).
const STEPS: Readonly<Record<string, FusedStep>> = { cpu: cpuStep, wasm: wasmStep, webgpu: webgpuStep };

const CASES = [
  ['defaults', () => scheduleFreeAdamW(), undefined],
  ['lr 0.01, warm-up 3 steps, weight decay, r 1', () => scheduleFreeAdamW({ learningRate: 0.01, warmupSteps: 3, weightDecay: 0.05, r: 1 }), undefined],
  [
    'scheduled lr and β₂, weightLrPower 0',
    () => scheduleFreeAdamW({ learningRate: (t: number) => 0.02 / (1 + t), beta2: (t: number) => 0.99 - 0.01 * t, weightLrPower: 0 }),
    undefined,
  ],
  ['after a global-norm clip at 5 (‖g‖ ≈ 64: clips every step)', () => scheduleFreeAdamW({ learningRate: 0.01, warmupSteps: 2 }), 5],
] as const;

/** A copy of `x` in a buffer of its own (a kernel writes it in place). */
const own = (x: tf.Tensor) => tf.mul(x, tf.scalar(1));

/**
 * What core's runner does after a kernel wrote in place, where a test calls the kernel itself: on
 * webgpu, drop the CPU copy that tfjs keeps of small tensors (computed on the CPU), so `data()` reads the buffer.
 */
function written(tensors: readonly tf.Tensor[]): void {
  if (currentBackend() !== 'webgpu') return;
  const map = (tf.backend() as unknown as { tensorMap: { get(id: object): { values: unknown } | undefined } }).tensorMap;
  for (const t of tensors) {
    const data = map.get(t.dataId);
    if (data) data.values = null;
  }
}

describe(`scheduleFreeAdamW's fused step on ${currentBackend()}`, () => {
  for (const [what, make, maxNorm] of CASES) {
    it(`${what}: y, z, nu and the host numbers match the functional path over 5 steps`, async () => {
      const step = STEPS[currentBackend()] as FusedStep;
      const shapes = PARITY_SHAPES;
      const start = shapes.map((s, k) => tf.tensor(spread(tf.util.sizeFromShape([...s]), k + 1), [...s]));
      const tx = make();
      // The functional path.
      let ref: ParamTree = Object.fromEntries(start.map((p, k) => [`p${k}`, own(p)]));
      let refState = tx.init(ref) as ScheduleFreeAdamWState;
      // The fused step, on buffers of its own.
      const params = start.map(own);
      const z = start.map(own);
      const nu = start.map((p) => tf.zerosLike(p));
      let numbers = { lrMax: refState.lrMax, weightSum: refState.weightSum };
      for (let t = 0; t < 5; t++) {
        const grads = shapes.map((s, k) => tf.tensor(spread(tf.util.sizeFromShape([...s]), 100 * t + k), [...s]));
        // clipByGlobalNorm's rule on the functional side: g·(maxNorm / ‖g‖) as (g / ‖g‖)·maxNorm.
        const norm = tf.tidy(() => tf.sqrt(tf.addN(grads.map((g) => tf.sum(tf.square(g))))));
        const refGrads = Object.fromEntries(grads.map((g, k) => [`p${k}`, maxNorm === undefined ? g : tf.mul(tf.div(g, norm), maxNorm)]));
        const { updates, state } = tx.update(refGrads, refState, ref);
        const next: ParamTree = Object.fromEntries(
          Object.entries(ref).map(([k, p]) => [k, tf.add(p as tf.Tensor, (updates as Record<string, tf.Tensor>)[k] as tf.Tensor)]),
        );
        tf.dispose([...Object.values(ref as Record<string, tf.Tensor>), ...Object.values(updates as Record<string, tf.Tensor>)]);
        if (maxNorm !== undefined) tf.dispose(Object.values(refGrads));
        tf.dispose([...Object.values(refState.z as Record<string, tf.Tensor>), ...Object.values(refState.nu as Record<string, tf.Tensor>)]);
        ref = next;
        refState = state as ScheduleFreeAdamWState;

        const rule = ruleOf('scheduleFreeAdamW', tx.options, tx.hyperParams?.(t) ?? {}, t, numbers);
        step(tf.backend(), { rule, ...(maxNorm === undefined ? {} : { maxNorm }) }, { params, grads, slots: [z, nu] });
        written([...params, ...z, ...nu]);
        const host = scheduleFreeHost(tx.options, tx.hyperParams?.(t) ?? {}, t, numbers);
        numbers = { lrMax: host.lrMax, weightSum: host.weightSum };
        tf.dispose([...grads, norm]);

        expect(numbers).toEqual({ lrMax: refState.lrMax, weightSum: refState.weightSum });
        for (const [k, p] of params.entries()) {
          await expectClose(p, (ref as Record<string, tf.Tensor>)[`p${k}`] as tf.Tensor);
          await expectClose(z[k] as tf.Tensor, (refState.z as Record<string, tf.Tensor>)[`p${k}`] as tf.Tensor);
          await expectClose(nu[k] as tf.Tensor, (refState.nu as Record<string, tf.Tensor>)[`p${k}`] as tf.Tensor);
        }
      }
      tf.dispose([...start, ...params, ...z, ...nu, ...Object.values(ref as Record<string, tf.Tensor>)]);
      tf.dispose([...Object.values(refState.z as Record<string, tf.Tensor>), ...Object.values(refState.nu as Record<string, tf.Tensor>)]);
    });
  }

  it('through the Optimizer: the fused kernel runs and matches', async () => {
    const path = await expectFusedParity(() => scheduleFreeAdamW({ learningRate: 0.01, warmupSteps: 2, weightDecay: 0.01 }), { steps: 5 });
    expect(path).toBe('fused:GradkitScheduleFreeAdamW');
  });
});
