// The peer benchmark on the test's backend with a tiny MLP: all five variants train the same net (their
// losses match a float64 reference trainer written here, forward, backprop and Adam by hand), the
// check throws on a mismatch, and the timings and ratios are consistent.
import { fastPathsEnabled } from '@gradkit/core';
import { currentBackend, expectNoLeaks } from '@gradkit/testing';
import { describe, expect, it } from 'vitest';
import { benchPeer, checkLosses, describeMismatch, PEER_ADAM, PEER_TOLERANCE } from './peer.js';
import { type PeerData, peerData, uniforms } from './peer-data.js';
import { PEER_VARIANTS } from './peer-names.js';

/** Trains the MLP of `data` for `steps` steps in float64 (softmax cross-entropy, Adam as optax) and returns the loss before each update. */
function referenceLosses(data: PeerData, learningRate: number, steps: number): number[] {
  const { beta1, beta2, epsilon } = PEER_ADAM;
  const layers = data.weights.map((w) => ({ ...w, k: Float64Array.from(w.kernel), b: Float64Array.from(w.bias) }));
  const slots = layers.map((l) => ({
    mk: new Float64Array(l.k.length),
    vk: new Float64Array(l.k.length),
    mb: new Float64Array(l.b.length),
    vb: new Float64Array(l.b.length),
  }));
  const batch = data.batch;
  const losses: number[] = [];
  for (let t = 1; t <= steps; t++) {
    const x = Float64Array.from(data.x[(t - 1) % data.x.length] as Float32Array);
    const y = data.y[(t - 1) % data.y.length] as Float32Array;
    // Forward, keeping every layer's input and pre-activation.
    const inputs: Float64Array[] = [x];
    const pre: Float64Array[] = [];
    layers.forEach((l, li) => {
      const a = inputs[li] as Float64Array;
      const z = new Float64Array(batch * l.outputs);
      for (let n = 0; n < batch; n++)
        for (let o = 0; o < l.outputs; o++) {
          let s = l.b[o] as number;
          for (let i = 0; i < l.inputs; i++) s += (a[n * l.inputs + i] as number) * (l.k[i * l.outputs + o] as number);
          z[n * l.outputs + o] = s;
        }
      pre.push(z);
      inputs.push(li < layers.length - 1 ? z.map((v) => Math.max(v, 0)) : z);
    });
    // Mean softmax cross-entropy and its gradient (softmax − y) / batch.
    const classes = (layers.at(-1) as (typeof layers)[number]).outputs;
    const logits = pre.at(-1) as Float64Array;
    let dz = new Float64Array(batch * classes);
    let loss = 0;
    for (let n = 0; n < batch; n++) {
      const row = logits.subarray(n * classes, (n + 1) * classes);
      const max = Math.max(...row);
      const sum = row.reduce((s, v) => s + Math.exp(v - max), 0);
      for (let c = 0; c < classes; c++) {
        const logp = (row[c] as number) - max - Math.log(sum);
        loss -= ((y[n * classes + c] as number) * logp) / batch;
        dz[n * classes + c] = (Math.exp(logp) - (y[n * classes + c] as number)) / batch;
      }
    }
    losses.push(loss);
    // Backward, then Adam on every parameter.
    for (let li = layers.length - 1; li >= 0; li--) {
      const l = layers[li] as (typeof layers)[number];
      const a = inputs[li] as Float64Array;
      const gk = new Float64Array(l.k.length);
      const gb = new Float64Array(l.b.length);
      const da = new Float64Array(batch * l.inputs);
      for (let n = 0; n < batch; n++)
        for (let o = 0; o < l.outputs; o++) {
          const d = dz[n * l.outputs + o] as number;
          gb[o] = (gb[o] as number) + d;
          for (let i = 0; i < l.inputs; i++) {
            gk[i * l.outputs + o] = (gk[i * l.outputs + o] as number) + (a[n * l.inputs + i] as number) * d;
            da[n * l.inputs + i] = (da[n * l.inputs + i] as number) + (l.k[i * l.outputs + o] as number) * d;
          }
        }
      const s = slots[li] as (typeof slots)[number];
      for (const [p, g, m, v] of [
        [l.k, gk, s.mk, s.vk],
        [l.b, gb, s.mb, s.vb],
      ] as const)
        for (let j = 0; j < p.length; j++) {
          m[j] = beta1 * (m[j] as number) + (1 - beta1) * (g[j] as number);
          v[j] = beta2 * (v[j] as number) + (1 - beta2) * (g[j] as number) ** 2;
          const mHat = (m[j] as number) / (1 - beta1 ** t);
          const vHat = (v[j] as number) / (1 - beta2 ** t);
          p[j] = (p[j] as number) - (learningRate * mHat) / (Math.sqrt(vHat) + epsilon);
        }
      if (li > 0) {
        const zPrev = pre[li - 1] as Float64Array;
        dz = da.map((d, j) => ((zPrev[j] as number) > 0 ? d : 0));
      }
    }
  }
  return losses;
}

