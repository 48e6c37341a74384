import { expectClose } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { constant, ones, zeros } from './constant.js';
import { expectHyperError, expectOneTensor, expectShapeErrors, valuesOf } from './test-support.js';

describe('zeros, ones, constant (torch.nn.init.zeros_ / ones_ / constant_)', () => {
  it('fill any shape of rank ≥ 1 with 0, 1 or the value', async () => {
    const made = [zeros()([2, 3]), ones()([4]), constant(0.25)([1, 2, 1])];
    await expectClose(made[0] as tf.Tensor, [
      [0, 0, 0],
      [0, 0, 0],
    ]);
    await expectClose(made[1] as tf.Tensor, [1, 1, 1, 1]);
    await expectClose(made[2] as tf.Tensor, [[[0.25], [0.25]]]);
    tf.dispose(made);
  });

  it('honour int32 and bool dtypes', async () => {
    const t = zeros()([3], 'int32');
    expect(t.dtype).toBe('int32');
    expect(await valuesOf(t)).toEqual([0, 0, 0]);
    const b = ones()([2], 'bool');
    expect(b.dtype).toBe('bool');
    expect(await valuesOf(b)).toEqual([1, 1]);
    expectHyperError(() => constant(0.5)([2], 'int32'), 'value');
    expectHyperError(() => zeros()([2], 'complex64'), 'dtype');
  });

  it('reject bad shapes and a non-finite value; leak nothing', async () => {
    expectShapeErrors(zeros());
    expectShapeErrors(constant(3));
    expectHyperError(() => constant(Number.NaN), 'value', /finite/);
    await expectOneTensor(ones(), [5, 2]);
  });
});
