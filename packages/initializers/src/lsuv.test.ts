import { HyperParameterError, tap, UnknownOptionError, ValueError } from '@gradkit/core';
import { expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { type LsuvLayer, lsuv } from './lsuv.js';
import { normal } from './normal.js';
import { uniform } from './uniform.js';

const SIZES = [32, 64, 64, 64, 64, 10];

/** A variable holding `t` (which is disposed: tf.variable keeps its own reference to the data). */
const variableOf = (t: tf.Tensor) => {
  const v = tf.variable(t);
  t.dispose();
  return v;
};

/** A deep MLP: weights (initialised far from unit variance on purpose) and biases. */
function mlp(biasRange = 0) {
  const init = normal({ stddev: 0.3, seed: 11 });
  const biasInit = uniform({ min: -biasRange || -1e-9, max: biasRange || 1e-9, seed: 12 });
  const weights = SIZES.slice(0, -1).map((n, i) => variableOf(init([n, SIZES[i + 1] as number])));
  const biases = SIZES.slice(1).map((n) => variableOf(biasInit([n])));
  return { weights, biases, dispose: () => tf.dispose([...weights, ...biases]) };
}

const batchOf = () => normal({ seed: 5 })([256, 32]);

/** The population variance of each layer's pre-activation output, measured independently of lsuv. */
async function layerVariances(net: ReturnType<typeof mlp>, x: tf.Tensor, act: (t: tf.Tensor) => tf.Tensor): Promise<number[]> {
  const outs = tf.tidy(() => {
    let h = x;
    return net.weights.map((w, i) => {
      const z = tf.add(tf.matMul(h, w), net.biases[i] as tf.Tensor);
      h = act(z);
      return tf.moments(z).variance;
    });
  });
  const values = await Promise.all(outs.map(async (v) => (await v.data())[0] as number));
  tf.dispose(outs);
  return values;
}

/** max |WᵀW/scale² − I| for a tall or square weight, max |WWᵀ/scale² − I| for a wide one. */
async function orthogonalityError(w: tf.Tensor, scale: number): Promise<number> {
  const wide = (w.shape[0] as number) < (w.shape[1] as number);
  const g = tf.tidy(() => tf.div(wide ? tf.matMul(w, w, false, true) : tf.matMul(w, w, true, false), scale * scale));
  const n = g.shape[0] as number;
  const v = await g.data();
  g.dispose();
  let worst = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) worst = Math.max(worst, Math.abs((v[i * n + j] as number) - (i === j ? 1 : 0)));
  return worst;
}

const layersOf = (net: ReturnType<typeof mlp>, act: (t: tf.Tensor) => tf.Tensor): LsuvLayer[] =>
  net.weights.map((w, i) => ({
    weight: w,
    forward: (x: tf.Tensor) => tf.add(tf.matMul(x, w), net.biases[i] as tf.Tensor),
    activation: i < net.weights.length - 1 ? act : undefined,
  }));

