// Test support: a doctor run made by hand (no training), for the table and the report's tests: a
// vanishing baseline, two remedies tried (relu-he best), one that cannot be applied.
import type { ModelDiagnosis, RemedyAction, RemedyTrial } from '@gradkit/diagnostics';
import type { DoctorRun } from './run-doctor.js';

const action = (name: string, applicable: boolean, whyNot?: string): RemedyAction => ({
  name,
  title: `the ${name} remedy`,
  answers: ['vanishing'],
  applicable,
  ...(whyNot ? { whyNot } : {}),
  code: `// ${name}\nmodel.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy' });`,
  params: { layers: ['dense_1'] },
});

/** A diagnosis of a vanishing model with `remedies`. */
export function fakeDiagnosis(over: Partial<ModelDiagnosis> = {}): ModelDiagnosis {
  return {
    verdict: 'vanishing',
    findings: [
      {
        kind: 'vanishing',
        severity: 'error',
        what: '‖g‖ of the first layer is 1e-7 of the last',
        where: 'dense_1/kernel',
        why: 'the early layers do not learn',
        toTry: ["kernelInitializer: 'heNormal'"],
      },
    ],
    reports: [],
    losses: [1.2, 1.1, 1.05, 1],
    initialLoss: 1.2,
    finalLoss: 1,
    spikes: { count: 0, maxZ: 0, nonFiniteSteps: 0 },
    settings: {
      loss: { value: 'categoricalCrossentropy', source: 'inferred', why: 'the output layer dense_3 has a softmax activation' },
      optimizer: { value: 'adam', learningRate: 0.001, source: 'default' },
      budget: 4,
      batchSize: 8,
      every: 1,
      seed: 0,
    },
    remedies: [action('relu-he', true), action('lower-lr', true), action('insert-batchnorm', false, 'the model is not a Sequential stack of Dense layers')],
    ...over,
  };
}

/** A trial of `fakeDiagnosis()`: relu-he ×2.5 (recommended), lower-lr ×1.05, insert-batchnorm not applicable. */
export function fakeRun(): DoctorRun {
  const diagnosis = fakeDiagnosis();
  const [reluHe, lowerLr] = diagnosis.remedies as [RemedyAction, RemedyAction];
  const relu = {
    name: 'relu-he',
    title: reluHe.title,
    applied: true,
    code: reluHe.code,
    verdict: 'healthy' as const,
    initialLoss: 1.2,
    finalLoss: 0.4,
    losses: [1.2, 0.8, 0.5, 0.4],
    improvement: 2.5,
    rank: 1,
  };
  const lower = {
    name: 'lower-lr',
    title: lowerLr.title,
    applied: true,
    code: lowerLr.code,
    verdict: 'vanishing' as const,
    initialLoss: 1.2,
    finalLoss: 1 / 1.05,
    losses: [1.2, 1.1, 1, 0.95],
    improvement: 1.05,
    rank: 2,
  };
  const trial: RemedyTrial = {
    diagnosis,
    baseline: {
      name: 'baseline',
      title: 'the model as given',
      applied: true,
      code: '',
      verdict: 'vanishing',
      initialLoss: 1.2,
      finalLoss: 1,
      losses: diagnosis.losses,
    },
    remedies: [lower, relu],
    recommended: relu,
  };
  return { diagnosis, trial, settings: diagnosis.settings };
}
