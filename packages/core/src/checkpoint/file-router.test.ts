// tfjs-layers' model.save('file://…') and tf.loadLayersModel('file://…/model.json') in plain Node,
// which tfjs-core alone cannot do (only @tensorflow/tfjs-node routes file:// otherwise).
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import '../index.js';

describe("the file:// router (Node, tfjs-node's layout)", () => {
  it('saves a tfjs-layers model to a directory and loads it back with the same weights and outputs', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'gradkit-model-')), 'mlp');
    const model = tfl.sequential({ layers: [tfl.layers.dense({ units: 4, inputShape: [3], activation: 'relu' }), tfl.layers.dense({ units: 2 })] });
    model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    await model.save(`file://${dir}`);
    expect(readdirSync(dir).sort()).toEqual(['model.json', 'weights.bin']);
    const loaded = await tfl.loadLayersModel(`file://${join(dir, 'model.json')}`);
    const x = tf.tensor2d([[1, -2, 0.5]]);
    const [a, b] = [model.predict(x) as tf.Tensor, loaded.predict(x) as tf.Tensor];
    expect(Array.from(await b.data())).toEqual(Array.from(await a.data()));
    for (const [i, w] of model.getWeights().entries())
      expect(Array.from(await (loaded.getWeights()[i] as tf.Tensor).data())).toEqual(Array.from(await w.data()));
    tf.dispose([x, a, b]);
    model.dispose();
    loaded.dispose();
  });

  it('a directory with nothing saved: a typed error naming the url', async () => {
    await expect(tfl.loadLayersModel(`file://${join(tmpdir(), 'gradkit-nothing-here', 'model.json')}`)).rejects.toMatchObject({ field: 'url' });
  });
});
