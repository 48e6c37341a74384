import { currentBackend, expectClose, expectNoLeaks, spread } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { muonMomentum, muonMomentumOps } from '../../muon-momentum.js';
import '../register.js';
import { MUON_MOMENTUM_KERNEL } from './kernel.js';

// GradkitMuonMomentum on the active backend against the tf ops it replaces (muonMomentumOps) and
// against torch.optim.Muon's formula worked in float64: buf' = buf + (1 − μ)(g − buf),
// update = nesterov ? g + μ(buf' − g) : buf' (torch/optim/_muon.py, `_single_tensor_muon`:
// `buf.lerp_(grad, 1 - momentum)`; `grad.lerp_(buf, momentum)` when nesterov).

/** Lengths: empty, a tail only, a SIMD body plus a tail, a matrix. */
const SHAPES = [[0], [3], [4099], [33, 17]];

/** The kernels each backend ran while `f` did (tf.profile's kernel names). */
async function kernelsRun(f: () => tf.TensorContainer): Promise<string[]> {
  const info = await tf.profile(f);
  tf.dispose(info.result as tf.TensorContainer);
  return info.kernelNames;
}

describe(`GradkitMuonMomentum on ${currentBackend()}`, () => {
  it('is registered for the active backend, and muonMomentum runs it as one kernel', async () => {
    expect(tf.getKernel(MUON_MOMENTUM_KERNEL, tf.getBackend())).toBeDefined();
    const g = tf.tensor1d([1, 2, 3]);
    const b = tf.tensor1d([0.5, 0.5, 0.5]);
    const names = await kernelsRun(() => {
      const r = muonMomentum(g, b, 0.9, true);
      return [r.buf, r.update];
    });
    expect(names).toEqual([MUON_MOMENTUM_KERNEL]);
    tf.dispose([g, b]);
  });

  for (const nesterov of [false, true]) {
    for (const shape of SHAPES) {
      it(`nesterov ${nesterov}, shape [${shape}]: the tf ops' numbers (bit for bit on cpu and wasm) and torch's formula`, async () => {
        const n = tf.util.sizeFromShape(shape);
        const [gv, bv] = [spread(n, 3), spread(n, 4)];
        const g = tf.tensor(gv, shape);
        const b = tf.tensor(bv, shape);
        const mu = 0.95;
        const fused = muonMomentum(g, b, mu, nesterov);
        const ops = muonMomentumOps(g, b, mu, nesterov);
        const exact = currentBackend() === 'webgpu' ? {} : { rtol: 0, atol: 0 };
        await expectClose(fused.buf, ops.buf, exact);
        await expectClose(fused.update, ops.update, exact);
        const next = Array.from(bv, (x, i) => x + (1 - mu) * ((gv[i] as number) - x));
        await expectClose(await fused.buf.data(), next, { rtol: 1e-6, atol: 1e-7 });
        await expectClose(await fused.update.data(), nesterov ? next.map((x, i) => (gv[i] as number) + mu * (x - (gv[i] as number))) : next, {
          rtol: 1e-6,
          atol: 1e-7,
        });
        expect(fused.buf.shape).toEqual(shape);
        expect(fused.buf.dataId).not.toBe(fused.update.dataId);
        tf.dispose([g, b, fused.buf, fused.update, ops.buf, ops.update]);
      });
    }
  }

  it('NaN and ±∞ pass through as in the tf ops', async () => {
    const g = tf.tensor1d([Number.NaN, Number.POSITIVE_INFINITY, 1, -2, 0]);
    const b = tf.tensor1d([0, 1, Number.NEGATIVE_INFINITY, 3, 0]);
    const fused = muonMomentum(g, b, 0.5, true);
    const ops = muonMomentumOps(g, b, 0.5, true);
    expect(Array.from(await fused.buf.data())).toEqual(Array.from(await ops.buf.data()));
    expect(Array.from(await fused.update.data())).toEqual(Array.from(await ops.update.data()));
    tf.dispose([g, b, fused.buf, fused.update, ops.buf, ops.update]);
  });

  it('leaks nothing over 200 calls inside tidy, and returns tensors the caller owns', async () => {
    const g = tf.randomNormal([64, 32]);
    let b = tf.zeros([64, 32]);
    await expectNoLeaks(async () => {
      for (let t = 0; t < 200; t++) {
        const next = tf.tidy(() => {
          const r = muonMomentum(g, b, 0.95, true);
          return r.buf;
        });
        b.dispose();
        b = next;
      }
      await b.data();
    });
    tf.dispose([g, b]);
  });
});
