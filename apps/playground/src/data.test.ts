// The gradient lab's Node loader (reads the `mnist` package's JSON itself): the reference the page must match.
import { loadMnist } from '@gradkit/gradient-lab';
import { describe, expect, it } from 'vitest';
import { encodeMnist } from '../build/assets.js';
import { decodeDigits, hostBatches } from './data.js';

describe('the digits asset', () => {
  it("decodes to exactly gradient-lab's split, value for value", () => {
    const page = decodeDigits(encodeMnist());
    const lab = loadMnist();
    expect(page.train.count).toBe(7996);
    expect(page.test.count).toBe(2004);
    for (const split of ['train', 'test'] as const) {
      expect(page[split].count).toBe(lab[split].count);
      // Element by element in plain loops (toEqual over 6 million floats takes minutes).
      const { labels, images } = page[split];
      const want = lab[split];
      let firstLabel = -1;
      for (let i = 0; i < labels.length && firstLabel < 0; i++) if (labels[i] !== want.labels[i]) firstLabel = i;
      let firstPixel = -1;
      for (let i = 0; i < images.length && firstPixel < 0; i++) if (!Object.is(images[i], want.images[i])) firstPixel = i;
      expect({ split, firstLabel, firstPixel, length: images.length }).toEqual({ split, firstLabel: -1, firstPixel: -1, length: want.images.length });
    }
  });

  it('rejects a file that is not the asset, or is cut short', () => {
    expect(() => decodeDigits(new Uint8Array(100))).toThrow(/not a gradkit MNIST file/);
    const bytes = encodeMnist();
    expect(() => decodeDigits(bytes.subarray(0, bytes.length - 1))).toThrow(/truncated/);
  });
});

describe('hostBatches', () => {
  const split = { images: Float32Array.from({ length: 5 * 784 }, (_, i) => Math.floor(i / 784)), labels: Uint8Array.from([0, 1, 2, 3, 4]), count: 5 };

  it('gives each sample once per epoch (last partial batch dropped), one-hot labels matching the images', () => {
    const it = hostBatches(split, 2, 7);
    const seen: number[] = [];
    for (let b = 0; b < 2; b++) {
      const { x, y } = it.next().value as { x: Float32Array; y: Float32Array };
      expect(x.length).toBe(2 * 784);
      for (let r = 0; r < 2; r++) {
        const sample = x[r * 784] as number;
        seen.push(sample);
        expect(Array.from(y.subarray(r * 10, r * 10 + 10))).toEqual(Array.from({ length: 10 }, (_, k) => (k === sample ? 1 : 0)));
      }
    }
    expect(new Set(seen).size).toBe(4);
  });

  it('is reproducible from the seed', () => {
    const a = hostBatches(split, 5, 3).next().value?.x;
    const b = hostBatches(split, 5, 3).next().value?.x;
    expect(a).toEqual(b);
    expect(hostBatches(split, 5, 4).next().value?.x).not.toEqual(a);
  });
});
