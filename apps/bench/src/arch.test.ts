// The architecture benchmark on the test's backend with tiny nets: gradkit and tfjs-layers train the
// same function from the same weights (their losses agree at steps 1–3), the GRU weight mapping is
// exact where the two GRUs' equations coincide, a mismatch throws, nothing leaks.
import { fastPathsEnabled } from '@gradkit/core';
import { currentBackend, expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { ARCH_TOLERANCE, benchArch } from './arch.js';
import { archData } from './arch-data.js';
import { archGradkitSide } from './arch-gradkit.js';
import { archLayersSide, layersWeights } from './arch-layers.js';
import { ARCH_SIZES, ARCH_VARIANTS, type RecurrentSizes } from './arch-names.js';
import { PEER_ADAM } from './peer.js';
import { QUICK_ARCH } from './plan.js';

const hyper = { ...PEER_ADAM, learningRate: 1e-3 };
// A step of even these tiny nets takes about a second on SwiftShader (hundreds of dispatches): on
// WebGPU two variants, two checked steps and one round keep each test within a few seconds.
const gpu = currentBackend() === 'webgpu';
const rounds = gpu ? { maxRounds: 1, minRounds: 1, budgetMs: 0 } : { maxRounds: 2, minRounds: 2, budgetMs: 0 };
const checkSteps = gpu ? [1, 2] : [1, 2, 3];
const variants = gpu ? (['gradkit', 'tfjs-layers'] as const) : ARCH_VARIANTS;

describe(`the architecture benchmark on ${currentBackend()}`, () => {
  for (const quick of QUICK_ARCH)
    it(`${quick.model}: every variant trains the same net, timed, its memory measured`, async () => {
      const fastBefore = fastPathsEnabled();
      const r = await expectNoLeaks(() => benchArch({ ...quick, batches: 2, checkSteps, variants, warmup: 0, rounds }));
      expect(fastPathsEnabled()).toBe(fastBefore);
      expect(r.model).toBe(quick.model);
      expect(r.config.sizes).toEqual({ ...ARCH_SIZES[quick.model], ...quick.sizes });
      expect(r.config.params).toBeGreaterThan(0);
      // tfjs-backend-wasm alone has no Conv2DBackpropFilter: tfjs-layers alone cannot train a conv net
      // there (gradkit supplies the kernel, which is unregistered for that variant), and says why.
      expect(r.unavailable).toEqual(
        currentBackend() === 'wasm' && quick.model === 'conv' ? { 'tfjs-layers': "Kernel 'Conv2DBackpropFilter' not registered for backend 'wasm'" } : {},
      );
      const ran = variants.filter((v) => r.unavailable[v] === undefined);
      expect(Object.keys(r.variants)).toEqual(ran);
      for (const v of ran) {
        expect(r.variants[v]?.samples, v).toBe(rounds.maxRounds);
        expect((r.variants[v]?.median as number) > 0, v).toBe(true);
        // A step keeps activations for the backward pass, and frees all of them.
        expect(r.memory[v]?.peakBytes, v).toBeGreaterThan(0);
        expect(r.memory[v]?.newTensors, v).toBe(0);
      }
      expect(r.gradkitPath).toMatch(/^(reference|fused:\w+)$/);
      const median = (v: (typeof ARCH_VARIANTS)[number]) => r.variants[v]?.median;
      if (median('tfjs-layers') !== undefined)
        expect(r.ratios.gradkitOverLayers).toBeCloseTo((median('tfjs-layers') as number) / (median('gradkit') as number), 12);
      else expect(r.ratios.gradkitOverLayers).toBeNull();

      // The losses: the variants that train the same function agree, and the nets train (the last ≠ the first).
      const check = r.lossCheck;
      expect(check.steps).toEqual(checkSteps);
      expect(check.compared).toEqual(ran.filter((v) => !(quick.model === 'gru' && v === 'gradkit')));
      expect(check.pass).toBe(true);
      for (const spread of check.spread) expect(spread).toBeLessThan(ARCH_TOLERANCE);
      const g = check.all.gradkit as number[];
      expect(Math.abs((g.at(-1) as number) - (g[0] as number))).toBeGreaterThan(1e-6);
    });

  it("the GRU's weights map exactly where the two GRUs' equations coincide (no recurrent weights into the candidate)", async () => {
    // With the candidate's recurrent kernel U_n and bias b_hn zero, PyTorch's r ⊙ (h·U_n + b_hn) and
    // Keras' (r ⊙ h)·U_n are both 0, so the GRUs compute the same function and the first losses agree
    // when the r and z blocks of every weight go where Keras expects them and their biases are summed
    // (z and r swapped, or a recurrent bias dropped, would change the loss).
    const sizes: RecurrentSizes = { batch: 3, time: 4, features: 2, hidden: 4 };
    const h = sizes.hidden;
    await expectNoLeaks(async () => {
      const data = archData('gru', sizes, 1, 3);
      const gradkit = archGradkitSide('gru', sizes, data, hyper, 3);
      const gru = gradkit.modules[0]?.params as Record<'kernel' | 'recurrentKernel' | 'bias' | 'recurrentBias', tf.Variable>;
      tf.tidy(() => {
        const u = gru.recurrentKernel;
        gru.recurrentKernel.assign(tf.concat([tf.slice(u, [0, 0], [h, 2 * h]), tf.zeros([h, h])], 1));
        gru.bias.assign(tf.linspace(-0.5, 0.5, 3 * h));
        gru.recurrentBias.assign(tf.concat([tf.linspace(0.3, -0.4, 2 * h), tf.zeros([h])]));
      });
      const weights = layersWeights('gru', gradkit.modules);
      const layers = archLayersSide('gru', sizes, data, hyper, weights);
      tf.dispose(weights);
      try {
        const a = await gradkit.step(0);
        const b = await layers.step(0);
        expect(Math.abs(a / b - 1)).toBeLessThan(1e-6);
      } finally {
        gradkit.dispose();
        layers.dispose();
        data.dispose();
      }
    });
  });

  it('tfjs-layers with gradkit runs only where gradkit installs a fast path or kernel (cpu, wasm; not WebGPU)', async () => {
    const lstm = QUICK_ARCH.find((o) => o.model === 'lstm');
    const r = await expectNoLeaks(() =>
      benchArch({
        ...lstm,
        model: 'lstm',
        variants: ['tfjs-layers + gradkit'],
        checkSteps: [1],
        warmup: 0,
        rounds: { maxRounds: 1, minRounds: 1, budgetMs: 0 },
      }),
    );
    if (gpu) {
      expect(r.unavailable).toEqual({ 'tfjs-layers + gradkit': 'the same kernels as tfjs-layers alone: gradkit installs no fast path or kernel on webgpu' });
      expect(r.variants).toEqual({});
    } else {
      expect(r.unavailable).toEqual({});
      expect(Object.keys(r.variants)).toEqual(['tfjs-layers + gradkit']);
    }
    expect(r.gradkitPath).toBeNull();
  });

  it('a loss mismatch fails the run, naming the net and the losses', async () => {
    const fastBefore = fastPathsEnabled();
    const lstm = QUICK_ARCH.find((o) => o.model === 'lstm');
    await expect(expectNoLeaks(() => benchArch({ ...lstm, model: 'lstm', checkSteps: [1], tolerance: -1, warmup: 0, rounds }))).rejects.toThrow(
      /arch lstm: the libraries do not train the same way: at step 1 .*losses at steps 1: gradkit /,
    );
    expect(fastPathsEnabled()).toBe(fastBefore);
  });
});
