import { smallOutputMatMul } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { asTarget } from './doctor-test-support.js';
import { diagnoseModel } from './index.js';
import { normals, seeded } from './test-support.js';

/** λmax of the Hessian of L(w, b) = mean((x·w + b − y)²) over the samples: the top eigenvalue of (2/n)·AᵀA, A = [X, 1], by power iteration in float64. */
function linearRegressionLambdaMax(xs: Float32Array, n: number, d: number): number {
  const h = Array.from({ length: d + 1 }, () => new Array<number>(d + 1).fill(0));
  for (let s = 0; s < n; s++) {
    const a = [...Array.from(xs.slice(s * d, (s + 1) * d)), 1];
    for (let i = 0; i <= d; i++)
      for (let j = 0; j <= d; j++) (h[i] as number[])[j] = ((h[i] as number[])[j] as number) + (2 / n) * (a[i] as number) * (a[j] as number);
  }
  let v = new Array<number>(d + 1).fill(1);
  let lambda = 0;
  for (let k = 0; k < 500; k++) {
    const w = h.map((row) => row.reduce((acc, hij, j) => acc + hij * (v[j] as number), 0));
    lambda = Math.hypot(...w);
    v = w.map((x) => x / lambda);
  }
  return lambda;
}

describe('diagnoseModel({ curvature: true })', () => {
  smallOutputMatMul();
  it('measures λmax of a linear regression (exact: the top eigenvalue of 2·AᵀA/n) and adds the edge-of-stability finding for sgd', async () => {
    const rng = seeded(31);
    const [n, d] = [64, 3];
    const xs = normals(rng, n * d);
    const data = { x: tf.tensor2d(xs, [n, d]), y: tf.tensor2d(normals(rng, n), [n, 1]) };
    const model = tfl.sequential({ layers: [tfl.layers.dense({ units: 1, inputShape: [d], kernelInitializer: tfl.initializers.glorotUniform({ seed: 5 }) })] });
    const exact = linearRegressionLambdaMax(xs, n, d);
    const learningRate = 4 / exact; // η·λmax/2 = 2: past the edge of stability
    const phases: string[] = [];
    const d1 = await diagnoseModel(asTarget(model), {
      data,
      budget: 4,
      optimizer: 'sgd',
      learningRate,
      curvature: true,
      onProgress: (p) => phases.push(p.phase),
    });
    expect(d1.curvature?.lambdaMax).toBeCloseTo(exact, 2);
    expect(d1.curvature?.eosRatio).toBeCloseTo(2, 2);
    expect(d1.findings.map((f) => f.kind)).toContain('edgeOfStability');
    expect(phases[0]).toBe('curvature');
    // adaptive optimizers: λmax of H says nothing of their stability, no finding (see edgeOfStabilityFinding)
    const d2 = await diagnoseModel(asTarget(model), { data, budget: 4, optimizer: 'adam', learningRate, curvature: true });
    expect(d2.curvature?.lambdaMax).toBeCloseTo(exact, 2);
    expect(d2.findings.map((f) => f.kind)).not.toContain('edgeOfStability');
    const d3 = await diagnoseModel(asTarget(model), { data, budget: 4 });
    expect(d3.curvature).toBeUndefined();
    model.dispose();
    tf.dispose([data.x, data.y]);
  });
});

describe('diagnoseModel({ curvature: true }) on a model whose loss is not finite', () => {
  it('gives the nonfinite diagnosis without a curvature, instead of throwing', async () => {
    const model = tfl.sequential({ layers: [tfl.layers.dense({ units: 1, inputShape: [2] })] });
    const bias = model.getWeights()[1];
    const nan = tf.fill([2, 1], Number.NaN);
    model.setWeights([nan, bias as tf.Tensor]);
    const x = tf.tensor2d([1, 2, 3, 4], [2, 2]);
    const y = tf.tensor2d([1, 0], [2, 1]);
    const d = await diagnoseModel(asTarget(model), { data: { x, y }, budget: 6, optimizer: 'sgd', learningRate: 0.1, curvature: true });
    expect(d.verdict).toBe('nonfinite');
    expect(d.curvature).toBeUndefined();
    tf.dispose([x, y, nan]);
    model.dispose();
  });
});
