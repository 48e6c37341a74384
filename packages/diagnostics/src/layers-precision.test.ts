// gradientCallback on real tfjs-layers models (issue 15, "Precision, measured"): the probe of the
// layers' outputs, the loss and learning rate of each step, remedies in tfjs-layers' API that never
// offer what the model already has.

import { clipByGlobalNorm } from '@gradkit/clipping';
import { chain } from '@gradkit/core';
import { adam, toTfOptimizer } from '@gradkit/optimizers';
import { expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, describe, expect, it } from 'vitest';
import { type GradientReport, gradientCallback } from './index.js';
import { normals, seeded } from './test-support.js';

// 64 images 8×8×1 (|N(0, 0.5²)| pixels), 4 classes; a fixed probe batch of 16.
const rng = seeded(11);
const images = tf.tensor4d(
  normals(rng, 64 * 64).map((v) => Math.abs(v) * 0.5),
  [64, 8, 8, 1],
);
const labels = tf.tidy(() =>
  tf.cast(
    tf.oneHot(
      tf.tensor1d(
        Array.from({ length: 64 }, () => Math.floor(rng() * 4)),
        'int32',
      ),
      4,
    ),
    'float32',
  ),
);
const probe = tf.slice(images, [0, 0, 0, 0], [16, -1, -1, -1]);
afterAll(() => tf.dispose([images, labels, probe]));

/** A small conv net: two 3×3 relu convs (He init), flatten, a softmax dense; categoricalCrossentropy (which clips probabilities to [1e-7, 1 − 1e-7]). */
function convNet(optimizer: tf.Optimizer): tfl.Sequential {
  const m = tfl.sequential({
    layers: [
      tfl.layers.conv2d({ inputShape: [8, 8, 1], filters: 8, kernelSize: 3, activation: 'relu', kernelInitializer: tfl.initializers.heNormal({ seed: 1 }) }),
      tfl.layers.conv2d({ filters: 8, kernelSize: 3, activation: 'relu', kernelInitializer: tfl.initializers.heNormal({ seed: 2 }) }),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: 4, activation: 'softmax', kernelInitializer: tfl.initializers.glorotUniform({ seed: 3 }) }),
    ],
  });
  m.compile({ optimizer, loss: 'categoricalCrossentropy' });
  return m;
}
const fit = (m: tfl.LayersModel, callbacks: unknown, epochs: number) =>
  m.fit(images, labels, { epochs, batchSize: 16, shuffle: false, verbose: 0, callbacks: callbacks as never });
const advice = (r: GradientReport | undefined) => (r?.findings ?? []).flatMap((f) => f.toTry).join('\n');

