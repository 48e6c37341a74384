// fit with an optimizer that keeps an evaluation point: each epoch trains at the training point and
// is validated (and left) at the evaluation point.
import { type GradientTransformation, map, Optimizer } from '@gradkit/core';
import { sgd } from '@gradkit/optimizers';
import { expectClose } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { dense } from '../dense.js';
import { fit } from './fit.js';
import { linearData, mse } from './test-support.js';

/** SGD at rate 0.1 whose evaluation point is every parameter plus 1 (a stand-in for schedule-free's x). */
const shiftedSgd = (): GradientTransformation => {
  const inner = sgd({ learningRate: 0.1 });
  return {
    ...inner,
    name: 'shiftedSgd',
    evalPoint: {
      toEval: (params, state) => ({ params: map(params, (p) => tf.add(p, 1)), state }),
      toTrain: (params, state) => ({ params: map(params, (p) => tf.sub(p, 1)), state }),
    },
  };
};

describe('fit with an evaluation point', () => {
  it('trains at the training point, validates and ends at the evaluation point', async () => {
    const data = linearData(8);
    const run = async (tx: GradientTransformation) => {
      const model = dense({ inFeatures: 2, outFeatures: 1, seed: 1 });
      const opt = new Optimizer(model.params, tx);
      const history = await fit({ model, loss: mse, optimizer: opt, data, validation: data, epochs: 2, batchSize: 4, shuffle: false, verbose: 0 });
      const kernel = Array.from(await model.params.kernel.data());
      return { model, opt, history, kernel };
    };
    const plain = await run(sgd({ learningRate: 0.1 }));
    const shifted = await run(shiftedSgd());
    // Same training steps (the training point is the same), evaluated 1 higher.
    await expectClose(shifted.history.loss, plain.history.loss, { rtol: 1e-6 });
    expect(shifted.opt.mode).toBe('eval');
    expect(plain.opt.mode).toBe('train');
    await expectClose(
      shifted.kernel,
      plain.kernel.map((k) => k + 1),
      { atol: 1e-6 },
    );
    // The validation loss is the loss at the evaluation point, not at the training point.
    const atEval = tf.tidy(() => mse(shifted.model.apply(data.x), data.y));
    await expectClose(shifted.history.valLoss?.at(-1) as number, (await atEval.data())[0] as number, { rtol: 1e-5 });
    expect(shifted.history.valLoss?.at(-1)).not.toBeCloseTo(plain.history.valLoss?.at(-1) as number, 3);
    // Fitting again goes back to the training point first.
    await fit({ model: shifted.model, loss: mse, optimizer: shifted.opt, data, epochs: 1, batchSize: 4, shuffle: false, verbose: 0 });
    expect(shifted.opt.stepCount).toBe(6);
    for (const r of [plain, shifted]) {
      r.opt.dispose();
      r.model.dispose();
    }
    tf.dispose([atEval, data.x, data.y]);
  });
});
