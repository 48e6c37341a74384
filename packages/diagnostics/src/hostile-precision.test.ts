// The hostile user of issue 15's new inputs: gradientCallback's `probe`, and the monitor's `loss` and
// `learningRate`. Each must be a typed GradkitError naming the input, thrown before anything changed.
import { hostileCases } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, describe } from 'vitest';
import { GradientMonitor, gradientCallback } from './index.js';

const bad = (x: unknown) => x as never;
const models: tfl.LayersModel[] = [];
const tensors: tf.Tensor[] = [];
/** A compiled model taking [batch, 4, 4, 1] images (disposed after the suite). */
function compiled(): tfl.Sequential {
  const m = tfl.sequential({ layers: [tfl.layers.conv2d({ inputShape: [4, 4, 1], filters: 2, kernelSize: 3, activation: 'relu' }), tfl.layers.flatten()] });
  m.compile({ optimizer: tf.train.sgd(0.1), loss: 'meanSquaredError' });
  models.push(m);
  return m;
}
const keep = <T extends tf.Tensor>(t: T): T => {
  tensors.push(t);
  return t;
};
const withProbe = (probe: unknown) => () => gradientCallback(bad({ model: compiled(), probe }));
const disposed = () => {
  const t = tf.zeros([2, 4, 4, 1]);
  t.dispose();
  return t;
};
const grads = () => ({ w: keep(tf.ones([2, 2])) });
const observe = (over: object) => () => new GradientMonitor().observe(bad({ grads: grads(), ...over }));

describe('issue 15 inputs, hostile', () => {
  hostileCases([
    // probe
    { input: "gradientCallback({ model, probe: 'xs' })", names: 'probe', run: withProbe('xs') },
    { input: 'gradientCallback({ model, probe: null })', names: 'probe', run: withProbe(null) },
    { input: 'gradientCallback({ model, probe: [] })', names: 'probe', run: withProbe([]) },
    { input: 'gradientCallback({ model, probe: [[0, 1], [1, 0]] }) (a nested array, not a tensor)', names: 'probe', run: withProbe([[0, 1]]) },
    { input: 'gradientCallback({ model, probe: a disposed tensor })', names: 'probe', run: () => withProbe(disposed())() },
    { input: 'gradientCallback({ model, probe: [4, 4, 1] image without the batch axis })', names: 'probe', run: () => withProbe(keep(tf.zeros([4, 4, 1])))() },
    { input: 'gradientCallback({ model, probe: [2, 4, 4, 3] (3 channels for 1) })', names: 'probe', run: () => withProbe(keep(tf.zeros([2, 4, 4, 3])))() },
    { input: 'gradientCallback({ model, probe: [2, 5, 5, 1] (5×5 images for 4×4) })', names: 'probe', run: () => withProbe(keep(tf.zeros([2, 5, 5, 1])))() },
    { input: 'gradientCallback({ model, probe: [0, 4, 4, 1] (an empty batch) })', names: 'probe', run: () => withProbe(keep(tf.zeros([0, 4, 4, 1])))() },
    { input: 'gradientCallback({ model, probe: a scalar })', names: 'probe', run: () => withProbe(keep(tf.scalar(1)))() },
    {
      input: 'gradientCallback({ model, probe: [xs, xs] } (two batches for one input)',
      names: 'probe',
      run: () => {
        const x = keep(tf.zeros([2, 4, 4, 1]));
        return withProbe([x, x])();
      },
    },
    { input: 'gradientCallback({ model, probe: a bool tensor })', names: 'probe', run: () => withProbe(keep(tf.zeros([2, 4, 4, 1], 'bool')))() },
    { input: 'gradientCallback({ model, probe: [xs, "x"] })', names: 'probe.1', run: () => withProbe([keep(tf.zeros([2, 4, 4, 1])), 'x'])() },
    {
      input: 'gradientCallback({ model, probes: xs }) (misspelt)',
      names: 'probes',
      run: () => gradientCallback(bad({ model: compiled(), probes: keep(tf.zeros([2, 4, 4, 1])) })),
    },
    {
      input: 'gradientCallback({ model, validation_data: xs }) (Keras)',
      names: 'validation_data',
      run: () => gradientCallback(bad({ model: compiled(), validation_data: keep(tf.zeros([2, 4, 4, 1])) })),
    },
    // loss
    { input: "monitor.observe({ grads, loss: '0.5' })", names: 'loss', run: observe({ loss: '0.5' }) },
    { input: 'monitor.observe({ grads, loss: null })', names: 'loss', run: observe({ loss: null }) },
    { input: 'monitor.observe({ grads, loss: a tf.Scalar }) (not read back)', names: 'loss', run: () => observe({ loss: keep(tf.scalar(0.5)) })() },
    { input: 'monitor.observe({ grads, loss: { value: 0.5 } })', names: 'loss', run: observe({ loss: { value: 0.5 } }) },
    { input: 'monitor.observe({ grads, loss: [0.5] })', names: 'loss', run: observe({ loss: [0.5] }) },
    { input: 'monitor.observe({ grads, loss: () => 0.5 }) (a function, not called)', names: 'loss', run: observe({ loss: () => 0.5 }) },
    { input: 'monitor.observe({ grads, losses: 0.5 })', names: 'losses', run: observe({ losses: 0.5 }) },
    // learningRate
    ...([Number.NaN, -1, Infinity, -Infinity] as const).map((learningRate) => ({
      input: `monitor.observe({ grads, learningRate: ${learningRate} })`,
      names: 'learningRate',
      run: observe({ learningRate }),
    })),
    { input: "monitor.observe({ grads, learningRate: '1e-3' })", names: 'learningRate', run: observe({ learningRate: '1e-3' }) },
    { input: 'monitor.observe({ grads, learningRate: null })', names: 'learningRate', run: observe({ learningRate: null }) },
    {
      input: 'monitor.observe({ grads, learningRate: (step) => 0.1 }) (a schedule, not its value)',
      names: 'learningRate',
      run: observe({ learningRate: () => 0.1 }),
    },
    { input: 'monitor.observe({ grads, learningRate: a tf.Scalar })', names: 'learningRate', run: () => observe({ learningRate: keep(tf.scalar(0.1)) })() },
    { input: 'monitor.observe({ grads, lr: 0.1 }) (PyTorch)', names: 'lr', run: observe({ lr: 0.1 }) },
    { input: 'monitor.observe({ grads, learning_rate: 0.1 }) (Keras)', names: 'learning_rate', run: observe({ learning_rate: 0.1 }) },
  ]);
  afterAll(() => {
    tf.dispose(tensors);
    for (const m of models) {
      m.optimizer?.dispose();
      m.dispose();
    }
  });
});
