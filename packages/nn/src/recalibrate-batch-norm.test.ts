import { type GradientTransformation, type Module, map, Optimizer, type ParamTree } from '@gradkit/core';
import { BatchNorm } from '@gradkit/normalization';
import { expectClose, expectNoLeaks, hostileCases } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { batches, dense, dropout, recalibrateBatchNorm, residual, sequential } from './index.js';

/** Deterministic inputs: `rows` × 2 values of a small LCG, in [−2, 2). */
function values(rows: number, seed: number): number[][] {
  let s = seed;
  const next = () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return (s / 2147483648) * 4 - 2;
  };
  return Array.from({ length: rows }, () => [next(), next()]);
}

/** bn1 → dense(2→3) → residual(dense(3→3) → bn2): a BatchNorm at the top and one nested two levels down. */
function net() {
  const bn1 = BatchNorm({ features: 2 });
  const d1 = dense({ inFeatures: 2, outFeatures: 3, seed: 1 });
  const d2 = dense({ inFeatures: 3, outFeatures: 3, seed: 2 });
  const bn2 = BatchNorm({ features: 3 });
  return { model: sequential(bn1, d1, residual(sequential(d2, bn2))), bn1, bn2, d1, d2 };
}
type Net = ReturnType<typeof net>;

const read = async (t: tf.Tensor) => [...(await t.data())];

/** Per-feature batch mean and unbiased variance of rows, in float64. */
function stats(rows: number[][]): { mean: number[]; unbiased: number[]; biased: number[] } {
  const n = rows.length;
  const mean = (rows[0] as number[]).map((_, j) => rows.reduce((a, r) => a + (r[j] as number), 0) / n);
  const ss = mean.map((m, j) => rows.reduce((a, r) => a + ((r[j] as number) - m) ** 2, 0));
  return { mean, unbiased: ss.map((s) => s / (n - 1)), biased: ss.map((s) => s / n) };
}

/**
 * By hand (float64, from the weights read back): each BatchNorm's cumulative averages over `inputs`
 * of the batch mean and unbiased variance, the forward pass in training mode (bn: (h − mean)/√(biased
 * var + ε)·γ + β; dense: h·kernel + bias; the residual's sum does not reach bn2's input).
 */
async function expectedStats(n: Net, inputs: number[][][]) {
  const [g1, b1, k1, c1, k2, c2] = await Promise.all(
    [n.bn1.params.gamma, n.bn1.params.beta, n.d1.params.kernel, n.d1.params.bias, n.d2.params.kernel, n.d2.params.bias].map((t) => (t as tf.Tensor).array()),
  );
  const denseOf = (rows: number[][], k: number[][], c: number[]) =>
    rows.map((r) => c.map((cj, j) => cj + r.reduce((a, v, i) => a + v * ((k[i] as number[])[j] as number), 0)));
  const acc = { mean1: [0, 0], var1: [0, 0], mean2: [0, 0, 0], var2: [0, 0, 0] };
  const add = (into: number[], from: number[]) => {
    for (const [j, v] of from.entries()) into[j] = (into[j] as number) + v / inputs.length;
  };
  for (const x of inputs) {
    const s1 = stats(x);
    const normed = x.map((r) =>
      r.map((v, j) => ((v - (s1.mean[j] as number)) / Math.sqrt((s1.biased[j] as number) + 1e-5)) * (g1 as number[])[j]! + (b1 as number[])[j]!),
    );
    const s2 = stats(denseOf(denseOf(normed, k1 as number[][], c1 as number[]), k2 as number[][], c2 as number[]));
    add(acc.mean1, s1.mean);
    add(acc.var1, s1.unbiased);
    add(acc.mean2, s2.mean);
    add(acc.var2, s2.unbiased);
  }
  return acc;
}

async function expectRecalibrated(n: Net, inputs: number[][][]) {
  const e = await expectedStats(n, inputs);
  await expectClose(n.bn1.runningMean as tf.Tensor, e.mean1, { rtol: 1e-5, atol: 1e-6, what: 'bn1 runningMean' });
  await expectClose(n.bn1.runningVar as tf.Tensor, e.var1, { rtol: 1e-5, atol: 1e-6, what: 'bn1 runningVar' });
  await expectClose(n.bn2.runningMean as tf.Tensor, e.mean2, { rtol: 1e-5, atol: 1e-6, what: 'bn2 runningMean' });
  await expectClose(n.bn2.runningVar as tf.Tensor, e.var2, { rtol: 1e-5, atol: 1e-6, what: 'bn2 runningVar' });
  for (const bn of [n.bn1, n.bn2]) expect(await read(bn.numBatchesTracked as tf.Tensor)).toEqual([inputs.length]);
}

/** Two training passes with momentum 0.1 on other data, so the statistics are stale before recalibrating. */
function stale(n: Net): void {
  for (const seed of [101, 202]) tf.tidy(() => void n.model.apply(tf.tensor2d(values(6, seed))));
}

