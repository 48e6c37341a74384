import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { formatText, inspectGradients } from './index.js';

describe('formatText', () => {
  it('prints the verdict, one row per layer in order, the activations and the findings with remedies', async () => {
    const grads = {
      layers: [
        { kernel: tf.fill([3, 3], 1e-9), bias: tf.zeros([3]) },
        { kernel: tf.fill([3, 2], 0.5), bias: tf.ones([2]) },
      ],
    };
    const params = {
      layers: [
        { kernel: tf.ones([3, 3]), bias: tf.zeros([3]) },
        { kernel: tf.ones([3, 2]), bias: tf.ones([2]) },
      ],
    };
    const h = tf.tensor2d([
      [0, 1, 0],
      [0, 2, 0],
    ]);
    const report = await inspectGradients(grads, { params, activations: { 'layers.0': h }, activationKinds: 'relu', step: 7 });
    const text = formatText(report);
    const lines = text.split('\n');
    expect(lines[0]).toBe(`gradient report · step 7 · backend ${tf.getBackend()}`);
    expect(lines[1]).toMatch(/^verdict: VANISHING {3}global ‖g‖ = 1\.87 {3}first\/last layer ‖g‖ ratio = 2\.45e-9$/);
    const rows = lines.filter((l) => /^layers\.\d\.(kernel|bias) /.test(l)).map((l) => l.split(/\s+/)[0]);
    expect(rows).toEqual(['layers.0.kernel', 'layers.0.bias', 'layers.1.kernel', 'layers.1.bias']);
    expect(text).toMatch(/layers\.0\.kernel +3×3 +3\.00e-9 +█/);
    expect(text).toMatch(/layers\.0 +relu +3 +66\.7%/);
    expect(text).toMatch(/✗ vanishing at layers\.0\.kernel … layers\.1\.kernel/);
    expect(text).toMatch(/! deadUnits at layers\.0/);
    expect(text).toMatch(/ {4}- heNormal initialization at scale 1 for the relu layers/);
    expect(formatText(report, { findings: false, barWidth: 0 })).not.toMatch(/vanishing at|█/);
    tf.dispose([grads, params, h] as unknown as tf.TensorContainer);
  });
});
