// Test scaffolding of the remedies' tests (not part of the package's surface): hand-made diagnoses.
import * as tf from '@tensorflow/tfjs-core';
import type { ModelDiagnosis } from './doctor-types.js';
import type { Finding, FindingKind, GradientReport } from './report.js';

/** A finding of `kind` at `where`. */
export const finding = (kind: FindingKind, where = '(whole network)'): Finding => ({ kind, severity: 'warning', what: kind, where, why: '', toTry: [] });

/** A diagnosis with these findings and global norms (one report each), adam at `lr`, a budget of 100. */
export function fakeDiagnosis(findings: readonly Finding[], norms: readonly number[] = [1], lr = 1e-3, optimizer = 'adam'): Omit<ModelDiagnosis, 'remedies'> {
  const reports = norms.map((globalNorm) => ({ globalNorm, layers: [], activations: [], findings: [] }) as unknown as GradientReport);
  return {
    verdict: findings.length === 0 ? 'healthy' : 'vanishing',
    findings,
    reports,
    losses: [1],
    initialLoss: 1,
    finalLoss: 1,
    spikes: { count: 0, maxZ: 0, nonFiniteSteps: 0 },
    settings: {
      loss: { value: 'categoricalCrossentropy', source: 'option' },
      optimizer: { value: optimizer, learningRate: lr, source: 'option' },
      budget: 100,
      batchSize: 32,
      every: 5,
      seed: 0,
    },
  };
}

/** A gradkit-style module (no @gradkit/nn here: it depends on this package): a tanh MLP with seeded normal kernels `l<i>.kernel`, `l<i>.bias`. */
export function fakeModule(sizes: readonly number[], seed = 1) {
  const params: Record<string, { kernel: tf.Variable; bias: tf.Variable }> = {};
  for (let i = 0; i + 1 < sizes.length; i++)
    params[`l${i}`] = {
      kernel: tf.variable(tf.randomNormal([sizes[i] as number, sizes[i + 1] as number], 0, 0.5, 'float32', seed + i)),
      bias: tf.variable(tf.zeros([sizes[i + 1] as number])),
    };
  const layers = Object.values(params);
  return {
    name: 'mlp',
    params,
    training: true,
    apply(x: tf.Tensor): tf.Tensor {
      return tf.tidy(() => layers.reduce((h, l, i) => (i + 1 < layers.length ? tf.tanh : (t: tf.Tensor) => t)(tf.add(tf.matMul(h, l.kernel), l.bias)), x));
    },
    dispose() {
      tf.dispose(layers.flatMap((l) => [l.kernel, l.bias]));
    },
  };
}
