import { expectClose, expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { HyperParameterError, TreeMismatchError } from './errors.js';
import { heavyBall } from './fixtures/heavy-ball.js';
import { Optimizer } from './optimizer/optimizer.js';
import { partition } from './partition.js';
import { setToZero } from './set-to-zero.js';
import { applyUpdates } from './transform.js';

const makeParams = () => ({
  body: { kernel: tf.variable(tf.tensor2d([[1, 2]])), bias: tf.variable(tf.tensor1d([3])) },
  head: { kernel: tf.variable(tf.tensor2d([[4], [5]])) },
});
const gradsOf = () => ({ head: { kernel: tf.tensor2d([[1], [1]]) }, body: { bias: tf.tensor1d([2]), kernel: tf.tensor2d([[1, -1]]) } });
const label = (path: string) => (path.startsWith('head.') ? 'head' : path.endsWith('bias') ? 'frozen' : 'body');

describe('partition (optax.partition)', () => {
  const tx = () => partition({ body: heavyBall(0.1, 0.9), head: heavyBall(0.01, 0), frozen: setToZero() }, label);

  for (const fused of [false, true]) {
    it(`routes each parameter to its group's transformation (hand-computed; fused: ${fused})`, async () => {
      const params = makeParams();
      const opt = new Optimizer(params, tx(), { fused });
      const g = gradsOf();
      opt.step(g);
      opt.step(g);
      // body: heavy ball η 0.1 μ 0.9 → −0.29 g over two steps; head: −0.02 g; bias frozen
      await expectClose(params.body.kernel, [[1 - 0.29, 2 + 0.29]]);
      await expectClose(params.head.kernel, [[4 - 0.02], [5 - 0.02]]);
      await expectClose(params.body.bias, [3], { rtol: 0, atol: 0 });
      const saved = await opt.saveState();
      expect(Object.keys(saved.state).sort()).toEqual(['body.count', 'body.velocity.body.kernel', 'head.count', 'head.velocity.head.kernel']);
      opt.dispose();
      tf.dispose([Object.values(params.body), params.head.kernel, g.head.kernel, g.body.bias, g.body.kernel]);
    });
  }

  it('a tree of labels works like the function; the functional path pairs by key', async () => {
    const params = makeParams();
    const labels = { body: { kernel: 'body', bias: 'frozen' }, head: { kernel: 'head' } };
    const t = partition({ body: heavyBall(0.1, 0), head: heavyBall(1, 0), frozen: setToZero() }, labels);
    const r = t.update(gradsOf(), t.init(params), params);
    const next = applyUpdates(params, r.updates) as ReturnType<typeof makeParams>;
    await expectClose(next.body.kernel, [[0.9, 2.1]]);
    await expectClose(next.head.kernel, [[3], [4]]);
    await expectClose(next.body.bias, [3]);
  });

  it('a parameter without a label, or with an unknown one, is a TreeMismatchError naming its path', () => {
    const params = makeParams();
    expect(() => new Optimizer(params, partition({ body: heavyBall(0.1, 0) }, label))).toThrow(TreeMismatchError);
    try {
      new Optimizer(params, partition({ body: heavyBall(0.1, 0), head: heavyBall(0.1, 0), frozn: setToZero() }, label));
      expect.unreachable();
    } catch (e) {
      expect((e as TreeMismatchError).path).toBe('body.bias');
      expect((e as Error).message).toMatch(/did you mean 'frozn'/);
    }
    expect(() => partition({ a: heavyBall(0.1, 0) }, { body: { kernel: 'a' } }).init(params)).toThrow(/has no label/);
    expect(() => partition({}, label)).toThrow(HyperParameterError);
    expect(() => partition({ a: heavyBall as never }, label)).toThrow(/factory/);
  });

  it('leaks nothing over many steps', async () => {
    const params = makeParams();
    const opt = new Optimizer(params, tx());
    const g = gradsOf();
    opt.step(g);
    await expectNoLeaks(() => {
      for (let i = 0; i < 50; i++) opt.step(g);
    });
    opt.dispose();
  });
});