const tiny = { sizes: [6, 5, 4, 3], batch: 4, batches: 2, stepsPerSample: 2, warmup: 1, rounds: { maxRounds: 2, minRounds: 2, budgetMs: 0 } };

describe(`peer benchmark on ${currentBackend()}`, () => {
  it('gradkit, tfjs-layers and jax-js train the same tiny MLP, as a float64 trainer does', async () => {
    const fastBefore = fastPathsEnabled();
    const r = await expectNoLeaks(() => benchPeer({ ...tiny, learningRate: 0.01, checkSteps: [1, 2, 3, 6] }));
    expect(fastPathsEnabled()).toBe(fastBefore);
    expect(r.model).toBe('custom');
    expect(r.config).toMatchObject({ sizes: [6, 5, 4, 3], batch: 4, params: 6 * 5 + 5 + 5 * 4 + 4 + 4 * 3 + 3, tensors: 6, stepsPerSample: 2 });
    expect(r.config.adam).toEqual({ ...PEER_ADAM, learningRate: 0.01 });
    expect(r.unavailable).toEqual({});
    expect(r.jaxDevice).toBe(currentBackend() === 'webgpu' ? 'webgpu' : 'wasm');
    expect(r.jaxVersion).toMatch(/^\d+\.\d+\.\d+/);
    expect(r.gradkitPath).toMatch(/^(reference|fused:\w+)$/);
    for (const v of PEER_VARIANTS) {
      const s = r.variants[v];
      expect(s && Number.isFinite(s.median) && s.median > 0, v).toBe(true);
      expect(s?.samples, v).toBe(2);
    }
    const median = (v: (typeof PEER_VARIANTS)[number]) => r.variants[v]?.median as number;
    expect(r.ratios.gradkitOverJax).toBeCloseTo(median('jax-js') / median('gradkit'), 12);
    expect(r.ratios.gradkitOverLayers).toBeCloseTo(median('tfjs-layers') / median('gradkit'), 12);
    expect(r.ratios.layersFastPaths).toBeCloseTo(median('tfjs-layers') / median('tfjs-layers + gradkit'), 12);
    expect(r.ratios.gradkitFastPaths).toBeCloseTo(median('gradkit, fast paths off') / median('gradkit'), 12);

    // Every variant's losses at steps 1, 2, 3 and 6 against the float64 trainer's, to the peer's tolerance
    // (float32 rounding gives about 1e-7 here; jax-js's wasm device is about 7e-6 off, its webgpu device 6e-8).
    const data = peerData(tiny.sizes, tiny.batch, tiny.batches, 1);
    const want = referenceLosses(data, 0.01, 6);
    data.dispose();
    expect(r.lossCheck.pass).toBe(true);
    expect(r.lossCheck.steps).toEqual([1, 2, 3, 6]);
    for (const v of PEER_VARIANTS) {
      const got = r.lossCheck.losses[v] as number[];
      [1, 2, 3, 6].forEach((step, i) => {
        expect(Math.abs((got[i] as number) / (want[step - 1] as number) - 1), `${v} at step ${step}`).toBeLessThan(PEER_TOLERANCE);
      });
    }
    // The net trains: the reference loss moves over the steps (so the comparison covers Adam's updates).
    expect(Math.abs((want[5] as number) - (want[0] as number))).toBeGreaterThan(1e-3);
  });

  it('a loss mismatch fails the run, naming the step and every loss', async () => {
    const fastBefore = fastPathsEnabled();
    // A tolerance below zero makes any spread (even 0) a mismatch: the check's failure path, end to end.
    await expect(expectNoLeaks(() => benchPeer({ ...tiny, checkSteps: [1, 2], tolerance: -1, jax: false }))).rejects.toThrow(
      /peer custom: the libraries do not train the same way: at step 1, 2 .*losses at steps 1, 2: gradkit /,
    );
    expect(fastPathsEnabled()).toBe(fastBefore);
  });

  it('without jax-js the other variants run and say why jax-js did not', async () => {
    const r = await benchPeer({ ...tiny, checkSteps: [1], jax: false, rounds: { maxRounds: 1, minRounds: 1, budgetMs: 0 } });
    expect(Object.keys(r.variants)).toEqual(PEER_VARIANTS.filter((v) => v !== 'jax-js'));
    expect(r.unavailable).toEqual({ 'jax-js': 'not run (jax: false)' });
    expect(r.jaxDevice).toBeNull();
    expect(r.ratios.gradkitOverJax).toBeNull();
  });
});

