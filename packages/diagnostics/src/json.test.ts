import { ValueError } from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { fromJSON, GradientMonitor, inspectGradients, toJSON } from './index.js';

describe('toJSON / fromJSON', () => {
  it('round-trips a report exactly, NaN and Infinity included', async () => {
    const g = {
      a: tf.tensor2d([
        [1, Number.NaN],
        [Number.POSITIVE_INFINITY, 0],
      ]),
      b: tf.tensor1d([1, 2]),
    };
    const h = tf.tensor2d([[Number.NEGATIVE_INFINITY, 1]]);
    const report = await inspectGradients(g, { step: 3, activations: { NaN: h } });
    expect(report.layers[0]?.gradNorm).toBeNaN();
    const text = toJSON(report);
    expect(() => JSON.parse(text)).not.toThrow();
    expect(text).toContain('{"$nonFinite":"NaN"}');
    expect(text).toContain('{"$nonFinite":"-Infinity"}');
    expect(fromJSON(text)).toEqual(report);
    expect(Object.is((fromJSON(text) as typeof report).layers[0]?.gradMaxAbs, report.layers[0]?.gradMaxAbs)).toBe(true);
    tf.dispose([g, h] as unknown as tf.TensorContainer);
  });

  it('round-trips a history and a collection of configurations', async () => {
    const monitor = new GradientMonitor();
    for (const v of [0.1, 0.2]) {
      const g = { w: tf.fill([2, 2], v) };
      await monitor.observe({ grads: g });
      g.w.dispose();
    }
    expect(fromJSON(toJSON(monitor.history, { indent: 2 }))).toEqual(monitor.history);
    const collection = { title: 'runs', configs: [{ name: 'a', reports: monitor.history, summary: { accuracy: 0.9, note: 'NaN', ok: true, none: null } }] };
    expect(fromJSON(toJSON(collection))).toEqual(collection);
  });

  it('rejects what is not a report document', () => {
    expect(() => fromJSON('{')).toThrow(ValueError);
    expect(() => fromJSON('{"format":"something-else"}')).toThrow(/not a gradkit gradient report/);
    expect(() => fromJSON('[1, 2]')).toThrow(ValueError);
  });
});
