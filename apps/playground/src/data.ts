// The MNIST digits in the browser: the asset `build/assets.ts` emits (format there), inflated and
// split as gradient-lab splits them (per digit, the first 80% of its samples train, the rest test).
import { Xoshiro128 } from '@gradkit/core';
import { CLASSES, PIXELS } from './config.js';

/** One split on the host: `count × 784` values in [0, 1] and the labels. */
export interface Split {
  /** Pixel values in [0, 1], one sample after the other. */
  readonly images: Float32Array;
  /** The digit of each sample. */
  readonly labels: Uint8Array;
  /** Number of samples. */
  readonly count: number;
}

/** The fixed train/test split. */
export interface Digits {
  /** Training samples (7,996 of the package's 10,000). */
  readonly train: Split;
  /** Test samples (2,004). */
  readonly test: Split;
}

/** Decodes the digits asset (already inflated) and splits it; throws on a malformed file. */
export function decodeDigits(bytes: Uint8Array, trainFraction = 0.8): Digits {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = String.fromCharCode(...bytes.subarray(0, 4));
  if (bytes.byteLength < 60 || magic !== 'GKMN') throw new Error(`the digits asset is not a gradkit MNIST file (magic ${JSON.stringify(magic)})`);
  const [version, n, pixels, scale] = [1, 2, 3, 4].map((i) => view.getUint32(4 * i, true)) as [number, number, number, number];
  if (version !== 1 || pixels !== PIXELS) throw new Error(`unsupported digits asset (version ${version}, ${pixels} pixels per image)`);
  const counts = Array.from({ length: CLASSES }, (_, d) => view.getUint32(20 + 4 * d, true));
  const header = 20 + 4 * CLASSES;
  if (bytes.byteLength !== header + n + n * PIXELS * 2 || counts.reduce((a, b) => a + b, 0) !== n) throw new Error('the digits asset is truncated');
  const labels = bytes.subarray(header, header + n);
  const pixelsAt = header + n;
  const trainCounts = counts.map((c) => Math.floor(c * trainFraction));
  const starts = counts.map((_, d) => counts.slice(0, d).reduce((a, b) => a + b, 0));
  const build = (range: (d: number) => [number, number]): Split => {
    const ranges = counts.map((_, d) => range(d));
    const count = ranges.reduce((s, [a, b]) => s + (b - a), 0);
    const images = new Float32Array(count * PIXELS);
    const out = new Uint8Array(count);
    let row = 0;
    ranges.forEach(([a, b], d) => {
      for (let i = a; i < b; i++, row++) {
        const src = (starts[d] as number) + i;
        out[row] = labels[src] as number;
        const at = pixelsAt + src * PIXELS * 2;
        for (let j = 0; j < PIXELS; j++) images[row * PIXELS + j] = view.getUint16(at + 2 * j, true) / scale;
      }
    });
    return { images, labels: out, count };
  };
  return {
    train: build((d) => [0, trainCounts[d] as number]),
    test: build((d) => [trainCounts[d] as number, counts[d] as number]),
  };
}

/** Fetches and inflates the digits asset at `url` (gzip, inflated with DecompressionStream). */
export async function fetchDigits(url: string): Promise<Digits> {
  const res = await fetch(url);
  if (!res.ok || !res.body) throw new Error(`could not load the digits from ${url}: HTTP ${res.status}`);
  const inflated = await new Response(res.body.pipeThrough(new DecompressionStream('gzip'))).arrayBuffer();
  return decodeDigits(new Uint8Array(inflated));
}

/**
 * Minibatches of `split` forever: a fresh seeded shuffle per epoch, the last incomplete batch dropped.
 * Each batch is `{ x: Float32Array (batch × 784), y: Float32Array (batch × 10, one-hot) }`.
 */
export function* hostBatches(split: Split, batchSize: number, seed: number): Generator<{ x: Float32Array; y: Float32Array }> {
  const random = Xoshiro128.fromSeed(seed);
  const order = Array.from({ length: split.count }, (_, i) => i);
  const size = Math.min(batchSize, split.count);
  for (;;) {
    random.shuffle(order);
    for (let start = 0; start + size <= order.length; start += size) {
      const x = new Float32Array(size * PIXELS);
      const y = new Float32Array(size * CLASSES);
      for (let r = 0; r < size; r++) {
        const i = order[start + r] as number;
        x.set(split.images.subarray(i * PIXELS, (i + 1) * PIXELS), r * PIXELS);
        y[r * CLASSES + (split.labels[i] as number)] = 1;
      }
      yield { x, y };
    }
  }
}