describe('the loss check', () => {
  it('measures (max − min) ÷ min per step and fails above the tolerance', () => {
    const c = checkLosses([1, 5], { gradkit: [2, 1.0002], 'jax-js': [2.000002, 1] }, PEER_TOLERANCE);
    expect(c.spread[0]).toBeCloseTo(1e-6, 15);
    expect(c.spread[1]).toBeCloseTo(2e-4, 12);
    expect(c.pass).toBe(false);
    expect(describeMismatch(c)).toBe(
      'the libraries do not train the same way: at step 5 their losses differ by 2.0e-4 relative (tolerance 1e-4); losses at steps 1, 5: gradkit 2.0000000, 1.0002000; jax-js 2.0000020, 1.0000000',
    );
    expect(checkLosses([1], { gradkit: [2], 'jax-js': [2.0001] }, PEER_TOLERANCE).pass).toBe(true);
    // A non-finite loss is never within tolerance.
    expect(checkLosses([1], { gradkit: [Number.NaN], 'jax-js': [2] }, PEER_TOLERANCE).pass).toBe(false);
  });

  it('the seeded data is the same on every call and He-normal', () => {
    const a = peerData([300, 200, 3], 2, 1, 5);
    const b = peerData([300, 200, 3], 2, 1, 5);
    try {
      expect(a.weights[0]?.kernel).toEqual(b.weights[0]?.kernel);
      expect(a.x[0]).toEqual(b.x[0]);
      const k = a.weights[0]?.kernel as Float32Array;
      const variance = k.reduce((s, v) => s + v * v, 0) / k.length;
      // He-normal: variance 2 / fan-in = 2/300; 60k samples put the estimate within ±2% (4 standard errors).
      expect(Math.abs(variance / (2 / 300) - 1)).toBeLessThan(0.024);
      expect(a.y[0]?.reduce((s, v) => s + v, 0)).toBe(2);
      // mulberry32's first output for seed 1, from the widely copied reference gist (bryc/code, PRNGs.md).
      expect(uniforms(1)()).toBeCloseTo(0.6270739405881613, 15);
    } finally {
      a.dispose();
      b.dispose();
    }
  });
});