describe('lsuv (Mishkin & Matas 2016)', () => {
  for (const [name, act] of [
    ['tanh', tf.tanh],
    ['relu', tf.relu],
  ] as const) {
    it(`a 5-layer ${name} MLP: every layer's output has unit variance on the batch (within 1 %)`, async () => {
      const net = mlp();
      const x = batchOf();
      const before = await layerVariances(net, x, act);
      expect(before.some((v) => Math.abs(v - 1) > 0.2)).toBe(true); // the test could fail: N(0, 0.3²) weights are far off
      const report = await lsuv(layersOf(net, act), x, { tolerance: 0.01, seed: 3 });
      const after = await layerVariances(net, x, act);
      for (const [i, v] of after.entries()) expect(Math.abs(v - 1), `layer ${i} variance ${v}`).toBeLessThan(0.01 + 1e-4);
      report.layers.forEach((l, i) => {
        expect(l.index).toBe(i);
        expect(Math.abs(l.variance - (after[i] as number))).toBeLessThan(1e-4);
        expect(l.iterations).toBeGreaterThanOrEqual(1);
      });
      // Orthogonal first, then only rescaled: WᵀW = scale²·I (WWᵀ for the wide first layer).
      for (let i = 0; i < 5; i++) expect(await orthogonalityError(net.weights[i] as tf.Tensor, report.layers[i]?.scale as number)).toBeLessThan(1e-4);
      net.dispose();
      x.dispose();
    });
  }

  it('converges iteratively when biases add variance that rescaling W does not touch', async () => {
    const net = mlp(0.5);
    const x = batchOf();
    const report = await lsuv(layersOf(net, tf.tanh), x, { tolerance: 0.001, maxIterations: 20, seed: 3 });
    const after = await layerVariances(net, x, tf.tanh);
    for (const [i, v] of after.entries()) expect(Math.abs(v - 1), `layer ${i}`).toBeLessThan(0.001 + 1e-4);
    expect(report.layers.some((l) => l.iterations > 1)).toBe(true);
    net.dispose();
    x.dispose();
  });

  it('the tap form (a model calling core.tap on each layer) gives the same weights as the layer list', async () => {
    const a = mlp();
    const b = mlp();
    const x = batchOf();
    await lsuv(layersOf(a, tf.tanh), x, { tolerance: 0.01, seed: 4 });
    const forward = (input: tf.Tensor) => {
      let h = input;
      b.weights.forEach((w, i) => {
        const z = tap(tf.add(tf.matMul(h, w), b.biases[i] as tf.Tensor), `dense${i}`);
        h = i < b.weights.length - 1 ? tf.tanh(z) : z;
      });
      return h;
    };
    const report = await lsuv({ forward, layers: b.weights.map((w, i) => ({ weight: w, tap: `dense${i}` })) }, x, { tolerance: 0.01, seed: 4 });
    expect(report.layers.map((l) => l.tap)).toEqual(['dense0', 'dense1', 'dense2', 'dense3', 'dense4']);
    for (let i = 0; i < a.weights.length; i++)
      expect(Array.from(await (b.weights[i] as tf.Tensor).data())).toEqual(Array.from(await (a.weights[i] as tf.Tensor).data()));
    a.dispose();
    b.dispose();
    x.dispose();
  });

  it('leaks no tensors (both forms)', async () => {
    const net = mlp();
    const x = batchOf();
    await expectNoLeaks(() => lsuv(layersOf(net, tf.relu), x, { seed: 1 }));
    const forward = (input: tf.Tensor) => tf.relu(tap(tf.matMul(input, net.weights[0] as tf.Tensor), 'l0'));
    await expectNoLeaks(() => lsuv({ forward, layers: [{ weight: net.weights[0] as tf.Variable, tap: 'l0' }] }, x, { seed: 1 }));
    net.dispose();
    x.dispose();
  });

  it('rejects bad options, a missing tap, a non-variable weight and a dead layer', async () => {
    const net = mlp();
    const x = batchOf();
    const layers = layersOf(net, tf.tanh);
    await expect(lsuv(layers, x, { tolerance: 0 })).rejects.toThrow(HyperParameterError);
    await expect(lsuv(layers, x, { maxIterations: -1 })).rejects.toMatchObject({ field: 'maxIterations' });
    await expect(lsuv(layers, x, { seed: 0.5 })).rejects.toMatchObject({ field: 'seed' });
    const w0 = net.weights[0] as tf.Variable;
    await expect(lsuv({ forward: (t) => tf.matMul(t, w0), layers: [{ weight: w0, tap: 'nope' }] }, x)).rejects.toThrow(/no tap 'nope'/);
    const plain = tf.zeros([32, 64]);
    await expect(lsuv([{ weight: plain as tf.Variable, forward: (t) => tf.matMul(t, plain) }], x)).rejects.toThrow(ValueError);
    const dead = variableOf(tf.zeros([32, 8]));
    await expect(lsuv([{ weight: dead, forward: (t) => tf.matMul(t, dead) }], x, { orthogonalInit: false })).rejects.toThrow(/variance 0/);
    tf.dispose([plain, dead, x]);
    net.dispose();
  });

  it('changes nothing when it fails part-way: a dead third layer puts the first two weights back bit for bit', async () => {
    const net = mlp();
    const x = batchOf();
    const layers = layersOf(net, tf.tanh);
    const dead = variableOf(tf.zeros([64, 64]));
    layers[2] = { weight: dead, forward: (t) => tf.matMul(t, dead), activation: tf.tanh };
    const before = await Promise.all(layers.map(async (l) => Array.from(await l.weight.data())));
    // orthogonalInit: false keeps the dead layer at 0; the first two layers are rescaled before it is reached.
    await expect(lsuv(layers, x, { orthogonalInit: false })).rejects.toMatchObject({ what: 'layers[2]' });
    for (const [i, l] of layers.entries()) expect(Array.from(await l.weight.data()), `layers[${i}]`).toEqual(before[i]);
    // In the tap form a missing second tap is found after the orthogonal initialisation and the first rescaling: both undone.
    const [w0, w1] = net.weights as [tf.Variable, tf.Variable];
    const model = {
      forward: (t: tf.Tensor) => tf.matMul(tf.tanh(tap(tf.matMul(t, w0), 'l0')), w1),
      layers: [
        { weight: w0, tap: 'l0' },
        { weight: w1, tap: 'l1' },
      ],
    };
    await expect(lsuv(model, x, { seed: 3 })).rejects.toThrow(/no tap 'l1'/);
    expect(Array.from(await w0.data())).toEqual(before[0]);
    expect(Array.from(await w1.data())).toEqual(before[1]);
    tf.dispose([dead, x]);
    net.dispose();
  });

  it('rejects an unknown key in a layer (act would silently drop the activation), a weight listed twice, a seed that would be ignored', async () => {
    const net = mlp();
    const x = batchOf();
    const w0 = net.weights[0] as tf.Variable;
    const forward = (t: tf.Tensor) => tf.matMul(t, w0);
    const typo = lsuv([{ weight: w0, forward, act: tf.relu } as LsuvLayer], x);
    await expect(typo).rejects.toBeInstanceOf(UnknownOptionError);
    await expect(lsuv([{ weight: w0, forward, act: tf.relu } as LsuvLayer], x)).rejects.toThrow(
      /unknown option 'act'.*valid options: weight, forward, activation/,
    );
    await expect(
      lsuv(
        [
          { weight: w0, forward },
          { weight: w0, forward },
        ],
        x,
      ),
    ).rejects.toMatchObject({ what: 'layers[1].weight' });
    await expect(lsuv({ forward, layers: [{ weight: w0, tap: 'a' }], taps: [] } as never, x)).rejects.toMatchObject({ field: 'taps' });
    await expect(lsuv([{ weight: w0, forward }], x, { orthogonalInit: false, seed: 1 })).rejects.toMatchObject({ field: 'seed' });
    await expect(lsuv([{ weight: w0, forward }], x, { tol: 0.1 } as never)).rejects.toMatchObject({ field: 'tol' });
    await expect(lsuv(null as never, x)).rejects.toMatchObject({ what: 'model' });
    await expect(lsuv([{ weight: w0, forward }], [1, 2] as never)).rejects.toMatchObject({ what: 'batch' });
    tf.dispose(x);
    net.dispose();
  });
});
