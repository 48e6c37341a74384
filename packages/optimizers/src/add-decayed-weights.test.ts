import { chain, HyperParameterError, TreeMismatchError } from '@gradkit/core';
import { expectClose } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { torchAdam } from './adam-references.js';
import { addDecayedWeights } from './add-decayed-weights.js';
import { scaleByAdam } from './scale-by-adam.js';
import { scaleByLearningRate } from './scale-by-learning-rate.js';
import { badHyperTests, leakTest, roundTripTest, trajectoryTests } from './test-kit.js';

// References: torchAdam in adam-references.ts (torch/optim/adam.py, `_single_tensor_adam`, float64).
// optax.adamw is chain(scale_by_adam, add_decayed_weights(λ), scale_by_learning_rate(η)) and equals
// torch.optim.AdamW; decay before scale_by_adam is L2, i.e. torch.optim.Adam with weight_decay.
const STEPS = 6;

describe('addDecayedWeights (optax.add_decayed_weights)', () => {
  const params = () => ({ a: tf.tensor1d([2, -4]), b: tf.tensor1d([1]) });
  const grads = () => ({ a: tf.tensor1d([1, 1]), b: tf.tensor1d([3]) });

  it('adds λθ to the updates: g + 0.5·θ', async () => {
    const [p, g] = [params(), grads()];
    const tx = addDecayedWeights(0.5);
    const r = tf.tidy(() => tx.update(g, tx.init(p), p) as unknown as tf.TensorContainerObject) as unknown as ReturnType<typeof tx.update>;
    const u = r.updates as { a: tf.Tensor; b: tf.Tensor };
    await expectClose(u.a, [2, -1]);
    await expectClose(u.b, [3.5]);
    expect(r.state).toEqual({ count: 1 });
    tf.dispose([p, g, u] as tf.TensorContainer);
  });

  it('decays only what the mask selects (tree or predicate); the rest passes unchanged', async () => {
    for (const mask of [{ a: true, b: false }, (path: string) => path !== 'b']) {
      const [p, g] = [params(), grads()];
      const tx = addDecayedWeights(0.5, mask);
      const u = tf.tidy(() => tx.update(g, tx.init(p), p).updates as tf.TensorContainerObject) as { a: tf.Tensor; b: tf.Tensor };
      await expectClose(u.a, [2, -1]);
      expect(u.b).toBe(g.b);
      tf.dispose([p, g, u.a] as tf.TensorContainer);
    }
  });

  it('a boolean mask must fit the parameters', () => {
    const [p, g] = [params(), grads()];
    const tx = addDecayedWeights(0.5, { a: true });
    expect(() => tx.update(g, tx.init(p), p)).toThrow(TreeMismatchError);
    // A leaf that is not a boolean is refused when the transformation is built, naming its path.
    expect(() => addDecayedWeights(0.5, { a: true, b: 1 as unknown as boolean })).toThrow(/the mask at 'b' must be true or false, got 1/);
    tf.dispose([p, g] as tf.TensorContainer);
  });

  it('needs the parameters', () => {
    const g = grads();
    const tx = addDecayedWeights(1e-2);
    expect(() => tx.update(g, tx.init(g))).toThrow(/addDecayedWeights needs the parameters/);
    tf.dispose(g as tf.TensorContainer);
  });

  it('exposes its name, options and the weight decay at a step', () => {
    const tx = addDecayedWeights((t) => 0.1 * t);
    expect(tx.name).toBe('addDecayedWeights');
    expect(tx.options.mask).toBeNull();
    expect(tx.hyperParams?.(2)).toEqual({ weightDecay: 0.2 });
  });

  trajectoryTests(
    'chain(scaleByAdam, addDecayedWeights(0.3), scaleByLearningRate(0.1)) = AdamW',
    () => chain(scaleByAdam(), addDecayedWeights(0.3), scaleByLearningRate(0.1)),
    torchAdam({ learningRate: 0.1, weightDecay: 0.3 }, STEPS, true),
    STEPS,
  );
  trajectoryTests(
    'chain(addDecayedWeights(0.3), scaleByAdam, scaleByLearningRate(0.1)) = Adam with L2',
    () => chain(addDecayedWeights(0.3), scaleByAdam(), scaleByLearningRate(0.1)),
    torchAdam({ learningRate: 0.1, weightDecay: 0.3 }, STEPS, false),
    STEPS,
  );
  trajectoryTests(
    'scheduled weight decay and learning rate = AdamW with the same schedules',
    () =>
      chain(
        scaleByAdam(),
        addDecayedWeights((t) => 0.1 * t),
        scaleByLearningRate((t) => 0.1 / (1 + t)),
      ),
    torchAdam({ learningRate: (t) => 0.1 / (1 + t), weightDecay: (t) => 0.1 * t }, STEPS, true),
    STEPS,
  );

  roundTripTest(() => chain(scaleByAdam(), addDecayedWeights(0.1), scaleByLearningRate(0.05)));
  leakTest([
    () =>
      chain(
        addDecayedWeights(1e-2, (path) => path === 'w'),
        scaleByLearningRate(0.1),
      ),
  ]);

  badHyperTests([
    ['weightDecay −1e-2', () => addDecayedWeights(-1e-2), 'weightDecay', /weightDecay must be in \[0, ∞\)/],
    ['weightDecay NaN', () => addDecayedWeights(Number.NaN), 'weightDecay', /finite number/],
    ['weightDecay schedule going negative', () => addDecayedWeights(() => -1), 'weightDecay', /schedule value at step 0/],
    ['mask 5', () => addDecayedWeights(0.1, 5 as unknown as boolean), 'mask', /mask must be a tree of booleans/],
  ]);
  it('is a HyperParameterError', () => expect(() => addDecayedWeights(-1)).toThrow(HyperParameterError));
});
