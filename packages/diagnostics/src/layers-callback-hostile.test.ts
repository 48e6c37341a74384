// The hostile user of gradientCallback (the tfjs-layers callback): careless inputs and Keras or
// Lightning spellings. Each must be a typed GradkitError naming the option, thrown before anything
// changed (the weights of the model a case fits are compared bit for bit).
import { type HostileContext, hostileCases } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, describe } from 'vitest';
import { GradientMonitor, gradientCallback } from './index.js';

const bad = (x: unknown) => x as never;
const models: tfl.LayersModel[] = [];
/** A compiled model (disposed after the suite). */
function compiled(): tfl.Sequential {
  const m = tfl.sequential({ layers: [tfl.layers.dense({ units: 1, inputShape: [2], kernelInitializer: 'ones' })] });
  m.compile({ optimizer: tf.train.sgd(0.1), loss: 'meanSquaredError' });
  models.push(m);
  return m;
}
const cases = (over: object) => ({ model: compiled(), ...over });

describe('gradientCallback, hostile', () => {
  hostileCases([
    { input: 'gradientCallback()', names: 'options', run: () => gradientCallback(bad(undefined)) },
    { input: 'gradientCallback(null)', names: 'options', run: () => gradientCallback(bad(null)) },
    { input: 'gradientCallback(model) (the model instead of { model })', names: 'model', run: () => gradientCallback(bad(compiled())) },
    { input: 'gradientCallback({})', names: 'model', run: () => gradientCallback(bad({})) },
    { input: "gradientCallback({ model: 'model' })", names: 'model', run: () => gradientCallback(bad({ model: 'model' })) },
    { input: 'gradientCallback({ model, evry: 2 })', names: 'evry', run: () => gradientCallback(bad(cases({ evry: 2 }))) },
    {
      input: 'gradientCallback({ model, log_every_n_steps: 10 }) (Lightning)',
      names: 'log_every_n_steps',
      run: () => gradientCallback(bad(cases({ log_every_n_steps: 10 }))),
    },
    { input: 'gradientCallback({ model, frequency: 10 })', names: 'frequency', run: () => gradientCallback(bad(cases({ frequency: 10 }))) },
    ...([0, 2.5, Number.NaN, -1, '10', Infinity] as const).map((every) => ({
      input: `gradientCallback({ model, every: ${typeof every === 'string' ? `'${every}'` : String(every)} })`,
      names: 'every',
      run: () => gradientCallback(bad(cases({ every }))),
    })),
    { input: "gradientCallback({ model, onError: 'log' })", names: 'onError', run: () => gradientCallback(bad(cases({ onError: 'log' }))) },
    { input: 'gradientCallback({ model, onReport: 42 })', names: 'onReport', run: () => gradientCallback(bad(cases({ onReport: 42 }))) },
    { input: 'gradientCallback({ model, explodingNorm: -1 })', names: 'explodingNorm', run: () => gradientCallback(bad(cases({ explodingNorm: -1 }))) },
    { input: 'gradientCallback({ model, monitor: {} })', names: 'monitor', run: () => gradientCallback(bad(cases({ monitor: {} }))) },
    {
      input: 'gradientCallback({ model, monitor, historyLimit: 10 }) (ignored beside a monitor)',
      names: 'historyLimit',
      run: () => gradientCallback(cases({ monitor: new GradientMonitor(), historyLimit: 10 })),
    },
    {
      input: 'fit of a model not yet compiled',
      names: 'model',
      run: async (ctx: HostileContext) => {
        const m = tfl.sequential({ layers: [tfl.layers.dense({ units: 1, inputShape: [2], kernelInitializer: 'ones' })] });
        models.push(m);
        await ctx.watch(...m.getWeights());
        gradientCallback({ model: m }).onTrainBegin();
      },
    },
    {
      input: 'gradientCallback({ model, monitor, commitTimeout: 100 }) (ignored beside a monitor)',
      names: 'commitTimeout',
      run: () => gradientCallback(cases({ monitor: new GradientMonitor(), commitTimeout: 100 })),
    },
    {
      input: 'gradientCallback({ model, onReport: null })',
      names: 'onReport',
      run: () => gradientCallback(bad(cases({ onReport: null }))),
    },
    ...(['first', 'last'] as const).map((where) => ({
      input: `fit with a detached gradientCallback, ${where} beside earlyStopping`,
      names: 'callback',
      run: async (ctx: HostileContext) => {
        const m = compiled();
        const cb = gradientCallback({ model: m });
        cb.detach();
        await ctx.watch(...m.getWeights());
        const [x, y] = [tf.ones([2, 2]), tf.ones([2, 1])];
        const es = tfl.callbacks.earlyStopping({ monitor: 'loss' });
        try {
          await m.fit(x, y, { epochs: 2, verbose: 0, callbacks: where === 'first' ? [bad(cb), es] : [es, bad(cb)] });
        } finally {
          tf.dispose([x, y]);
        }
      },
    })),
    {
      input: "another model's fit with [tf.callbacks.earlyStopping(), cb]",
      names: 'callbacks',
      run: async (ctx: HostileContext) => {
        const cb = gradientCallback({ model: compiled() });
        const other = compiled();
        await ctx.watch(...other.getWeights());
        const [x, y] = [tf.ones([2, 2]), tf.ones([2, 1])];
        try {
          await other.fit(x, y, { epochs: 2, verbose: 0, callbacks: [tfl.callbacks.earlyStopping({ monitor: 'loss' }), bad(cb)] });
        } finally {
          tf.dispose([x, y]);
        }
      },
    },
  ]);
  afterAll(() => {
    for (const m of models) {
      m.optimizer?.dispose();
      m.dispose();
    }
  });
});
