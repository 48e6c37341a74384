// The tfjs-layers adapter with the modern optimizers: Muon's routing (matrices to Muon, the rest to
// AdamW), schedule-free's eval point, and the wrappers, each in a real model.fit, saved and resumed.
import type { GradientTransformation } from '@gradkit/core';
import { expectClose, smallOutputMatMul } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { cautious } from './cautious.js';
import { emaParams } from './ema-params.js';
import { adamw, lion, type TransformOptimizer, toTfOptimizer } from './index.js';
import { lookahead } from './lookahead.js';
import { muon } from './muon.js';
import { scheduleFreeAdamW } from './schedule-free-adamw.js';
import { bitsOf, disposeAll, FIXTURES, fitFor, saveToMemory } from './tf-optimizer-fixtures.js';

/** Reading back every epoch and SwiftShader's shader compiles make these slow on webgpu. */
const SLOW = 120_000;

/** A regression the dense nets below can learn: y = sin(x₀) + x₁·x₂ − 0.5·x₃ over 64 points. */
function data(): [tf.Tensor2D, tf.Tensor2D] {
  let s = 7;
  const r = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  };
  const xs = Array.from({ length: 64 }, () => [r(), r(), r(), r()]);
  const ys = xs.map(([a, b, c, d]) => [Math.sin(a as number) + (b as number) * (c as number) - 0.5 * (d as number)]);
  return [tf.tensor2d(xs), tf.tensor2d(ys)];
}

/** Two hidden dense layers and a head named 'head', with fixed initial weights (glorot with a seed). */
function mlp(): tfl.Sequential {
  const init = (seed: number) => tfl.initializers.glorotUniform({ seed });
  return tfl.sequential({
    layers: [
      tfl.layers.dense({ units: 16, inputShape: [4], activation: 'tanh', kernelInitializer: init(1) }),
      tfl.layers.dense({ units: 16, activation: 'tanh', kernelInitializer: init(2) }),
      tfl.layers.dense({ units: 1, name: 'head', kernelInitializer: init(3) }),
    ],
  });
}

/** Trains `tx` on the regression for `epochs` epochs (2 steps each); the loss of the first and the last epoch, and the model (caller disposes). */
async function fitted(tx: GradientTransformation, epochs: number): Promise<{ first: number; last: number; model: tfl.Sequential; opt: TransformOptimizer }> {
  const model = mlp();
  const opt = toTfOptimizer(tx);
  model.compile({ optimizer: opt, loss: 'meanSquaredError' });
  const [xs, ys] = data();
  const history = await model.fit(xs, ys, { epochs, batchSize: 32, shuffle: false, verbose: 0 });
  tf.dispose([xs, ys]);
  const loss = history.history.loss as number[];
  return { first: loss[0] as number, last: loss[loss.length - 1] as number, model, opt };
}

/** The loss of `model` on the regression (model.evaluate). */
async function evaluate(model: tfl.LayersModel): Promise<number> {
  const [xs, ys] = data();
  const r = model.evaluate(xs, ys, { batchSize: 64 }) as tf.Scalar;
  const v = (await r.data())[0] as number;
  tf.dispose([xs, ys, r]);
  return v;
}

/** The optimizer's state tensors as getWeights returns them, by state path (`z.dense_Dense#1/kernel`). */
async function stateOf(opt: TransformOptimizer): Promise<Map<string, number[]>> {
  const out = new Map<string, number[]>();
  for (const w of await opt.getWeights())
    if (w.name.startsWith('gradkit:state:')) out.set(w.name.slice('gradkit:state:'.length), Array.from(await w.tensor.data()));
  return out;
}

describe('toTfOptimizer with muon', () => {
  smallOutputMatMul(); // the small-output matMul program on SwiftShader (tiny matrices)
  it(
    'model.fit trains: the kernels go to Muon, the biases to AdamW, and the loss falls',
    async () => {
      const { first, last, model, opt } = await fitted(muon({ learningRate: 0.02, adamw: { learningRate: 3e-3 } }), 15);
      expect(last).toBeLessThan(first / 1.5);
      const paths = [...(await stateOf(opt)).keys()];
      // Muon's momentum buffer for each kernel, AdamW's moments for each bias: the routing by rank.
      expect(paths.filter((p) => p.startsWith('muon.mu.')).sort()).toEqual([
        'muon.mu.dense_Dense#1/kernel',
        'muon.mu.dense_Dense#2/kernel',
        'muon.mu.head/kernel',
      ]);
      expect(paths.filter((p) => p.startsWith('adamw.mu.')).sort()).toEqual([
        'adamw.mu.dense_Dense#1/bias',
        'adamw.mu.dense_Dense#2/bias',
        'adamw.mu.head/bias',
      ]);
      disposeAll(model);
    },
    SLOW,
  );

  it(
    'muonParams sees the layer-relative paths, so the head can go to AdamW',
    async () => {
      const seen: string[] = [];
      const tx = muon({
        learningRate: 0.02,
        muonParams: (path, p) => {
          seen.push(path);
          return p.rank >= 2 && !path.startsWith('head/');
        },
        adamw: { learningRate: 3e-3 },
      });
      const { first, last, model, opt } = await fitted(tx, 15);
      expect(last).toBeLessThan(first / 1.5);
      expect(seen).toContain('head/kernel');
      const paths = [...(await stateOf(opt)).keys()];
      expect(paths.filter((p) => p.startsWith('muon.mu.')).sort()).toEqual(['muon.mu.dense_Dense#1/kernel', 'muon.mu.dense_Dense#2/kernel']);
      expect(paths).toContain('adamw.mu.head/kernel');
      // The predicate cannot be written to a model file: model.save names it.
      await expect(saveToMemory(model)).rejects.toMatchObject({ field: 'transform.muonParams' });
      disposeAll(model);
    },
    SLOW,
  );

  it('has two learning rates (the matrices’ and AdamW’s), so learningRate names both and asks for setTransform', () => {
    const opt = toTfOptimizer(muon({ learningRate: 0.02, adamw: { learningRate: 3e-4 } }));
    expect(() => opt.learningRate).toThrow(/2 parts have a learning rate \(muon, muon\/adamw\)/);
    expect(() => {
      opt.learningRate = 0.01;
    }).toThrow(/2 parts have a learning rate/);
    opt.dispose();
  });

  it(
    'a model saved with its optimizer resumes bit for bit (Muon’s momentum and AdamW’s moments in the file)',
    async () => {
      const dense = FIXTURES[0] as (typeof FIXTURES)[number];
      const template = dense.build();
      const init = template.getWeights().map((w) => w.clone());
      template.dispose();
      const fresh = () => {
        const m = dense.build();
        m.setWeights(init);
        m.compile({ optimizer: toTfOptimizer(muon({ learningRate: 0.02, adamw: { learningRate: 0.01 } })), loss: 'meanSquaredError' });
        return m;
      };
      const straight = fresh();
      await fitFor(straight, dense, 2);
      const expected = await bitsOf(straight);
      disposeAll(straight);
      const first = fresh();
      await fitFor(first, dense, 1);
      const artifacts = await saveToMemory(first);
      disposeAll(first);
      const loaded = await tfl.loadLayersModel(tf.io.fromMemory(artifacts));
      await fitFor(loaded, dense, 1);
      expect(await bitsOf(loaded)).toEqual(expected);
      disposeAll(loaded);
      tf.dispose(init);
    },
    SLOW,
  );
});

