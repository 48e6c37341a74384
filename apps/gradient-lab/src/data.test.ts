import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expectClose } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { CLASSES, PIXELS } from './config.js';
import { loadMnist, mnistDigitsDir, takePerDigit, toTensors } from './data.js';

const data = loadMnist();

describe('loadMnist (the 10,000 digits of the mnist package)', () => {
  it('holds 10,000 flattened 28×28 samples, split per digit into the first 80% and the rest', () => {
    expect(data.perDigit.length).toBe(CLASSES);
    expect(data.perDigit.reduce((a, b) => a + b, 0)).toBe(10_000);
    const trainExpected = data.perDigit.reduce((s, n) => s + Math.floor(0.8 * n), 0);
    expect(data.train.count).toBe(trainExpected);
    expect(data.test.count).toBe(10_000 - trainExpected);
    expect(data.train.count).toBe(7996); // the package's counts, fixed
    for (const split of [data.train, data.test]) {
      expect(split.images.length).toBe(split.count * PIXELS);
      expect(split.labels.length).toBe(split.count);
    }
  });

  it('keeps every digit in both splits in proportion (label balance)', () => {
    for (const [split, fraction] of [
      [data.train, 0.8],
      [data.test, 0.2],
    ] as const) {
      const counts = new Array<number>(CLASSES).fill(0);
      for (const l of split.labels) counts[l] = (counts[l] as number) + 1;
      counts.forEach((c, d) => {
        expect(Math.abs(c - fraction * (data.perDigit[d] as number))).toBeLessThanOrEqual(1);
      });
      expect(Math.min(...counts)).toBeGreaterThan(fraction * 800);
    }
  });

  it('scales pixels into [0, 1] using the whole range (the package stores [0, 1] in steps of 1/255)', () => {
    for (const split of [data.train, data.test]) {
      let min = Number.POSITIVE_INFINITY;
      let max = Number.NEGATIVE_INFINITY;
      for (const v of split.images) {
        if (v < min) min = v;
        if (v > max) max = v;
      }
      expect(min).toBe(0);
      expect(max).toBe(1);
    }
    expect(data.rawMax).toBe(1);
  });

  it('is the same split every time, taken in file order (no randomness)', () => {
    const raw = JSON.parse(readFileSync(join(mnistDigitsDir(), '3.json'), 'utf8')).data as number[];
    const firstTestOf3 = data.test.labels.indexOf(3);
    const firstTrainOf3 = data.train.labels.indexOf(3);
    const cut = Math.floor(0.8 * (data.perDigit[3] as number));
    expect(Array.from(data.train.images.subarray(firstTrainOf3 * PIXELS, (firstTrainOf3 + 1) * PIXELS))).toEqual(
      Array.from(Float32Array.from(raw.slice(0, PIXELS))),
    );
    expect(Array.from(data.test.images.subarray(firstTestOf3 * PIXELS, (firstTestOf3 + 1) * PIXELS))).toEqual(
      Array.from(Float32Array.from(raw.slice(cut * PIXELS, (cut + 1) * PIXELS))),
    );
    expect(loadMnist()).toBe(data); // cached
  });
});

describe('loadMnist on other files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gradient-lab-digits-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('divides byte pixels (0–255) by 255 and honours trainFraction', () => {
    const digits = join(dir, 'bytes');
    mkdirSync(digits);
    for (let d = 0; d < CLASSES; d++) {
      const samples = Array.from({ length: 4 }, (_, i) => new Array<number>(PIXELS).fill(i === 0 ? 255 : d * 10 + i));
      writeFileSync(join(digits, `${d}.json`), JSON.stringify({ data: samples.flat() }));
    }
    const small = loadMnist({ digitsDir: digits, trainFraction: 0.5 });
    expect(small.rawMax).toBe(255);
    expect(small.train.count).toBe(20);
    expect(small.test.count).toBe(20);
    expect(small.train.images[0]).toBe(1); // 255 / 255
    expect(small.test.images[0]).toBeCloseTo(2 / 255, 7); // digit 0, sample 2
    expect(Array.from(small.train.labels.slice(0, 4))).toEqual([0, 0, 1, 1]);
  });

  it('rejects files that are not 28×28 samples, and a trainFraction outside (0, 1)', () => {
    const digits = join(dir, 'broken');
    mkdirSync(digits);
    for (let d = 0; d < CLASSES; d++) writeFileSync(join(digits, `${d}.json`), JSON.stringify({ data: [1, 2, 3] }));
    expect(() => loadMnist({ digitsDir: digits })).toThrow(/multiple of 784/);
    expect(() => loadMnist({ trainFraction: 1 })).toThrow(/trainFraction/);
  });
});

describe('takePerDigit and toTensors', () => {
  it('takes the first N samples of each digit', () => {
    const few = takePerDigit(data.train, 3);
    expect(few.count).toBe(30);
    expect(Array.from(few.labels)).toEqual(Array.from({ length: 30 }, (_, i) => Math.floor(i / 3)));
    const first = data.train.labels.indexOf(5);
    expect(Array.from(few.images.subarray(15 * PIXELS, 16 * PIXELS))).toEqual(Array.from(data.train.images.subarray(first * PIXELS, (first + 1) * PIXELS)));
    expect(takePerDigit(data.train, undefined)).toBe(data.train);
  });

  it('uploads images [n, 784] and one-hot labels [n, 10]', async () => {
    const few = takePerDigit(data.test, 2);
    const { x, y } = toTensors(few);
    expect(x.shape).toEqual([20, PIXELS]);
    expect(y.shape).toEqual([20, CLASSES]);
    expect(x.dtype).toBe('float32');
    const [sums, labels, row] = [tf.sum(y, 1), tf.argMax(y, 1), tf.slice(x, [7, 0], [1, -1])];
    await expectClose(sums, new Array(20).fill(1));
    await expectClose(labels, Array.from(few.labels));
    await expectClose(row, [Array.from(few.images.subarray(7 * PIXELS, 8 * PIXELS))]);
    tf.dispose([sums, labels, row]);
    tf.dispose([x, y]);
  });
});
