import { DisposedError, HyperParameterError, type Module, Optimizer, ValueError, valueAndGrad } from '@gradkit/core';
import { sgd } from '@gradkit/optimizers';
import { expectClose, expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { BatchNorm, BatchNormModule } from './batch-norm-module.js';
import { GroupNorm } from './group-norm-module.js';
import { LayerNorm } from './layer-norm-module.js';
import { expectTypedError, forwardTolerance, gradTolerance } from './norm-test-kit.js';
import { RMSNorm } from './rms-norm-module.js';
import { groupLayout, type Layout, refBackward, refForward, seeded, size, trailingLayout } from './test-kit.js';

// References: torch.nn.LayerNorm, torch.nn.RMSNorm, torch.nn.GroupNorm (channels last), transcribed in
// float64 in test-kit.ts (refForward/refBackward).

interface ModuleCase {
  readonly what: string;
  make(): Module & { params: { gamma?: tf.Variable; beta?: tf.Variable } };
  readonly shape: number[];
  readonly paramShape: number[];
  readonly layout: Layout;
  readonly eps: number;
  readonly rms?: boolean;
  readonly name: string;
}

const CASES: ModuleCase[] = [
  {
    what: 'LayerNorm({ features: 4 }) on [3, 4]',
    make: () => new LayerNorm({ features: 4 }),
    shape: [3, 4],
    paramShape: [4],
    layout: trailingLayout([3, 4]),
    eps: 1e-5,
    name: 'layerNorm',
  },
  {
    what: 'LayerNorm({ features: [2, 3] }) on [2, 2, 3]',
    make: () => new LayerNorm({ features: [2, 3], epsilon: 1e-3 }),
    shape: [2, 2, 3],
    paramShape: [2, 3],
    layout: trailingLayout([2, 2, 3], 2),
    eps: 1e-3,
    name: 'layerNorm',
  },
  {
    what: 'RMSNorm({ features: 4 }) on [2, 3, 4]',
    make: () => new RMSNorm({ features: 4 }),
    shape: [2, 3, 4],
    paramShape: [4],
    layout: trailingLayout([2, 3, 4]),
    eps: 1e-6,
    rms: true,
    name: 'rmsNorm',
  },
  {
    what: 'GroupNorm({ groups: 2, channels: 4 }) on [2, 3, 2, 4]',
    make: () => new GroupNorm({ groups: 2, channels: 4 }),
    shape: [2, 3, 2, 4],
    paramShape: [4],
    layout: groupLayout([2, 3, 2, 4], 2),
    eps: 1e-5,
    name: 'groupNorm',
  },
];

describe('LayerNorm, RMSNorm and GroupNorm modules', () => {
  for (const c of CASES) {
    it(`${c.what}: gamma = 1 (and beta = 0), the same output in training and inference, equal to the float64 reference`, async () => {
      const m = c.make();
      expect(m.name).toBe(c.name);
      expect(Object.keys(m.params)).toEqual(c.rms ? ['gamma'] : ['gamma', 'beta']);
      expect(m.params.gamma?.shape).toEqual(c.paramShape);
      await expectClose(await (m.params.gamma as tf.Variable).data(), new Array(size(c.paramShape)).fill(1));
      if (!c.rms) await expectClose(await (m.params.beta as tf.Variable).data(), new Array(size(c.paramShape)).fill(0));
      expect(m.params.gamma?.trainable).toBe(true);
      const x = seeded(size(c.shape), 5, -2, 3);
      const xt = tf.tensor(x, c.shape);
      const ref = refForward(x, c.layout, null, null, c.eps, c.rms).y;
      const [a, b] = [m.apply(xt), m.eval().apply(xt)];
      expect(m.training).toBe(false);
      await expectClose(await a.data(), ref, forwardTolerance());
      await expectClose(await b.data(), ref, forwardTolerance());
      tf.dispose([xt, a, b]);
      m.dispose();
    });

    it(`${c.what}: trains with the Optimizer (sgd, 3 steps) along the float64 trajectory of gamma and beta`, async () => {
      const m = c.make();
      const opt = new Optimizer(m.params, sgd({ learningRate: 0.2 }));
      const p = size(c.paramShape);
      let gamma = new Array(p).fill(1);
      let beta: number[] | null = c.rms ? null : new Array(p).fill(0);
      const w = seeded(size(c.shape), 9, -1, 1);
      const wt = tf.tensor(w, c.shape);
      for (let t = 0; t < 3; t++) {
        const x = seeded(size(c.shape), 20 + t, -2, 2 + t);
        const xt = tf.tensor(x, c.shape);
        await opt.minimize(() => tf.sum(tf.mul(wt, m.apply(xt))));
        const g = refBackward(refForward(x, c.layout, gamma, beta, c.eps, c.rms), w, c.layout, gamma, c.rms);
        gamma = gamma.map((v, k) => v - 0.2 * (g.dgamma[k] as number));
        beta = beta?.map((v, k) => v - 0.2 * (g.dbeta[k] as number)) ?? null;
        xt.dispose();
      }
      await expectClose(await (m.params.gamma as tf.Variable).data(), gamma, gradTolerance());
      if (beta) await expectClose(await (m.params.beta as tf.Variable).data(), beta, gradTolerance());
      opt.dispose();
      wt.dispose();
      m.dispose();
    });

    it(`${c.what}: gradients wrt the input and the params through valueAndGrad match the float64 reference`, async () => {
      const m = c.make();
      const [x, w] = [seeded(size(c.shape), 30), seeded(size(c.shape), 31, -1, 1)];
      const [xt, wt] = [tf.tensor(x, c.shape), tf.tensor(w, c.shape)];
      const p = size(c.paramShape);
      const ref = refBackward(refForward(x, c.layout, new Array(p).fill(1), null, c.eps, c.rms), w, c.layout, new Array(p).fill(1), c.rms);
      const { value, grads } = valueAndGrad((q: { x: tf.Tensor; params: typeof m.params }) => tf.sum(tf.mul(wt, m.apply(q.x))))({ x: xt, params: m.params });
      await expectClose(await grads.x.data(), ref.dx, gradTolerance());
      await expectClose(await ((grads.params as Record<string, tf.Tensor>).gamma as tf.Tensor).data(), ref.dgamma, gradTolerance());
      if (!c.rms) await expectClose(await ((grads.params as Record<string, tf.Tensor>).beta as tf.Tensor).data(), ref.dbeta, gradTolerance());
      tf.dispose([xt, wt, value, grads] as tf.TensorContainer[]);
      m.dispose();
    });

    it(`${c.what}: no tensor leaks over many applies in both modes; dispose releases the params; apply afterwards throws`, async () => {
      const before = tf.memory().numTensors;
      const m = c.make();
      const x = tf.tensor(seeded(size(c.shape), 40), c.shape);
      await expectNoLeaks(() => {
        for (let i = 0; i < 50; i++) {
          m.train().apply(x).dispose();
          m.eval().apply(x).dispose();
          const { value, grads } = valueAndGrad((_p: typeof m.params) => tf.sum(tf.square(m.apply(x))))(m.params);
          tf.dispose([value, grads] as tf.TensorContainer[]);
        }
      });
      m.dispose();
      x.dispose();
      expect(tf.memory().numTensors).toBe(before);
      expect(() => m.apply(x)).toThrow(DisposedError);
    });
  }

  it('without affine parameters the modules have empty params', async () => {
    const [ln, rn, gn] = [
      new LayerNorm({ features: 3, elementwiseAffine: false }),
      new RMSNorm({ features: 3, elementwiseAffine: false }),
      new GroupNorm({ groups: 3, channels: 3, affine: false }),
    ];
    for (const m of [ln, rn, gn]) expect(m.params).toEqual({});
    const x = tf.tensor2d([
      [1, 2, 6],
      [0, 0, 3],
    ]);
    const y = rn.apply(x);
    await expectClose(y, [
      [1 / Math.sqrt(41 / 3 + 1e-6), 2 / Math.sqrt(41 / 3 + 1e-6), 6 / Math.sqrt(41 / 3 + 1e-6)],
      [0, 0, 3 / Math.sqrt(3 + 1e-6)],
    ]);
    tf.dispose([x, y]);
    for (const m of [ln, rn, gn]) m.dispose();
  });

  describe('bad input gets a typed error naming the argument', () => {
    const bad: [string, () => unknown, string][] = [
      ['LayerNorm features 0', () => new LayerNorm({ features: 0 }), 'features'],
      ['LayerNorm features []', () => new LayerNorm({ features: [] }), 'features'],
      ['LayerNorm epsilon 0', () => new LayerNorm({ features: 2, epsilon: 0 }), 'epsilon'],
      ['LayerNorm elementwiseAffine not a boolean', () => new LayerNorm({ features: 2, elementwiseAffine: 'no' as unknown as boolean }), 'elementwiseAffine'],
      ['RMSNorm features 1.5', () => new RMSNorm({ features: 1.5 }), 'features'],
      ['RMSNorm epsilon < 0', () => new RMSNorm({ features: 2, epsilon: -1 }), 'epsilon'],
      ['GroupNorm groups not dividing channels', () => new GroupNorm({ groups: 3, channels: 4 }), 'groups'],
      ['GroupNorm groups 0', () => new GroupNorm({ groups: 0, channels: 4 }), 'groups'],
      ['GroupNorm channels missing', () => new GroupNorm({ groups: 2 } as never), 'channels'],
      ['GroupNorm epsilon 0', () => new GroupNorm({ groups: 2, channels: 4, epsilon: 0 }), 'epsilon'],
      ['GroupNorm name not a string', () => new GroupNorm({ groups: 2, channels: 4, name: 3 as unknown as string }), 'name'],
    ];
    for (const [what, run, field] of bad) it(what, () => expectTypedError(run, HyperParameterError, field));

    const inputs: [string, () => Module, number[], string][] = [
      ['LayerNorm: x of another feature count', () => new LayerNorm({ features: 4 }), [2, 3], 'x'],
      ['LayerNorm([2, 3]): x whose trailing axes differ', () => new LayerNorm({ features: [2, 3] }), [2, 3, 2], 'x'],
      ['RMSNorm: x of another feature count', () => new RMSNorm({ features: 4 }), [2, 5], 'x'],
      ['GroupNorm: x of another channel count', () => new GroupNorm({ groups: 2, channels: 4 }), [2, 6], 'x'],
      ['GroupNorm: x without a batch axis', () => new GroupNorm({ groups: 2, channels: 4 }), [4], 'x'],
    ];
    for (const [what, make, shape, field] of inputs)
      it(what, () => {
        const m = make();
        expectTypedError(() => m.apply(tf.zeros(shape)), ValueError, field);
        m.dispose();
      });
  });
});

describe('modules are built with or without new (DESIGN writes BatchNorm({ features }))', () => {
  it('BatchNorm, LayerNorm, RMSNorm and GroupNorm construct either way', () => {
    const made = [
      BatchNorm({ features: 3 }),
      new BatchNorm({ features: 3 }),
      LayerNorm({ features: 3 }),
      RMSNorm({ features: 3 }),
      GroupNorm({ groups: 1, channels: 3 }),
    ];
    expect(made[0]).toBeInstanceOf(BatchNorm);
    expect(made[1]).toBeInstanceOf(BatchNormModule);
    expect(made[2]).toBeInstanceOf(LayerNorm);
    for (const m of made) m.dispose();
  });
});
