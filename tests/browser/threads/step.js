// The measurement shared by Node and the browser (threads.mjs): a 128×784·784×256 matmul, a 512²
// matmul, and one training step of a 784-256-256-10 ReLU MLP at batch 128 (softmax cross-entropy,
// Adam through gradkit's Optimizer.minimize, which reads the loss back). Each is timed `samples`
// times (a sample is the mean of a few back-to-back runs, each read back) after warm-up; the result
// is the median and the 10th and 90th percentiles of the samples, in ms.

/** Median, p10 and p90 of `values`. */
export function summary(values) {
  const s = [...values].sort((a, b) => a - b);
  const at = (q) => s[Math.min(s.length - 1, Math.floor(q * s.length))];
  return { median: at(0.5), p10: at(0.1), p90: at(0.9) };
}

async function timed(run, { samples, reps }) {
  for (let i = 0; i < 3; i++) await run();
  const out = [];
  for (let s = 0; s < samples; s++) {
    const t0 = performance.now();
    for (let r = 0; r < reps; r++) await run();
    out.push((performance.now() - t0) / reps);
  }
  return summary(out);
}

/** Times the three workloads on the active tfjs backend; `tf`, `Optimizer` and `adam` come from the caller. */
export async function measureStep({ tf, Optimizer, adam }, samples = 21) {
  const matmul = (a, b) => async () => {
    const c = tf.matMul(a, b);
    await c.data();
    c.dispose();
  };
  const [a, b, c] = [
    tf.randomNormal([128, 784], 0, 1, 'float32', 1),
    tf.randomNormal([784, 256], 0, 1, 'float32', 2),
    tf.randomNormal([512, 512], 0, 1, 'float32', 3),
  ];
  const sizes = [784, 256, 256, 10];
  const params = {};
  for (let i = 0; i < 3; i++) {
    params[`w${i}`] = tf.variable(tf.randomNormal([sizes[i], sizes[i + 1]], 0, Math.sqrt(2 / sizes[i]), 'float32', 7 + i));
    params[`b${i}`] = tf.variable(tf.zeros([sizes[i + 1]]));
  }
  const opt = new Optimizer(params, adam({ learningRate: 1e-3 }));
  const x = tf.randomUniform([128, 784], 0, 1, 'float32', 4);
  const labels = tf.randomUniform([128], 0, 10, 'int32', 5);
  const y = tf.oneHot(labels, 10);
  const logits = () => {
    let h = x;
    for (let i = 0; i < 3; i++) {
      h = tf.add(tf.matMul(h, params[`w${i}`]), params[`b${i}`]);
      if (i < 2) h = tf.relu(h);
    }
    return h;
  };
  const losses = [];
  const step = async () => losses.push(await opt.minimize(() => tf.losses.softmaxCrossEntropy(y, logits())));
  const result = {
    matmul128x784x256: await timed(matmul(a, b), { samples, reps: 10 }),
    matmul512: await timed(matmul(c, c), { samples, reps: 5 }),
    trainStep: await timed(step, { samples, reps: 4 }),
    firstLoss: losses[0],
  };
  opt.dispose();
  tf.dispose([a, b, c, x, labels, y, params]);
  return result;
}
