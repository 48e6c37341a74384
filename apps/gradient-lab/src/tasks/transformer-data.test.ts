// The reversal data of the transformer task, checked against strings worked by hand.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { digitStream, reversalBatch, reversalTensors, VOCAB } from './transformer-data.js';

/** A stream that returns the given numbers in turn. */
const fixed = (values: number[]) => {
  let i = 0;
  return () => values[i++ % values.length] as number;
};

describe('reversalBatch', () => {
  it('reverses each string: 3 1 4 1 5 9 2 6 → 6 2 9 5 1 4 1 3', () => {
    const b = reversalBatch(fixed([3, 1, 4, 1, 5, 9, 2, 6]), 1, 8);
    expect([...b.inputs]).toEqual([3, 1, 4, 1, 5, 9, 2, 6]);
    expect([...b.targets]).toEqual([6, 2, 9, 5, 1, 4, 1, 3]);
  });

  it('takes each draw modulo 10 and lays the strings one after the other', () => {
    const b = reversalBatch(fixed([12, 7, 30, 45, 6, 99]), 2, 3);
    expect([...b.inputs]).toEqual([2, 7, 0, 5, 6, 9]);
    expect([...b.targets]).toEqual([0, 7, 2, 9, 6, 5]);
    expect(b.count).toBe(2);
  });

  it('is the same for the same seed and differs for another', () => {
    const a = reversalBatch(digitStream(1), 4, 8).inputs;
    expect([...reversalBatch(digitStream(1), 4, 8).inputs]).toEqual([...a]);
    expect([...reversalBatch(digitStream(2), 4, 8).inputs]).not.toEqual([...a]);
    expect(Math.max(...a)).toBeLessThan(VOCAB);
  });
});

describe('reversalTensors', () => {
  it('one-hot digit then one-hot position per token, and int32 targets', async () => {
    const { x, y } = reversalTensors(reversalBatch(fixed([3, 1, 4]), 1, 3));
    expect(x.shape).toEqual([1, 3, VOCAB + 3]);
    expect(y.dtype).toBe('int32');
    const rows = (await x.array())[0] as number[][];
    const expected = [
      [0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0],
      [0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0],
      [0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1],
    ];
    expect(rows).toEqual(expected);
    expect(await y.array()).toEqual([[4, 1, 3]]);
    tf.dispose([x, y]);
  });
});