describe('toTfOptimizer with scheduleFreeAdamW', () => {
  smallOutputMatMul(); // the small-output matMul program on SwiftShader (tiny matrices)
  it(
    'model.fit trains; eval() puts x = y + (1 − 1/β₁)(z − y) in the weights, train() puts y back',
    async () => {
      const beta1 = 0.9;
      const { first, last, model, opt } = await fitted(scheduleFreeAdamW({ learningRate: 0.01, beta1, warmupSteps: 4 }), 15);
      expect(last).toBeLessThan(first / 1.5);
      const valuesOf = (m: tfl.LayersModel) => Promise.all(m.getWeights().map(async (w) => Array.from(await w.data())));
      const y = await valuesOf(model);
      // z per parameter, in the model's order (the state's paths follow the variables').
      const z = [...(await stateOf(opt))].filter(([p]) => p.startsWith('z.')).map(([, v]) => v);
      expect(z.length).toBe(y.length);
      const lossAtY = await evaluate(model);
      opt.eval();
      expect(opt.mode).toBe('eval');
      const x = await valuesOf(model);
      for (const [i, yi] of y.entries()) {
        const expected = yi.map((v, j) => v + (1 - 1 / beta1) * (((z[i] as number[])[j] as number) - v));
        await expectClose(x[i] as number[], expected, { rtol: 1e-5, atol: 1e-6, what: `weight ${i}` });
      }
      expect(x.flat().filter((v, j) => v !== y.flat()[j]).length).toBeGreaterThan(0); // x is not y
      const lossAtX = await evaluate(model);
      expect(Number.isFinite(lossAtX)).toBe(true);
      expect(lossAtX).not.toBe(lossAtY);
      const [xs, ys] = data();
      await expect(model.fit(xs, ys, { epochs: 1, verbose: 0 })).rejects.toMatchObject({ path: 'mode' });
      tf.dispose([xs, ys]);
      opt.train();
      for (const [i, w] of (await valuesOf(model)).entries()) await expectClose(w, y[i] as number[], { rtol: 1e-5, atol: 1e-6, what: `weight ${i}` });
      disposeAll(model);
    },
    SLOW,
  );
});

describe('toTfOptimizer with the wrappers', () => {
  smallOutputMatMul(); // the small-output matMul program on SwiftShader (tiny matrices)
  for (const [name, make] of [
    ['cautious(adamw)', () => cautious(adamw({ learningRate: 0.01 }))],
    ['lookahead(adamw)', () => lookahead(adamw({ learningRate: 0.01 }), { syncPeriod: 5 })],
    ['emaParams(lion)', () => emaParams(lion({ learningRate: 1e-3 }), { decay: 0.9 })],
  ] as const) {
    it(
      `${name}: model.fit trains, and the one learning rate is the inner optimizer's`,
      async () => {
        const { first, last, model, opt } = await fitted(make(), 15);
        expect(last).toBeLessThan(first / 1.5);
        expect(opt.learningRate).toBe(name.startsWith('emaParams') ? 1e-3 : 0.01);
        opt.learningRate = 0.005; // rebuilt from its config with the new rate, the state kept
        expect(opt.transform.inner?.options).toMatchObject({ learningRate: 0.005 });
        disposeAll(model);
      },
      SLOW,
    );
  }

  it(
    'emaParams: eval() puts the average in the weights (the state before), train() the trained weights back exactly',
    async () => {
      const { model, opt } = await fitted(emaParams(adamw({ learningRate: 0.01 }), { decay: 0.9 }), 5);
      const trained = await bitsOf(model);
      const ema = [...(await stateOf(opt))].filter(([p]) => p.startsWith('ema.')).map(([, v]) => v);
      opt.eval();
      const atEval = await Promise.all(model.getWeights().map(async (w) => Array.from(await w.data())));
      expect(atEval).toEqual(ema); // the model's weights are in the same order as the state's paths
      expect(await bitsOf(model)).not.toEqual(trained);
      opt.train();
      expect(await bitsOf(model)).toEqual(trained);
      disposeAll(model);
    },
    SLOW,
  );
});
