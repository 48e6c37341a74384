// The training kernels end to end: tfjs-examples' MNIST conv net (createConvModel) trains with
// tfjs-layers' trainOnBatch on the active backend once useBackend set it up (the harness ran
// useBackend; on wasm that throws without gradkit's Conv2DBackpropFilter), with the losses of tfjs's
// own cpu kernels (fast paths off) for the same weights and batches. And the registry's missing
// kernels: registered only where the backend has none, listed, and left in place by setFastPaths(false).
import { currentBackend, expectClose, expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterEach, describe, expect, it } from 'vitest';
import { values } from './matmul-reference.js';
import { defineMissingKernel, fastPaths, installFastPaths, setFastPaths } from './registry.js';

await import('@tensorflow/tfjs-backend-cpu');

afterEach(() => setFastPaths(true));

/** tfjs-examples/mnist's createConvModel. */
function createConvModel(): tfl.Sequential {
  const model = tfl.sequential();
  model.add(tfl.layers.conv2d({ inputShape: [28, 28, 1], kernelSize: 3, filters: 16, activation: 'relu' }));
  model.add(tfl.layers.maxPooling2d({ poolSize: 2, strides: 2 }));
  model.add(tfl.layers.conv2d({ kernelSize: 3, filters: 32, activation: 'relu' }));
  model.add(tfl.layers.maxPooling2d({ poolSize: 2, strides: 2 }));
  model.add(tfl.layers.conv2d({ kernelSize: 3, filters: 32, activation: 'relu' }));
  model.add(tfl.layers.flatten({}));
  model.add(tfl.layers.dense({ units: 64, activation: 'relu' }));
  model.add(tfl.layers.dense({ units: 10, activation: 'softmax' }));
  return model;
}

/** The losses of two trainOnBatch steps (SGD) from fixed weights and batches, on the active backend. */
async function twoSteps(batch: number): Promise<number[]> {
  const model = createConvModel();
  const weights = model.getWeights().map((w, i) =>
    tf.tensor(
      values(w.size, 100 + i).map((v) => v * 0.2),
      w.shape,
    ),
  );
  model.setWeights(weights);
  tf.dispose(weights);
  const optimizer = tf.train.sgd(0.05);
  model.compile({ optimizer, loss: 'categoricalCrossentropy' });
  const losses: number[] = [];
  for (let step = 0; step < 2; step++) {
    const x = tf.tensor4d(
      values(batch * 28 * 28, 7 + step).map((v) => (v + 1) / 2),
      [batch, 28, 28, 1],
    );
    const y = tf.tidy(() =>
      tf.cast(
        tf.oneHot(
          tf.tensor1d(
            Array.from({ length: batch }, (_, i) => (i * 3 + step) % 10),
            'int32',
          ),
          10,
        ),
        'float32',
      ),
    );
    losses.push((await model.trainOnBatch(x, y)) as number);
    tf.dispose([x, y]);
  }
  for (const layer of model.layers) layer.dispose();
  optimizer.dispose();
  return losses;
}

describe('the training kernels', () => {
  it("train tfjs-examples' MNIST conv net with tfjs-layers' trainOnBatch, with the losses of tfjs's own cpu kernels", { timeout: 120_000 }, async () => {
    const backend = currentBackend();
    const losses = await expectNoLeaks(() => twoSteps(8));
    await tf.setBackend('cpu');
    setFastPaths(false);
    let reference: number[];
    try {
      reference = await twoSteps(8);
    } finally {
      setFastPaths(true);
      await tf.setBackend(backend);
    }
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses[1]).not.toBe(losses[0]);
    await expectClose(losses, reference, { rtol: 1e-4, atol: 1e-5 });
  });

  it('register a missing kernel only where the backend has none, list it, and keep it with fast paths off', () => {
    const ours: tf.KernelFunc = () => ({ dataId: {}, shape: [], dtype: 'float32' });
    const forget = [
      defineMissingKernel({ backend: 'cpu', kernelName: 'GradkitTestOnlyKernel', why: 'a test', kernel: ours }),
      defineMissingKernel({ backend: 'cpu', kernelName: 'Conv3D', why: 'a test: cpu has its own', kernel: ours }),
    ];
    installFastPaths('cpu');
    installFastPaths('cpu');
    setFastPaths(false);
    try {
      expect(tf.getKernel('GradkitTestOnlyKernel', 'cpu')?.kernelFunc).toBe(ours);
      expect(tf.getKernel('Conv3D', 'cpu')?.kernelFunc).not.toBe(ours);
      const listed = fastPaths().filter((p) => p.why.startsWith('a test'));
      expect(listed.map((p) => [p.kernelName, p.kind, p.installed])).toEqual([
        ['GradkitTestOnlyKernel', 'missing', true],
        ['Conv3D', 'missing', false],
      ]);
    } finally {
      tf.unregisterKernel('GradkitTestOnlyKernel', 'cpu');
      for (const f of forget) f();
    }
    expect(fastPaths().filter((p) => p.why.startsWith('a test'))).toEqual([]);
  });
});
