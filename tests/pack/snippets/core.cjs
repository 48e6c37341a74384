// Runs in an empty npm project where only @gradkit/core (packed), tfjs-core (its peer) and the cpu and
// wasm backends are installed: plain Node CommonJS (tfjs-core's CJS bundle registers no gradients).
const tf = require('@tensorflow/tfjs-core');
const { GradkitError, useBackend, valueAndGrad } = require('@gradkit/core');

const close = (actual, expected) => actual.length === expected.length && expected.every((e, i) => Math.abs(actual[i] - e) <= 1e-5 * (1 + Math.abs(e)));
const check = (what, actual, expected) => {
  if (!close(Array.from(actual), expected)) throw new Error(`${what}: got [${Array.from(actual)}], expected [${expected}]`);
};

async function main() {
  for (const name of ['cpu', 'wasm']) {
    const info = await useBackend(name);
    if (info.name !== name || tf.getBackend() !== name) throw new Error(`useBackend('${name}') started ${info.name} (tfjs says ${tf.getBackend()})`);
    // f(w) = Σ w² + Σ sigmoid(w): ∂f/∂w = 2w + σ(w)(1 − σ(w)).
    const w = tf.tensor1d([1, -2, 3]);
    const { value, grads } = valueAndGrad((p) => tf.add(tf.sum(tf.mul(p.w, p.w)), tf.sum(tf.sigmoid(p.w))))({ w });
    const s = (x) => 1 / (1 + Math.exp(-x));
    check(`${name} value`, await value.data(), [14 + s(1) + s(-2) + s(3)]);
    check(
      `${name} grads.w`,
      await grads.w.data(),
      [1, -2, 3].map((x) => 2 * x + s(x) * (1 - s(x))),
    );
    tf.dispose([value, grads.w, w]);
    console.log(`cjs ${name}: value and gradients right`);
  }
  try {
    await useBackend('webgpu');
    throw new Error("useBackend('webgpu') started without the webgpu packages installed");
  } catch (e) {
    if (!(e instanceof GradkitError) || !/npm install/.test(e.message)) throw new Error(`useBackend('webgpu') failed without naming what to install: ${e}`);
  }
  console.log('ok');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