/** A transformation whose eval point shifts every parameter by +0.25 (to see that the statistics are taken at it). */
const shifted: GradientTransformation = {
  name: 'shiftedForEval',
  options: {},
  init: () => ({}),
  update: (grads, state) => ({ updates: map(grads, (g) => tf.mul(g, 0)), state }),
  evalPoint: {
    toEval: (params, state) => ({ params: map(params, (p) => tf.add(p, 0.25)), state }),
    toTrain: (params, state) => ({ params: map(params, (p) => tf.sub(p, 0.25)), state }),
  },
};

describe('recalibrateBatchNorm (the schedule_free README recipe; PyTorch bn.momentum = None)', () => {
  const inputs = [values(5, 1), values(5, 2), values(5, 3)];

  it('sets every BatchNorm, nested ones included, to the cumulative averages of the batch statistics, and puts their momentum back', async () => {
    const n = net();
    stale(n);
    const xs = inputs.map((x) => tf.tensor2d(x));
    const modes = [n.model.training, n.bn1.training, n.bn2.training];
    await expectNoLeaks(() => void expect(recalibrateBatchNorm(n.model, xs)).toBe(3), { what: 'recalibrateBatchNorm' });
    await expectRecalibrated(n, inputs);
    expect([n.model.training, n.bn1.training, n.bn2.training]).toEqual(modes);
    expect([n.bn1.momentum, n.bn2.momentum]).toEqual([0.1, 0.1]);
    // The next training pass folds its batch in with momentum 0.1 again: 0.9·old + 0.1·mean (bn1 sees x itself).
    const before = await read(n.bn1.runningMean as tf.Tensor);
    const next = values(4, 9);
    tf.tidy(() => void n.model.apply(tf.tensor2d(next)));
    await expectClose(
      n.bn1.runningMean as tf.Tensor,
      before.map((b, j) => 0.9 * b + 0.1 * (stats(next).mean[j] as number)),
      { rtol: 1e-5, atol: 1e-6 },
    );
    for (const x of xs) x.dispose();
    n.model.dispose();
  });

  it('with optimizer: puts it in eval mode first, and the statistics are those of the weights to evaluate', async () => {
    const n = net();
    const xs = inputs.map((x) => tf.tensor2d(x));
    const atY = await expectedStats(n, inputs);
    const opt = new Optimizer(n.model.params as ParamTree, shifted);
    recalibrateBatchNorm(n.model, xs, { optimizer: opt });
    expect(opt.mode).toBe('eval');
    await expectRecalibrated(n, inputs); // at the shifted weights read now
    // …which differ from the statistics at the training weights.
    expect(Math.abs((await read(n.bn2.runningMean as tf.Tensor))[0]! - atY.mean2[0]!)).toBeGreaterThan(1e-3);
    opt.dispose();
    for (const x of xs) x.dispose();
    n.model.dispose();
  });

  it('takes { x } batches from a batches(…) loader, stops after maxBatches and disposes the batches it took, leaking nothing', async () => {
    const n = net();
    const data = { x: tf.tensor2d(inputs.flat()), y: tf.zeros([15, 1]) };
    const loader = batches(data, { batchSize: 5, shuffle: false });
    await expectNoLeaks(() => void expect(recalibrateBatchNorm(n.model, loader, { maxBatches: 2 })).toBe(2), { what: 'recalibrateBatchNorm over a loader' });
    await expectRecalibrated(n, inputs.slice(0, 2));
    tf.dispose(data);
    n.model.dispose();
  });

  it('runs dropout in training mode as the README does, and recalibrates a lone BatchNorm', async () => {
    const bn = BatchNorm({ features: 2 });
    const drop = dropout(0.5, { seed: 3 });
    const x = tf.tensor2d(inputs[0] as number[][]);
    const rng = await read(drop.buffers.rngState);
    expect(recalibrateBatchNorm(sequential(bn, drop), [x, x])).toBe(2);
    expect(await read(drop.buffers.rngState)).not.toEqual(rng);
    await expectClose(bn.runningMean as tf.Tensor, stats(inputs[0] as number[][]).mean, { rtol: 1e-5, atol: 1e-6 });
    expect(recalibrateBatchNorm(bn, [x])).toBe(1);
    await expectClose(bn.runningVar as tf.Tensor, stats(inputs[0] as number[][]).unbiased, { rtol: 1e-5, atol: 1e-6 });
    x.dispose();
    bn.dispose();
    drop.dispose();
  });
});

const bad = (x: unknown) => x as never;
/** A model whose BatchNorm sits in a container that does not list its children (only its buffers). */
function opaque(): Module {
  const bn = BatchNorm({ features: 2 });
  const m = {
    name: 'opaque',
    params: { inner: bn.params },
    buffers: { inner: bn.buffers },
    training: true,
    apply: (x: tf.Tensor) => bn.apply(x),
    train: () => m,
    eval: () => m,
    dispose: () => bn.dispose(),
  };
  return m as unknown as Module;
}

