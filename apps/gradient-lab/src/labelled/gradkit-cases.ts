// The labelled gradkit runs: MLPs built by the lab's model.ts (the experiments of its matrix, scaled
// down: width 32, batches of 32, ≈ 40 steps on 500 digits) and recurrent nets from @gradkit/nn.
import { Optimizer } from '@gradkit/core';
import { uniform } from '@gradkit/initializers';
import { dense, lstm, meanSquaredError, sequential, simpleRnn } from '@gradkit/nn';
import { adam } from '@gradkit/optimizers';
import * as tf from '@tensorflow/tfjs-core';
import { DEFAULT_CONFIG, type LabConfig } from '../config.js';
import { crossEntropy } from '../model.js';
import { ADDING_TRIVIAL_LOSS, addingProblem } from './adding.js';
import { accuracy, digits } from './digits.js';
import { ADAM_AGAIN, CLIP_AGAIN, LOWER_LR_FOR_EXPLODING, RAISE_LR } from './forbidden.js';
import { resultsOf, trainLoop, trainMlp } from './gradkit-runs.js';
import { failsBelow, type LabelledCase, type OutcomeCheck, trainsAbove } from './label.js';

/** The scaled-down lab configuration: the lab's defaults at width 32, batches of 32, 41 steps (step 40, the last, is a multiple of 5). */
const SMALL: LabConfig = { ...DEFAULT_CONFIG, width: 32, batch: 32, steps: 41 };
/** A healthy lab configuration: ReLU with He initialization (the lab's `relu-he`), 4 hidden layers. */
const RELU_HE: LabConfig = { ...SMALL, name: 'relu-he', depth: 4, activation: 'relu', init: 'he' };

/** A case training a lab configuration, its outcome checked from the test accuracy. */
function mlpCase(id: string, what: string, config: LabConfig, label: LabelledCase['label'], outcome: OutcomeCheck, webgpu = false): LabelledCase {
  return {
    id,
    family: 'gradkit',
    what,
    label,
    webgpu,
    async run(seed, everys) {
      const data = digits(seed);
      try {
        const { trained, accuracy: acc } = await trainMlp({ ...config, seed }, data, everys);
        return resultsOf(trained, outcome(acc, trained.diverged));
      } finally {
        tf.dispose(data as unknown as tf.TensorContainer);
      }
    },
  };
}

/** Hidden size and length of the recurrent cases. */
const HIDDEN = 16;
const ADDING_LENGTH = 50;

/** A tanh RNN with PyTorch's default init (U(±1/√h) for both kernels: the recurrent Jacobian's spectral radius ≈ 0.58) on the adding problem at T = 50. */
const tanhRnnAdding: LabelledCase = {
  id: 'rnn-tanh-adding50',
  family: 'gradkit',
  what: `tanh RNN (h ${HIDDEN}, PyTorch init U(±1/√h)) on the adding problem, T = ${ADDING_LENGTH}, Adam 1e-2, 40 steps`,
  label: { verdict: 'vanishing', mustFind: ['vanishingThroughTime'], mustNotOffer: [ADAM_AGAIN] },
  async run(seed, everys) {
    const bound = 1 / Math.sqrt(HIDDEN);
    const init = (s: number) => uniform({ min: -bound, max: bound, seed: s });
    const model = sequential(
      simpleRnn({
        inputSize: 2,
        hiddenSize: HIDDEN,
        returnSequences: false,
        kernelInitializer: init(seed * 10 + 1),
        recurrentInitializer: init(seed * 10 + 2),
      }),
      dense({ inFeatures: HIDDEN, outFeatures: 1, seed: seed * 10 + 3 }),
    );
    const optimizer = new Optimizer(model.params, adam({ learningRate: 1e-2 }));
    const train = addingProblem(512, ADDING_LENGTH, seed);
    const test = addingProblem(256, ADDING_LENGTH, seed + 1000);
    try {
      const trained = await trainLoop(model, optimizer, (b) => meanSquaredError(model.apply(b.x, { training: true }), b.y), train, {
        steps: 41,
        batch: 32,
        seed,
        everys,
        monitor: {},
      });
      const loss = tf.tidy(() => meanSquaredError(model.apply(test.x, { training: false }), test.y));
      const [testLoss] = await loss.data();
      loss.dispose();
      const v = testLoss as number;
      // Failing to learn the task: no better than 80% of the mean predictor's loss.
      return resultsOf(trained, {
        measured: `test MSE ${v.toFixed(3)}`,
        expected: `fails: MSE ≥ ${(0.8 * ADDING_TRIVIAL_LOSS).toFixed(3)} (mean predictor ${ADDING_TRIVIAL_LOSS.toFixed(3)})`,
        ok: trained.diverged || v >= 0.8 * ADDING_TRIVIAL_LOSS,
      });
    } finally {
      tf.dispose([train, test] as unknown as tf.TensorContainer);
      optimizer.dispose();
      model.dispose();
    }
  },
};

