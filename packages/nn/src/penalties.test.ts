import { valueAndGrad } from '@gradkit/core';
import { expectClose, expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { l1Penalty, l2Penalty } from './penalties.js';
import { expectHyperError, variable } from './test-support.js';

const A = [1, -2, 0];
const B = [[0.5, -0.5]];
const make = () => ({ layer: { kernel: variable(() => tf.tensor1d(A)), bias: variable(() => tf.tensor2d(B)) } });
type P = ReturnType<typeof make>;

describe('l1Penalty / l2Penalty', () => {
  it('L1: λ·Σ|w| with gradient λ·sign(w), 0 at w = 0 (hand-worked)', async () => {
    const p = make();
    const { value, grads } = valueAndGrad((q: P) => l1Penalty(q, 0.1))(p);
    await expectClose(value, 0.1 * (1 + 2 + 0 + 0.5 + 0.5));
    await expectClose(grads.layer.kernel, [0.1, -0.1, 0]);
    await expectClose(grads.layer.bias, [[0.1, -0.1]]);
    tf.dispose([value, grads, p]);
  });

  it('L2: λ·Σw² with gradient 2λw (hand-worked)', async () => {
    const p = make();
    const { value, grads } = valueAndGrad((q: P) => l2Penalty(q, 0.1))(p);
    await expectClose(value, 0.1 * (1 + 4 + 0 + 0.25 + 0.25));
    await expectClose(grads.layer.kernel, [0.2, -0.4, 0]);
    await expectClose(grads.layer.bias, [[0.1, -0.1]]);
    tf.dispose([value, grads, p]);
  });

  it('penalizes only what the filter selects (by path), and an empty selection is 0', async () => {
    const p = make();
    const seen: string[] = [];
    const onlyKernels = (path: string) => {
      seen.push(path);
      return path.endsWith('kernel');
    };
    const { value, grads } = valueAndGrad((q: P) => tf.add(l2Penalty(q, 1, { filter: onlyKernels }), l1Penalty(q, 0.5, { filter: onlyKernels })))(p);
    expect(seen).toEqual(['layer.kernel', 'layer.bias', 'layer.kernel', 'layer.bias']);
    await expectClose(value, 5 + 0.5 * 3);
    await expectClose(grads.layer.kernel, [2 + 0.5, -4 - 0.5, 0]);
    await expectClose(grads.layer.bias, [[0, 0]]);
    const none = l1Penalty(p, 1, { filter: () => false });
    const zeroLambda = l2Penalty(p, 0);
    await expectClose(none, 0);
    await expectClose(zeroLambda, 0);
    tf.dispose([value, grads, none, zeroLambda, p]);
  });

  it('leaks nothing and rejects a negative or non-finite λ and a non-function filter', async () => {
    const p = make();
    await expectNoLeaks(() => {
      for (let i = 0; i < 20; i++) tf.dispose([l1Penalty(p, 0.1), l2Penalty(p, 0.1)]);
    });
    for (const fn of [l1Penalty, l2Penalty]) {
      expectHyperError(() => fn(p, -1), 'lambda');
      expectHyperError(() => fn(p, Number.NaN), 'lambda');
      expectHyperError(() => fn(p, '1' as never), 'lambda');
      expectHyperError(() => fn(p, 1, { filter: 'kernel' as never }), 'filter');
    }
    tf.dispose(p);
  });
});