describe('recalibrateBatchNorm, hostile', () =>
  hostileCases([
    { input: 'recalibrateBatchNorm(null, [x])', names: 'model', run: () => recalibrateBatchNorm(bad(null), [tf.zeros([2, 2])]) },
    { input: 'recalibrateBatchNorm(dense, [x]) (factory not called)', names: 'model', run: () => recalibrateBatchNorm(bad(dense), [tf.zeros([2, 2])]) },
    {
      input: 'recalibrateBatchNorm(a model without BatchNorm, [x])',
      names: 'model',
      run: () => recalibrateBatchNorm(sequential(dense({ inFeatures: 2, outFeatures: 2 })), [tf.zeros([2, 2])]),
    },
    {
      input: 'recalibrateBatchNorm(a BatchNorm inside an opaque container, [x])',
      names: 'model',
      run: () => recalibrateBatchNorm(opaque(), [tf.zeros([2, 2])]),
    },
    { input: 'recalibrateBatchNorm(model, x) (a tensor, not batches)', names: 'batches', run: () => recalibrateBatchNorm(net().model, bad(tf.zeros([2, 2]))) },
    { input: 'recalibrateBatchNorm(model, 50)', names: 'batches', run: () => recalibrateBatchNorm(net().model, bad(50)) },
    { input: 'recalibrateBatchNorm(model)', names: 'batches', run: () => recalibrateBatchNorm(net().model, bad(undefined)) },
    {
      input: 'recalibrateBatchNorm(model, [x], { max_batches: 50 })',
      names: 'max_batches',
      run: () => recalibrateBatchNorm(net().model, [tf.zeros([2, 2])], bad({ max_batches: 50 })),
    },
    {
      input: 'recalibrateBatchNorm(model, [x], { maxBatches: 0 })',
      names: 'maxBatches',
      run: () => recalibrateBatchNorm(net().model, [tf.zeros([2, 2])], { maxBatches: 0 }),
    },
    {
      input: 'recalibrateBatchNorm(model, [x], { maxBatches: 2.5 })',
      names: 'maxBatches',
      run: () => recalibrateBatchNorm(net().model, [tf.zeros([2, 2])], { maxBatches: 2.5 }),
    },
    {
      input: 'recalibrateBatchNorm(model, [x], { maxBatches: NaN })',
      names: 'maxBatches',
      run: () => recalibrateBatchNorm(net().model, [tf.zeros([2, 2])], { maxBatches: Number.NaN }),
    },
    {
      input: 'recalibrateBatchNorm(model, [x], { maxBatches: null })',
      names: 'maxBatches',
      run: () => recalibrateBatchNorm(net().model, [tf.zeros([2, 2])], bad({ maxBatches: null })),
    },
    {
      input: "recalibrateBatchNorm(model, [x], { optimizer: 'adam' })",
      names: 'optimizer',
      run: () => recalibrateBatchNorm(net().model, [tf.zeros([2, 2])], bad({ optimizer: 'adam' })),
    },
    { input: 'recalibrateBatchNorm(model, [x], 50)', names: 'options', run: () => recalibrateBatchNorm(net().model, [tf.zeros([2, 2])], bad(50)) },
    ...(
      [
        ['recalibrateBatchNorm(model, []) (no batch)', 'batches', () => []],
        ["recalibrateBatchNorm(model, [x, 'y'])", 'batches[1]', () => [tf.tensor2d(values(4, 5)), 'y']],
        [
          'recalibrateBatchNorm(model, [[1, 2], [3, 4]]) (arrays, not tensors)',
          'batches[0]',
          () => [
            [1, 2],
            [3, 4],
          ],
        ],
        ['recalibrateBatchNorm(model, [x, { y }]) (no x)', 'batches[1]', () => [tf.tensor2d(values(4, 5)), { y: tf.zeros([4, 1]) }]],
        ['recalibrateBatchNorm(model, [x, x3]) (3 features, not 2)', 'x', () => [tf.tensor2d(values(4, 5)), tf.zeros([4, 3])]],
      ] as const
    ).map(([input, names, given]) => ({
      input: `${input}, statistics and optimizer mode rolled back`,
      names,
      run: async (ctx: { watch: (...t: (tf.Tensor | Optimizer)[]) => Promise<void> }) => {
        const n = net();
        stale(n);
        const opt = new Optimizer(n.model.params as ParamTree, shifted);
        await ctx.watch(opt, ...[n.bn1, n.bn2].flatMap((bn) => [bn.runningMean, bn.runningVar, bn.numBatchesTracked] as tf.Tensor[]));
        recalibrateBatchNorm(n.model, bad(given()), { optimizer: opt });
      },
    })),
  ]));