/** An LSTM (gradkit's defaults: orthogonal recurrent blocks, forget bias 1) reading MNIST digits row by row (T = 28). */
const lstmRows: LabelledCase = {
  id: 'lstm-mnist-rows',
  family: 'gradkit',
  what: `LSTM (h ${HIDDEN}) on MNIST rows (T = 28), Adam 1e-2, 40 steps`,
  // No ReLU anywhere: the step taps hₜ are exactly 0 while the rows read are blank (the top rows of a digit), which is not a dead unit.
  label: { verdict: 'healthy', mustNotFind: ['vanishingThroughTime', 'explodingThroughTime', 'deadUnits'], mustNotOffer: [ADAM_AGAIN] },
  async run(seed, everys) {
    const model = sequential(
      lstm({ inputSize: 28, hiddenSize: HIDDEN, returnSequences: false, seed: seed * 10 + 1 }),
      dense({ inFeatures: HIDDEN, outFeatures: 10, seed: seed * 10 + 2 }),
    );
    const optimizer = new Optimizer(model.params, adam({ learningRate: 1e-2 }));
    const data = digits(seed);
    const rows = (x: tf.Tensor) => tf.reshape(x, [-1, 28, 28]);
    try {
      const trained = await trainLoop(model, optimizer, (b) => tf.tidy(() => crossEntropy(b.y, model.apply(rows(b.x), { training: true }))), data.train, {
        steps: 41,
        batch: 32,
        seed,
        everys,
        monitor: {},
      });
      const logits = tf.tidy(() => model.apply(rows(data.test.x), { training: false }));
      const acc = trained.diverged ? 0 : await accuracy(logits, data.test.y);
      logits.dispose();
      return resultsOf(trained, trainsAbove(0.3)(acc, trained.diverged));
    } finally {
      tf.dispose(data as unknown as tf.TensorContainer);
      optimizer.dispose();
      model.dispose();
    }
  },
};

/** The labelled gradkit cases. */
export const GRADKIT_CASES: readonly LabelledCase[] = [
  mlpCase('mlp-relu-he', 'MLP 4×32, ReLU + He, momentum 0.05', RELU_HE, { verdict: 'healthy' }, trainsAbove(0.5), true),
  mlpCase(
    'mlp-sigmoid-deep',
    'MLP 10×32, sigmoid, U(±1/√n) init, momentum 0.05 (the lab’s baseline)',
    { ...SMALL, name: 'sigmoid' },
    { verdict: 'vanishing', mustFind: ['vanishing'], mustNotOffer: [RAISE_LR] },
    failsBelow(0.25),
    true,
  ),
  mlpCase(
    'mlp-relu-he2x',
    'MLP 10×32, ReLU + He×2 (4× variance), momentum 0.05 (the lab’s exploding)',
    { ...SMALL, name: 'exploding', activation: 'relu', init: 'he', initScale: 2 },
    { verdict: 'exploding', mustFind: ['exploding'], mustNotFind: ['vanishing'], mustNotOffer: [LOWER_LR_FOR_EXPLODING, RAISE_LR] },
    failsBelow(0.25),
    true,
  ),
  mlpCase(
    'mlp-onecycle',
    'MLP 4×32, ReLU + He, momentum, one-cycle to 0.05 over the whole run (ends at 2e-7)',
    { ...RELU_HE, name: 'onecycle', schedule: 'onecycle' },
    { verdict: 'healthy', mustNotFind: ['smallUpdates'], mustNotOffer: [RAISE_LR] },
    trainsAbove(0.5),
    true,
  ),
  mlpCase(
    'mlp-adam-clip',
    'MLP 4×32, ReLU + He, chain(clipByGlobalNorm(1), adam(3e-3))',
    { ...RELU_HE, name: 'adam-clip', optimizer: 'adam', lr: 3e-3, clip: 1 },
    { verdict: 'healthy', mustNotOffer: [ADAM_AGAIN, CLIP_AGAIN] },
    trainsAbove(0.5),
  ),
  mlpCase(
    'mlp-sigmoid-adam-clip',
    'MLP 10×32, sigmoid, U(±1/√n), chain(clipByGlobalNorm(1), adam(1e-3)) (the lab’s adam: stays vanishing)',
    { ...SMALL, name: 'sigmoid-adam-clip', optimizer: 'adam', lr: 1e-3, clip: 1 },
    { verdict: 'vanishing', mustFind: ['vanishing'], mustNotOffer: [ADAM_AGAIN, CLIP_AGAIN, RAISE_LR] },
    failsBelow(0.25),
  ),
  mlpCase(
    'mlp-muon',
    'MLP 4×32, ReLU + He, Muon 0.02 on the hidden matrices + AdamW 1e-3 on the rest',
    { ...RELU_HE, name: 'muon', optimizer: 'muon', lr: 0.02 },
    { verdict: 'healthy' },
    trainsAbove(0.5),
  ),
  mlpCase(
    'mlp-schedule-free',
    'MLP 4×32, ReLU + He, schedule-free AdamW 0.0025 (evaluated at x)',
    { ...RELU_HE, name: 'schedule-free', optimizer: 'scheduleFreeAdamW', lr: 0.0025 },
    { verdict: 'healthy' },
    trainsAbove(0.5),
  ),
  tanhRnnAdding,
  lstmRows,
];
