// Browser check of gradkit's autograd, run by ../run.mjs on each backend (`?backend=cpu|wasm|webgpu`).
// It imports the BUILT packages (@gradkit/core → packages/core/dist/index.js) exactly as a user's Vite
// app would, computes gradients of known functions and one SGD step, and reports raw numbers as JSON
// in window.__result and <pre id="result">; run.mjs compares them with hand-worked values.
import { loadCheckpoint, Optimizer, saveCheckpoint, useBackend, valueAndGrad } from '@gradkit/core';
import { adam, sgd } from '@gradkit/optimizers';
import * as tf from '@tensorflow/tfjs-core';

const backend = new URLSearchParams(location.search).get('backend') ?? 'cpu';
const read = async (t) => Array.from(await t.data());

function report(result) {
  window.__result = result;
  document.getElementById('result').textContent = JSON.stringify(result, null, 2);
}

async function main() {
  // Tell "this browser has no WebGPU adapter" (a skip outside CI) apart from "gradkit is broken".
  if (backend === 'webgpu') {
    const adapter = navigator.gpu ? await navigator.gpu.requestAdapter() : null;
    if (!adapter) return { backend, skipped: navigator.gpu ? 'navigator.gpu.requestAdapter() returned null' : 'no navigator.gpu in this browser' };
  }
  // run.mjs copies tfjs's .wasm files into <build>/tfjs-wasm/.
  // Bundled apps hand gradkit a loader per backend: Vite splits each into a chunk fetched on demand.
  const load = {
    cpu: () => import('@tensorflow/tfjs-backend-cpu'),
    wasm: () => import('@tensorflow/tfjs-backend-wasm'),
    webgpu: () => import('@tensorflow/tfjs-backend-webgpu'),
  };
  const info = await useBackend(backend, { wasmPaths: new URL('tfjs-wasm/', location.href).href, load });
  const tensorsBefore = tf.memory().numTensors;

  // 1. f(w) = Σ sigmoid(w²)  →  ∂f/∂w = 2w·σ(w²)·(1 − σ(w²)).
  const w = tf.tensor1d([0.5, -1, 2]);
  const f = (p) => tf.sum(tf.sigmoid(tf.square(p.w)));
  const s = valueAndGrad(f)({ w });

  // 2. A dense layer, loss Σ(xW + b)  →  ∂/∂W = xᵀ·1 (column sums of x repeated), ∂/∂b = batch size.
  const x = tf.tensor2d([
    [1, 2, 3],
    [4, 5, 6],
  ]);
  const dense = (p) => tf.sum(tf.add(tf.matMul(x, p.W), p.b));
  const W0 = tf.tensor2d([
    [0.5, -1],
    [2, 0.25],
    [-0.5, 1],
  ]);
  const b0 = tf.tensor1d([0.1, -0.2]);
  const d = valueAndGrad(dense)({ W: W0, b: b0 });

  // 3. One Optimizer step with plain SGD over 3 parameters, using the gradients above: p ← p − lr·g.
  const params = { w: tf.variable(w), dense: { W: tf.variable(W0), b: tf.variable(b0) } };
  const opt = new Optimizer(params, sgd({ learningRate: 0.1 }));
  opt.step({ w: s.grads.w, dense: { W: d.grads.W, b: d.grads.b } });

  // 4. One fused Adam step from zero state: p ← p − lr·g/(|g| + ε) ≈ p − lr·sign(g).
  const adamParams = { w: tf.variable(w) }; // shares w's buffer, like params.w: copy-on-write keeps both apart
  const adamOpt = new Optimizer(adamParams, adam({ learningRate: 0.1 }));
  adamOpt.step({ w: s.grads.w });

  // 5. A checkpoint through tfjs's IndexedDB handler: saved after the SGD step, one more step, restored.
  const url = `indexeddb://gradkit-checkpoint-${backend}`;
  await saveCheckpoint(url, { params, optimizer: opt });
  opt.step({ w: s.grads.w, dense: { W: d.grads.W, b: d.grads.b } });
  await loadCheckpoint(url, { params, optimizer: opt });
  const checkpoint = { w: await read(params.w), b: await read(params.dense.b), stepCount: opt.stepCount };
  await tf.io.removeModel(url);

  const result = {
    backend,
    checkpoint,
    info,
    sigmoid: { value: await read(s.value), grad: await read(s.grads.w) },
    dense: { value: await read(d.value), dW: await read(d.grads.W), db: await read(d.grads.b) },
    sgd: { path: opt.lastStepPath, stepCount: opt.stepCount, w: await read(params.w), W: await read(params.dense.W), b: await read(params.dense.b) },
    adam: { path: adamOpt.lastStepPath, w: await read(adamParams.w) },
    crossOriginIsolated: globalThis.crossOriginIsolated === true,
  };
  opt.dispose();
  adamOpt.dispose();
  tf.dispose([w, x, W0, b0, s, d, params, adamParams]);
  result.leakedTensors = tf.memory().numTensors - tensorsBefore;
  return result;
}

main().then(report, (e) => report({ backend, error: String(e?.stack ?? e) }));
