// The jax-js side of the peer benchmark: the whole training step (forward, backward, Adam) in one
// `jit`, written as optax's adam computes it (jax-js's optax port is not published). jax-js runs on
// its own devices: 'wasm' in Node on the cpu and wasm rows (its 'cpu' device is a debugging
// interpreter), and 'webgpu' on the webgpu row, with the `navigator.gpu` that gradkit's
// `useBackend('webgpu')` installs from Dawn.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { type Device, init, type Array as JaxArray, jit, nn, numpy as np, tree, valueAndGrad } from '@jax-js/jax';
import * as tf from '@tensorflow/tfjs-core';
import type { PeerData } from './peer-data.js';
import type { AdamHyper, PeerSide } from './peer-sides.js';

/** @jax-js/jax's version, from its package.json (which its exports do not list: found from its entry point). */
export const JAX_VERSION: string = (() => {
  try {
    const entry = createRequire(import.meta.url).resolve('@jax-js/jax');
    return (JSON.parse(readFileSync(join(dirname(entry), '..', 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
})();

/** One layer's arrays (a `type`, not an interface: jax-js's trees need one). */
type Layer = { w: JaxArray; b: JaxArray };
type Params = Layer[];

/** The jax-js device for the active tfjs backend. */
export function jaxDeviceFor(backend: string): Device {
  return backend === 'webgpu' ? 'webgpu' : 'wasm';
}

/**
 * Starts jax-js's `device`. Node 20 has no `navigator`; gradkit's WebGPU setup makes one holding only
 * `gpu`, and jax-js's WebGPU module reads `navigator.userAgent` when it loads, so one is lent for the
 * start and taken back. Returns null when the device started, else why not.
 */
async function startDevice(device: Device): Promise<string | null> {
  const nav = (globalThis as { navigator?: { userAgent?: string } }).navigator;
  const lend = nav !== undefined && nav.userAgent === undefined;
  if (lend) Object.defineProperty(nav, 'userAgent', { value: `Node.js/${process.versions.node}`, configurable: true });
  try {
    const started = await init(device);
    return started.includes(device) ? null : `jax-js could not start its ${device} device here (init returned [${started.join(', ')}])`;
  } catch (e) {
    return `jax-js's ${device} device failed to start: ${(e as Error).message}`;
  } finally {
    if (lend) Reflect.deleteProperty(nav, 'userAgent');
  }
}

/** Mean softmax cross-entropy of the MLP's logits against one-hot `y` (ReLU between layers). */
function loss(p: Params, x: JaxArray, y: JaxArray): JaxArray {
  let h = x;
  const batch = x.shape[0] as number;
  p.forEach((layer, i) => {
    h = np.matmul(h, layer.w).add(layer.b);
    if (i < p.length - 1) h = nn.relu(h);
  });
  return np.sum(nn.logSoftmax(h).mul(y)).mul(-1 / batch);
}

/** The jitted step: (params, m, v, x, y, 1/(1 − β₁ᵗ), 1/(1 − β₂ᵗ)) → [loss, params, m, v]; it consumes its arguments. */
function jitStep(o: AdamHyper) {
  return jit((p: Params, m: Params, v: Params, x: JaxArray, y: JaxArray, c1: JaxArray, c2: JaxArray) => {
    const [value, g] = valueAndGrad(loss)(tree.ref(p), x, y) as [JaxArray, Params];
    const next: Params = [];
    const nm: Params = [];
    const nv: Params = [];
    p.forEach((layer, i) => {
      const out = {} as Layer;
      const outM = {} as Layer;
      const outV = {} as Layer;
      for (const key of ['w', 'b'] as const) {
        const gi = (g[i] as Layer)[key];
        // optax.adam: m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g², θ ← θ − lr · m̂ / (√v̂ + ε).
        const m1 = (m[i] as Layer)[key].mul(o.beta1).add(gi.ref.mul(1 - o.beta1));
        const v1 = (v[i] as Layer)[key].mul(o.beta2).add(gi.ref.mul(gi).mul(1 - o.beta2));
        const update = m1.ref
          .mul(c1.ref)
          .div(np.sqrt(v1.ref.mul(c2.ref)).add(o.epsilon))
          .mul(o.learningRate);
        out[key] = layer[key].sub(update);
        outM[key] = m1;
        outV[key] = v1;
      }
      next.push(out);
      nm.push(outM);
      nv.push(outV);
    });
    c1.dispose();
    c2.dispose();
    return [value, next, nm, nv];
  });
}

/** The jax-js side on the device for the active tfjs backend, or why it cannot run here. */
export async function startJax(data: PeerData, adam: AdamHyper): Promise<{ side: PeerSide; device: Device } | { unavailable: string }> {
  const device = jaxDeviceFor(tf.getBackend());
  const failed = await startDevice(device);
  if (failed !== null) return { unavailable: failed };
  const put = (values: Float32Array, shape: number[]) => np.array(values, { shape, device });
  let p: Params = data.weights.map((w) => ({ w: put(w.kernel, [w.inputs, w.outputs]), b: put(w.bias, [w.outputs]) }));
  let m: Params = p.map((l) => ({ w: np.zerosLike(l.w.ref), b: np.zerosLike(l.b.ref) }));
  let v: Params = p.map((l) => ({ w: np.zerosLike(l.w.ref), b: np.zerosLike(l.b.ref) }));
  const inputs = data.sizes[0] as number;
  const classes = data.sizes[data.sizes.length - 1] as number;
  const xs = data.x.map((x) => put(x, [data.batch, inputs]));
  const ys = data.y.map((y) => put(y, [data.batch, classes]));
  const step = jitStep(adam);
  let t = 0;
  return {
    device,
    side: {
      async step(k) {
        t++;
        const scalar = (value: number) => np.array(value, { device });
        const c1 = scalar(1 / (1 - adam.beta1 ** t));
        const c2 = scalar(1 / (1 - adam.beta2 ** t));
        const [value, p1, m1, v1] = step(p, m, v, (xs[k] as JaxArray).ref, (ys[k] as JaxArray).ref, c1, c2) as [JaxArray, Params, Params, Params];
        p = p1;
        m = m1;
        v = v1;
        return (await value.data())[0] as number;
      },
      dispose() {
        tree.dispose([p, m, v, xs, ys]);
        step.dispose();
      },
    },
  };
}
