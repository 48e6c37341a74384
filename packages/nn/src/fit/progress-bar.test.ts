import { sgd } from '@gradkit/optimizers';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { dense } from '../dense.js';
import { fit } from './fit.js';
import { formatDuration, formatValue, progressBar } from './progress-bar.js';
import { linearData, mse, recordingStream } from './test-support.js';

const TIME = '\\d+(ms|s|m\\d\\ds)';

async function fitWith(stream: ReturnType<typeof recordingStream>, extra: object = {}) {
  const data = linearData(10);
  const model = dense({ inFeatures: 2, outFeatures: 1, seed: 1 });
  const history = await fit({
    model,
    loss: mse,
    optimizer: sgd({ learningRate: 0.01 }),
    data,
    validation: data,
    epochs: 2,
    batchSize: 3,
    seed: 1,
    callbacks: [progressBar({ stream, interval: 0, width: 8 })],
    ...extra,
  });
  model.dispose();
  tf.dispose(data);
  return history;
}

describe('progressBar', () => {
  it('not a terminal: one line per epoch with the logs', async () => {
    const stream = recordingStream(false);
    const h = await fitWith(stream);
    expect(stream.text).toHaveLength(2);
    const line = (e: number) =>
      new RegExp(
        `^Epoch ${e + 1}/2  4/4  ${TIME} ${TIME}/step  loss ${formatValue(h.loss[e] as number)}  valLoss ${formatValue(h.valLoss?.[e] as number)}\\n$`,
      );
    expect(stream.text[0]).toMatch(line(0));
    expect(stream.text[1]).toMatch(line(1));
  });

  it('a terminal: the line is redrawn after each batch (\\r), bar and ETA, and ends with the epoch', async () => {
    const stream = recordingStream(true);
    await fitWith(stream, { epochs: 1 });
    // 4 batches (3, 3, 3, 1 samples): batch 1 → ⌊8·1/4⌋ = 2 cells, '=>' then 6 dots.
    expect(stream.text).toHaveLength(5);
    expect(stream.text[0]).toMatch(new RegExp(`^\\rEpoch 1/1  1/4 \\[=>\\.{6}\\]  ETA ${TIME}  loss \\d+\\.\\d{4}\\x1b\\[K$`));
    expect(stream.text[1]).toMatch(/^\rEpoch 1\/1 {2}2\/4 \[===>\.{4}\] {2}ETA /);
    expect(stream.text[2]).toMatch(/^\rEpoch 1\/1 {2}3\/4 \[=====>\.\.\] {2}ETA /);
    expect(stream.text[3]).toMatch(/^\rEpoch 1\/1 {2}4\/4 \[========\] {2}ETA 0ms/);
    expect(stream.text[4]).toMatch(new RegExp(`^\\rEpoch 1/1  4/4 \\[========\\]  ${TIME} ${TIME}/step  loss \\S+  valLoss \\S+\\x1b\\[K\\n$`));
  });

  it('the running loss on the bar is the sample-weighted mean of the batches so far', async () => {
    const stream = recordingStream(true);
    const seen: { loss: number; size: number }[] = [];
    await fitWith(stream, {
      epochs: 1,
      callbacks: [progressBar({ stream, interval: 0 }), { onBatchEnd: (_b: number, l: { loss: number; size: number }) => void seen.push(l) }],
    });
    const [a, b] = seen as [{ loss: number; size: number }, { loss: number; size: number }];
    const mean = (a.loss * a.size + b.loss * b.size) / (a.size + b.size);
    expect(stream.text[1]).toContain(`loss ${formatValue(mean)}`);
  });

  it('verbose: 1 (the default) adds one on stderr unless there is one; verbose: 0 is silent', async () => {
    const stream = recordingStream(false);
    await fitWith(stream, { verbose: 1 });
    expect(stream.text).toHaveLength(2); // not a second bar
  });

  it('formats values as Keras (4 decimals, small ones in exponent form) and durations', () => {
    expect(formatValue(0.123456)).toBe('0.1235');
    expect(formatValue(12)).toBe('12.0000');
    expect(formatValue(0.000123)).toBe('1.23e-4');
    expect(formatValue(0)).toBe('0.0000');
    expect(formatValue(Number.NaN)).toBe('NaN');
    expect(formatDuration(850)).toBe('850ms');
    expect(formatDuration(12_400)).toBe('12s');
    expect(formatDuration(185_000)).toBe('3m05s');
    expect(formatDuration(3_720_000)).toBe('1h02m');
  });

  it('rejects a stream without write, a bad interval or width', () => {
    expect(() => progressBar({ stream: {} as never })).toThrow(/stream/);
    expect(() => progressBar({ interval: -1 })).toThrow(/interval/);
    expect(() => progressBar({ width: 0 })).toThrow(/width/);
    expect(() => progressBar({ verbose: 1 } as never)).toThrow(/verbose/);
  });
});