describe('gradientCallback with a probe: why the gradients are zero', { timeout: 180_000 }, () => {
  it('a conv net at a learning rate 1000× too high: the softmax saturates, the clipped loss gives exactly zero gradients, and the verdict is exploding with "a lower learning rate", in tfjs-layers terms', async () => {
    const m = convNet(tf.train.adam(1)); // Adam's default is 1e-3
    const cb = gradientCallback({ model: m, every: 4, probe });
    await fit(m, cb, 3); // 12 steps; reports at 0, 4, 8
    const last = cb.monitor.latest as GradientReport;
    expect(last.layers.every((l) => l.gradNorm === 0)).toBe(true);
    // without the probe the same run cannot tell why: it says how to find out
    const blind = convNet(tf.train.adam(1));
    const cbBlind = gradientCallback({ model: blind, every: 4 });
    await fit(blind, cbBlind, 3);
    expect(cbBlind.monitor.latest?.findings[0]?.why).toMatch(/give gradientCallback a probe \(a batch of inputs, probe: xs\)/);
    cbBlind.detach();
    blind.dispose();
    // the probe: every layer's output, by layer name, with the kinds of their activation configs (softmax read as sigmoid)
    expect(last.activations.map((a) => a.kind)).toEqual(['relu', 'relu', 'relu', 'sigmoid']);
    expect(last.activations.map((a) => a.name)).toEqual(m.layers.map((l) => l.name));
    expect(last.activations[3]?.saturationFraction).toBe(1);
    expect(last.verdict).toBe('exploding'); // the old rules: 'vanishing', with advice about sigmoid derivatives and "a higher learning rate"
    const f = last.findings[0];
    expect(f?.what).toMatch(/below vanishingNorm .* while 100\.0% of the network's outputs dense_Dense\d+ are within 0\.01 of 0 or 1/);
    expect(f?.why).toMatch(/the output saturated and the loss clips/);
    expect(f?.toTry[0]).toMatch(/^a lower learning rate \(try 10× lower\) for the optimizer given to model\.compile/);
    const all = cb.monitor.history.map(advice).join('\n');
    expect(all).not.toMatch(/higher learning rate|sigmoid|@gradkit\/(normalization|initializers|activations)/);
    // He init is in place: not offered again
    expect(all).not.toMatch(/kernelInitializer: 'heNormal' on the relu layers/);
    // the loss of each reported batch is recorded
    expect(last.loss).toBeGreaterThan(5);
    cb.detach();
    m.dispose();
  });

  it('the same net at the default rate is healthy at every report', async () => {
    const m = convNet(tf.train.adam(1e-3));
    const cb = gradientCallback({ model: m, every: 4, probe });
    await fit(m, cb, 3);
    expect([...new Set(cb.monitor.history.map((r) => r.verdict))]).toEqual(['healthy']);
    expect(cb.monitor.history.flatMap((r) => r.findings)).toEqual([]);
    cb.detach();
    m.dispose();
  });

  it('10 ReLU layers at 4× He variance: the activations explode (std ×2 per layer) and the verdict is exploding, told to use heNormal', async () => {
    const x = tf.tensor2d(normals(seeded(3), 32 * 16), [32, 16]);
    const y = tf.tidy(() =>
      tf.cast(
        tf.oneHot(
          tf.tensor1d(
            Array.from({ length: 32 }, (_, i) => i % 4),
            'int32',
          ),
          4,
        ),
        'float32',
      ),
    );
    const init = (seed: number) => tfl.initializers.varianceScaling({ scale: 8, mode: 'fanIn', distribution: 'normal', seed }); // Var = 8/fanIn = 4 × He's
    const m = tfl.sequential({
      layers: [
        ...Array.from({ length: 10 }, (_, i) =>
          tfl.layers.dense({ units: 32, activation: 'relu', kernelInitializer: init(i + 1), ...(i === 0 ? { inputShape: [16] } : {}) }),
        ),
        tfl.layers.dense({ units: 4, activation: 'softmax' }),
      ],
    });
    m.compile({ optimizer: tf.train.sgd(1e-3), loss: 'categoricalCrossentropy' });
    const cb = gradientCallback({ model: m, probe: x });
    await m.fit(x, y, { epochs: 1, batchSize: 32, verbose: 0, callbacks: cb });
    const r = cb.monitor.latest as GradientReport;
    const stds = r.activations.map((a) => a.std);
    expect((stds[9] as number) / (stds[0] as number)).toBeGreaterThan(100); // ≈ 2⁹ = 512
    expect(r.verdict).toBe('exploding');
    expect(r.findings.map((f) => f.kind)).toContain('explodingActivations');
    expect(r.findings.map((f) => f.kind)).not.toContain('vanishing');
    expect(advice(r)).toMatch(/a variance-preserving kernelInitializer at scale 1: 'heNormal' for relu layers/);
    expect(advice(r)).toMatch(/toTfOptimizer\(chain\(clipByGlobalNorm\(1\), sgd\(\{ learningRate: 0\.001 \}\)\)\)/);
    cb.detach();
    tf.dispose([x, y]);
    m.dispose();
  });

  it('leaks nothing over many probed steps', async () => {
    const m = convNet(tf.train.adam(1e-3));
    await fit(m, [], 1); // warm-up: optimizer state, kernels
    const cb = gradientCallback({ model: m, every: 1, probe });
    await fit(m, cb, 1); // warm-up of the probe model
    await expectNoLeaks(() => fit(m, cb, 2).then(() => undefined));
    expect(cb.monitor.history).toHaveLength(12);
    cb.detach();
    m.dispose();
  });
});

describe('gradientCallback: a probe disposed during training', { timeout: 180_000 }, () => {
  it('is a StateError naming probe, given to onError; the reports go on without activations and training is not interrupted', async () => {
    const m = convNet(tf.train.adam(1e-3));
    const mine = tf.slice(images, [0, 0, 0, 0], [4, -1, -1, -1]);
    const errors: unknown[] = [];
    const cb = gradientCallback({ model: m, every: 2, probe: mine, onError: (e) => errors.push(e) });
    await fit(m, [cb, { onBatchEnd: async (batch: number) => void (batch === 0 && mine.dispose()) }], 1);
    expect(cb.monitor.history.map((r) => r.activations.length)).toEqual([4, 0]);
    expect(errors).toEqual([expect.objectContaining({ name: 'StateError', path: 'probe' })]);
    cb.detach();
    m.dispose();
  });
});

describe('gradientCallback: what the model already uses is not offered, in its own API', { timeout: 180_000 }, () => {
  /** A dense relu net, optionally with BatchNormalization, compiled with `optimizer`; exploding by a tiny explodingNorm. */
  async function explodingAdvice(optimizer: tf.Optimizer, batchNorm: boolean): Promise<string> {
    const x = tf.tensor2d(normals(seeded(5), 16 * 8), [16, 8]);
    const y = tf.tensor2d(normals(seeded(6), 16 * 2), [16, 2]);
    const m = tfl.sequential({
      layers: [
        tfl.layers.dense({ units: 8, inputShape: [8], activation: 'relu', kernelInitializer: 'heNormal' }),
        ...(batchNorm ? [tfl.layers.batchNormalization()] : []),
        tfl.layers.dense({ units: 2 }),
      ],
    });
    m.compile({ optimizer, loss: 'meanSquaredError' });
    const cb = gradientCallback({ model: m, explodingNorm: 1e-9 });
    await m.fit(x, y, { epochs: 1, batchSize: 16, verbose: 0, callbacks: cb });
    const r = cb.monitor.latest as GradientReport;
    expect(r.verdict).toBe('exploding');
    cb.detach();
    tf.dispose([x, y]);
    m.dispose();
    return advice(r);
  }

  it("tf.train.adam without normalization: clipping through gradkit's adapter, tf.layers.batchNormalization; heNormal is in place", async () => {
    const text = await explodingAdvice(tf.train.adam(1e-3), false);
    expect(text).toMatch(/model\.compile\(\{ optimizer: toTfOptimizer\(chain\(clipByGlobalNorm\(1\), adam\(\{ learningRate: 0\.001 \}\)\)\), loss \}\)/);
    expect(text).toMatch(/tf\.layers\.batchNormalization\(\)/);
    expect(text).not.toMatch(/variance-preserving|@gradkit\/(normalization|initializers)|yourOptimizer/);
  });

  it("gradkit's adapter with clipByGlobalNorm, and BatchNormalization in place: neither is offered again", async () => {
    const text = await explodingAdvice(toTfOptimizer(chain(clipByGlobalNorm(1), adam())), true);
    expect(text).not.toMatch(/clip|batchNormalization|layerNormalization/i);
  });
});

describe('gradientCallback: the loss and the learning rate of each step', { timeout: 180_000 }, () => {
  it("records each reported batch's loss, as tfjs-layers' onBatchEnd logs it", async () => {
    const m = convNet(tf.train.adam(1e-3));
    const logged: number[] = [];
    const cb = gradientCallback({ model: m, every: 2 });
    await fit(m, [cb, { onBatchEnd: async (_: number, logs?: { loss?: number }) => void logged.push(logs?.loss as number) }], 2);
    expect(cb.monitor.history.map((r) => r.step)).toEqual([0, 2, 4, 6]);
    expect(cb.monitor.history.map((r) => r.loss)).toEqual([0, 2, 4, 6].map((i) => expect.closeTo(logged[i] as number, 5)));
    cb.detach();
    m.dispose();
  });

  it('a rate decayed by a schedule (setLearningRate from a callback) is not told to rise; a constant tiny rate is', async () => {
    const decayed = convNet(tf.train.sgd(0.1));
    const sgd = decayed.optimizer as tf.SGDOptimizer;
    const a = gradientCallback({ model: decayed, every: 4 });
    // the rate falls 10× per batch after the first: 0.1, 0.01 … 1e-12 (a one-cycle tail, much compressed)
    await fit(decayed, [a, { onBatchEnd: async (batch: number) => sgd.setLearningRate(0.1 * 10 ** -(batch + 1) * (batch >= 3 ? 1e-8 : 1)) }], 2);
    const tiny = convNet(tf.train.sgd(1e-14));
    const b = gradientCallback({ model: tiny, every: 4 });
    await fit(tiny, b, 2);
    expect(b.monitor.history.slice(1).every((r) => r.findings.some((f) => f.kind === 'smallUpdates'))).toBe(true);
    expect(advice(b.monitor.latest)).toMatch(/a higher learning rate \(try 10× higher\) for the optimizer given to model\.compile/);
    expect(a.monitor.history.slice(1).some((r) => r.findings.some((f) => f.kind === 'smallUpdates'))).toBe(false);
    a.detach();
    b.detach();
    decayed.dispose();
    tiny.dispose();
  });
});
