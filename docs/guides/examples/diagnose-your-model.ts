import { applyRemedy, diagnoseModel, edgeOfStabilityFinding, hessianTopEigenvalue, tryRemedies } from '@gradkit/diagnostics';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

// #region model
/** Eight sigmoid layers of 16 units (tfjs's default Glorot init, seeded): the classic vanishing-gradient net, compiled as tfjs users do. */
export function deepSigmoid(features: number, classes: number): tfl.Sequential {
  const model = tfl.sequential();
  const kernelInitializer = (i: number) => tfl.initializers.glorotUniform({ seed: i + 1 });
  for (let i = 0; i < 8; i++)
    model.add(tfl.layers.dense({ units: 16, activation: 'sigmoid', kernelInitializer: kernelInitializer(i), ...(i === 0 ? { inputShape: [features] } : {}) }));
  model.add(tfl.layers.dense({ units: classes, activation: 'softmax', kernelInitializer: kernelInitializer(8) }));
  model.compile({ optimizer: tf.train.adam(1e-2), loss: 'categoricalCrossentropy' });
  return model;
}
// #endregion

/** The doctor on `model` with `x` [n, features] and one-hot `y`: diagnosis, trial, the remedied copy trained. */
export async function doctor(model: tfl.Sequential, x: tf.Tensor, y: tf.Tensor) {
  // #region diagnose
  const diagnosis = await diagnoseModel(model, { data: { x, y }, budget: 40 });
  console.log(diagnosis.verdict); // 'vanishing'
  for (const f of diagnosis.findings) console.log(`${f.what} (${f.where})`);
  for (const r of diagnosis.remedies) console.log(r.name, r.applicable ? r.code : `cannot: ${r.whyNot}`);
  // #endregion

  // #region try
  const trial = await tryRemedies(model, { data: { x, y }, budget: 40, diagnosis });
  for (const r of [trial.baseline, ...trial.remedies])
    console.log(r.rank ?? '·', r.name, r.applied ? `${r.verdict}, final loss ${r.finalLoss?.toFixed(3)}` : r.whyNot);
  console.log('recommended:', trial.recommended?.name ?? 'nothing to change');
  // #endregion

  // #region apply
  const best = diagnosis.remedies.find((r) => r.name === trial.recommended?.name);
  if (best === undefined) return { trial, history: undefined };
  const { target: fixed, optimizer } = applyRemedy(model, best, diagnosis.settings); // a copy: `model` is unchanged
  fixed.compile({ optimizer, loss: 'categoricalCrossentropy' });
  const history = await fixed.fit(x, y, { epochs: 5, batchSize: 32, verbose: 0 });
  fixed.dispose();
  optimizer.dispose();
  // #endregion
  return { trial, history };
}

/** The top Hessian eigenvalue of the mean squared error of a linear model, and whether SGD at `lr` is past the edge of stability. */
export async function sharpness(x: tf.Tensor2D, y: tf.Tensor2D, lr: number) {
  // #region curvature
  const w = tf.tidy(() => tf.variable(tf.zeros([x.shape[1], 1]))); // tidy frees the zeros, keeps the variable
  const loss = () => tf.losses.meanSquaredError(y, tf.matMul(x, w)) as tf.Scalar;
  const { lambdaMax } = await hessianTopEigenvalue(loss, [w]); // power iteration on finite-difference Hessian-vector products
  const finding = edgeOfStabilityFinding(lambdaMax, lr, 'sgd'); // set when lr · λmax / 2 > 1
  console.log(lambdaMax, finding?.what ?? 'the rate is below 2/λmax');
  w.dispose();
  // #endregion
  return { lambdaMax, finding };
}
