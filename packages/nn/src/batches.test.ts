import { ValueError } from '@gradkit/core';
import { currentBackend, expectClose, expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { batches } from './batches.js';
import { expectHyperError } from './test-support.js';

const N = 10;
/** x[i] = [i, −i], y[i] = 10·i: each batch's rows must stay paired. */
const makeData = () => ({
  x: tf.tensor2d(Array.from({ length: N }, (_, i) => [i, -i])),
  y: tf.tensor1d(Array.from({ length: N }, (_, i) => 10 * i)),
});

/** Runs one epoch; returns the sample ids per batch (checking x/y pairing) and disposes the batches. */
async function epoch(loader: Iterable<{ x: tf.Tensor; y: tf.Tensor }>): Promise<number[][]> {
  const out: number[][] = [];
  for (const batch of loader) {
    const [xs, ys] = [Array.from(await batch.x.data()), Array.from(await batch.y.data())];
    expect(batch.x.shape).toEqual([ys.length, 2]);
    const ids = ys.map((v) => v / 10);
    expect(xs).toEqual(ids.flatMap((i) => [i, -i]));
    out.push(ids);
    tf.dispose(batch);
  }
  return out;
}
const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const ALL = Array.from({ length: N }, (_, i) => i);

describe('batches', () => {
  it('yields batches of batchSize with a smaller last one, covering every sample once per epoch', async () => {
    const data = makeData();
    const loader = batches(data, { batchSize: 3, seed: 1 });
    expect(loader.length).toBe(4);
    expect(loader.numSamples).toBe(N);
    for (let e = 0; e < 3; e++) {
      const ids = await epoch(loader);
      expect(ids.map((b) => b.length)).toEqual([3, 3, 3, 1]);
      expect(sorted(ids.flat())).toEqual(ALL);
    }
    expect(loader.epoch).toBe(3);
    tf.dispose(data);
  });

  it('reshuffles every epoch, deterministically per seed', async () => {
    const data = makeData();
    const a = batches(data, { batchSize: 4, seed: 7 });
    const b = batches(data, { batchSize: 4, seed: 7 });
    const c = batches(data, { batchSize: 4, seed: 8 });
    const epochsOf = async (l: typeof a) => [await epoch(l), await epoch(l), await epoch(l)].map((e) => e.flat());
    const ea = await epochsOf(a);
    expect(await epochsOf(b)).toEqual(ea);
    expect(await epochsOf(c)).not.toEqual(ea);
    expect(ea[1]).not.toEqual(ea[0]);
    expect(ea[2]).not.toEqual(ea[1]);
    expect(ea[0]).not.toEqual(ALL);
    const next = a.peekOrder();
    expect((await epoch(a)).flat()).toEqual(next);
    tf.dispose(data);
  });

  it('an epoch begins when its iterator is made: closed unread, it still moves the shuffle on, and gathers nothing (fit skips epochs so)', async () => {
    const data = makeData();
    const [skipped, run] = [batches(data, { batchSize: 4, seed: 3 }), batches(data, { batchSize: 4, seed: 3 })];
    const before = tf.memory().numTensors;
    skipped[Symbol.iterator]().return?.(undefined);
    expect(tf.memory().numTensors).toBe(before);
    await epoch(run);
    expect(skipped.epoch).toBe(1);
    expect(skipped.peekOrder()).toEqual(run.peekOrder()); // the second epoch's order on both
    tf.dispose(data);
  });

  it('gives the same epochs on every backend (hard-coded for seed 7)', async () => {
    // Produced independently of the TS code by a short Python 3 script transcribing Vigna's reference C code
    // (splitmix64.c from x = 7 seeds the four state words, low word first; then xoshiro128starstar.c), with
    // Fisher–Yates from the last index i down, swapping i with j = floor(next()·(i + 1)/2³²); one generator
    // for all epochs.
    const data = makeData();
    const loader = batches(data, { batchSize: 4, seed: 7 });
    const epochs = [await epoch(loader), await epoch(loader), await epoch(loader)];
    expect({ backend: currentBackend(), epochs }).toEqual({
      backend: currentBackend(),
      epochs: [
        [
          [9, 6, 0, 8],
          [1, 2, 7, 5],
          [3, 4],
        ],
        [
          [8, 4, 9, 1],
          [2, 5, 0, 7],
          [6, 3],
        ],
        [
          [1, 9, 3, 5],
          [0, 6, 4, 2],
          [7, 8],
        ],
      ],
    });
    tf.dispose(data);
  });

  it('dropLast skips the short batch; shuffle: false gives contiguous batches in order', async () => {
    const data = makeData();
    const dropped = await epoch(batches(data, { batchSize: 3, seed: 2, dropLast: true }));
    expect(dropped.map((b) => b.length)).toEqual([3, 3, 3]);
    expect(new Set(dropped.flat()).size).toBe(9);
    const ordered = batches(data, { batchSize: 4, shuffle: false });
    expect(await epoch(ordered)).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
      [8, 9],
    ]);
    expect(await epoch(ordered)).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
      [8, 9],
    ]);
    expect(batches(data, { batchSize: 10, dropLast: true }).length).toBe(1);
    tf.dispose(data);
  });

  it('keeps batch values and trailing shapes (rank 3 data)', async () => {
    const x = tf.tensor3d(Array.from({ length: 4 }, (_, i) => [[i, i + 0.5]]));
    const [first] = [...batches({ x }, { batchSize: 4, shuffle: false })];
    await expectClose(first!.x, [[[0, 0.5]], [[1, 1.5]], [[2, 2.5]], [[3, 3.5]]]);
    tf.dispose([x, first!]);
  });

  it('leaks nothing when the caller disposes each batch', async () => {
    const data = makeData();
    const loader = batches(data, { batchSize: 3, seed: 3 });
    await expectNoLeaks(() => {
      for (let e = 0; e < 5; e++) for (const batch of loader) tf.dispose(batch);
    });
    tf.dispose(data);
  });

  it('rejects a batch larger than the data and other bad options, naming the argument', () => {
    const data = makeData();
    expectHyperError(() => batches(data, { batchSize: 11 }), 'batchSize', /larger than the data set \(10 samples\)/);
    expectHyperError(() => batches(data, { batchSize: 0 }), 'batchSize');
    expectHyperError(() => batches(data, { batchSize: 2.5 }), 'batchSize');
    expectHyperError(() => batches(data, { batchSize: 2, seed: 0.1 }), 'seed');
    expectHyperError(() => batches(data, { batchSize: 2, shuffle: 1 as never }), 'shuffle');
    expectHyperError(() => batches(data, { batchSize: 2, dropLast: 'no' as never }), 'dropLast');
    const short = tf.zeros([9]);
    expect(() => batches({ x: data.x, y: short }, { batchSize: 2 })).toThrow(ValueError);
    expect(() => batches({ x: data.x, y: short }, { batchSize: 2 })).toThrow(/data\.y has 9 samples/);
    expect(() => batches({}, { batchSize: 2 })).toThrow(ValueError);
    tf.dispose([data, short]);
  });
});
