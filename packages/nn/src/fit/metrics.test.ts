import { ValueError } from '@gradkit/core';
import { expectClose, expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { accuracy, resolveMetrics, valKey } from './metrics.js';

describe('accuracy', () => {
  it('class indices or one-hot: the fraction of argmax hits (worked by hand)', async () => {
    // argmax per row: 0, 1, 2, 1; labels 0, 1, 1, 0 → 2 of 4.
    const logits = tf.tensor2d([
      [3, 1, 0],
      [0, 2, 1],
      [0, 1, 5],
      [1, 4, 2],
    ]);
    const labels = tf.tensor1d([0, 1, 1, 0], 'int32');
    const oneHot = tf.oneHot(labels, 3);
    await expectClose(await expectNoLeaks(() => accuracy(logits, labels)), 0.5);
    await expectClose(accuracy(logits, oneHot), 0.5);
    await expectClose(accuracy(logits, tf.cast(labels, 'float32')), 0.5);
    // Sequences: [batch, time, classes] against [batch, time].
    await expectClose(
      accuracy(
        tf.reshape(logits, [2, 2, 3]),
        tf.tensor2d(
          [
            [0, 1],
            [2, 2],
          ],
          undefined,
          'int32',
        ),
      ),
      0.75,
    );
    tf.dispose([logits, labels, oneHot]);
  });

  it('names prediction (one class) or target (a shape that fits neither layout)', () => {
    const what = (p: number[], t: number[]) =>
      tf.tidy(() => {
        try {
          accuracy(tf.zeros(p), tf.zeros(t));
        } catch (e) {
          expect(e).toBeInstanceOf(ValueError);
          return (e as ValueError).what;
        }
      });
    expect(what([4, 1], [4, 1])).toBe('prediction');
    expect(what([4, 3], [4, 2])).toBe('target');
  });
});

describe('resolveMetrics', () => {
  it("names 'accuracy' and functions; suggests for Keras's names; refuses anonymous or clashing names", () => {
    const mae = (p: tf.Tensor, t: tf.Tensor) => tf.mean(tf.abs(tf.sub(p, t))) as tf.Scalar;
    expect(resolveMetrics(['accuracy', mae]).map((m) => m.name)).toEqual(['accuracy', 'mae']);
    expect(() => resolveMetrics(['acc'])).toThrow(/did you mean 'accuracy'/);
    expect(() => resolveMetrics(['sparse_categorical_accuracy'])).toThrow(/did you mean 'accuracy'/);
    expect(() =>
      resolveMetrics([
        (
          () => (p: tf.Tensor) =>
            tf.mean(p) as tf.Scalar
        )(),
      ]),
    ).toThrow(/no name/);
    expect(() => resolveMetrics([mae, mae])).toThrow(/two metrics/);
    expect(() => resolveMetrics([function loss() {}] as never)).toThrow(/something else/);
    expect(() => resolveMetrics('accuracy')).toThrow(/array/);
    expect(valKey('accuracy')).toBe('valAccuracy');
  });
});
