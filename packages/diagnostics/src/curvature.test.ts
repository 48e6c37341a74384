import { readFileSync } from 'node:fs';
import { expectNoLeaks, smallOutputMatMul } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { hessianTopEigenvalue } from './curvature.js';

/** A symmetric 4×4 matrix with eigenvalues `ev`: Q·diag(ev)·Qᵀ for the Householder reflection Q = I − 2uuᵀ/uᵀu (u = [1, 2, −1, 3]), worked in float64. */
function rotated(ev: readonly number[]): number[] {
  const u = [1, 2, -1, 3];
  const uu = u.reduce((s, x) => s + x * x, 0);
  const q = (i: number, j: number) => (i === j ? 1 : 0) - (2 * (u[i] as number) * (u[j] as number)) / uu;
  const a: number[] = [];
  for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) a.push(ev.reduce((s, e, k) => s + q(i, k) * e * q(j, k), 0));
  return a;
}

/** ½θᵀAθ + bᵀθ over θ = [w (2), z (2)] held in two variables: its Hessian is A, whatever b and θ. */
function quadratic(a: readonly number[], theta = [0.3, -1.2, 0.8, 0.5]) {
  const w = tf.tidy(() => tf.variable(tf.tensor1d(theta.slice(0, 2)), true, `quad-w-${Math.random()}`));
  const z = tf.tidy(() => tf.variable(tf.tensor1d(theta.slice(2)), true, `quad-z-${Math.random()}`));
  const A = tf.tensor2d([...a], [4, 4]);
  const b = tf.tensor1d([0.5, -0.25, 1, 2]);
  const loss = () =>
    tf.tidy(() => {
      const t = tf.concat([w, z]);
      return tf.add(tf.mul(0.5, tf.sum(tf.mul(t, tf.reshape(tf.matMul(A, tf.reshape(t, [4, 1])), [4])))), tf.sum(tf.mul(b, t))) as tf.Scalar;
    });
  return { w, z, loss, dispose: () => tf.dispose([w, z, A, b]) };
}

const relErr = (got: number, want: number) => Math.abs(got - want) / Math.abs(want);

describe('hessianTopEigenvalue on quadratics (Hessian A, known eigenvalues)', () => {
  smallOutputMatMul();
  it('diag(7.5, 3, 1, 0.5): 7.5 within 1e-3', async () => {
    const q = quadratic([7.5, 0, 0, 0, 0, 3, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0.5]);
    const r = await hessianTopEigenvalue(q.loss, [q.w, q.z]);
    expect(relErr(r.lambdaMax, 7.5)).toBeLessThan(1e-3);
    expect(r.converged).toBe(true);
    q.dispose();
  });
  it('rotated, eigenvalues 7.5, −3, 2, 0.1: 7.5 within 1e-3, at θ = 0 as well', async () => {
    const a = rotated([7.5, -3, 2, 0.1]);
    for (const theta of [
      [0.3, -1.2, 0.8, 0.5],
      [0, 0, 0, 0],
    ]) {
      const q = quadratic(a, theta);
      const r = await hessianTopEigenvalue(q.loss, [q.w, q.z], { tolerance: 1e-5 });
      expect(relErr(r.lambdaMax, 7.5)).toBeLessThan(1e-3);
      q.dispose();
    }
  });
  it('finds the eigenvalue of largest magnitude with its sign (−9 over 4)', async () => {
    const q = quadratic(rotated([4, -9, 1, 0.5]));
    const r = await hessianTopEigenvalue(q.loss, [q.w, q.z], { tolerance: 1e-5 });
    expect(relErr(r.lambdaMax, -9)).toBeLessThan(1e-3);
    q.dispose();
  });
  it('stops at `iterations` without convergence when the gap is small, and says so', async () => {
    const q = quadratic([7.5, 0, 0, 0, 0, 7.4, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0.5]);
    const r = await hessianTopEigenvalue(q.loss, [q.w, q.z], { iterations: 3, tolerance: 1e-9 });
    expect(r).toMatchObject({ iterations: 3, converged: false });
    // Every Rayleigh quotient of this A lies in [0.5, 7.5]; after 3 steps it is close to the top pair.
    expect(r.lambdaMax).toBeGreaterThan(6);
    expect(r.lambdaMax).toBeLessThanOrEqual(7.5 * (1 + 1e-4));
    q.dispose();
  });
  it('a loss linear in the weights has curvature 0', async () => {
    const w = tf.tidy(() => tf.variable(tf.tensor1d([1, 2, 3]), true, `lin-${Math.random()}`));
    const r = await hessianTopEigenvalue(() => tf.sum(tf.mul(w, tf.tensor1d([1, -1, 2]))) as tf.Scalar, [w]);
    expect(r).toEqual({ lambdaMax: 0, iterations: 1, converged: true });
    w.dispose();
  });
  it('the same seed gives the same numbers; another seed the same eigenvalue', async () => {
    const q = quadratic(rotated([7.5, -3, 2, 0.1]));
    const a = await hessianTopEigenvalue(q.loss, [q.w, q.z], { seed: 5, iterations: 4 });
    const b = await hessianTopEigenvalue(q.loss, [q.w, q.z], { seed: 5, iterations: 4 });
    const c = await hessianTopEigenvalue(q.loss, [q.w, q.z], { seed: 6 });
    expect(b).toEqual(a);
    expect(relErr(c.lambdaMax, 7.5)).toBeLessThan(1e-3);
    q.dispose();
  });
});

describe('hessianTopEigenvalue leaves the variables as they were', () => {
  smallOutputMatMul();
  it('bit for bit after a run, with no tensor left behind', async () => {
    const q = quadratic(rotated([7.5, -3, 2, 0.1]), [0.1, 1e-7, -3.3333333, 12345.678]);
    const before = [await q.w.data(), await q.z.data()].map((d) => Array.from(new Uint32Array(d.buffer, d.byteOffset, d.length)));
    await expectNoLeaks(() => hessianTopEigenvalue(q.loss, [q.w, q.z]), { what: 'hessianTopEigenvalue' });
    const after = [await q.w.data(), await q.z.data()].map((d) => Array.from(new Uint32Array(d.buffer, d.byteOffset, d.length)));
    expect(after).toEqual(before);
    q.dispose();
  });
  it('and when the loss throws halfway (restored, nothing leaked, the error passes through)', async () => {
    const q = quadratic([7.5, 0, 0, 0, 0, 3, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0.5]);
    let calls = 0;
    const boom = () => {
      calls += 1;
      if (calls === 4) throw new Error('boom');
      return q.loss();
    };
    const before = tf.memory().numTensors;
    await expect(hessianTopEigenvalue(boom, [q.w, q.z])).rejects.toThrow('boom');
    expect(tf.memory().numTensors).toBe(before);
    expect(Array.from(await q.w.data())).toEqual(Array.from(new Float32Array([0.3, -1.2])));
    expect(Array.from(await q.z.data())).toEqual(Array.from(new Float32Array([0.8, 0.5])));
    q.dispose();
  });
});

// Reference: packages/diagnostics/fixtures/curvature.py (PyTorch 1.13, float64) → curvature.json:
// the exact Hessian of a 3→4 tanh→2 MLP's softmax cross-entropy (torch.autograd.functional.hessian)
// and its eigenvalues (torch.linalg.eigvalsh).
const torchMlp = JSON.parse(readFileSync(new URL('../fixtures/curvature.json', import.meta.url), 'utf8')) as {
  x: number[][];
  y: number[];
  params: Record<'w1' | 'b1' | 'w2' | 'b2', number[]>;
  shapes: Record<'w1' | 'b1' | 'w2' | 'b2', number[]>;
  loss: number;
  eigenvaluesByMagnitude: number[];
};

describe('hessianTopEigenvalue on a tiny MLP, against PyTorch (float64 Hessian)', () => {
  smallOutputMatMul();
  it('top eigenvalue within 3e-4 of the exact one (5e-2 off with a step 30× too large)', async () => {
    const names = ['w1', 'b1', 'w2', 'b2'] as const;
    const v = Object.fromEntries(
      names.map((k) => [k, tf.tidy(() => tf.variable(tf.tensor(torchMlp.params[k], torchMlp.shapes[k]), true, `mlp-${k}-${Math.random()}`))]),
    ) as Record<(typeof names)[number], tf.Variable>;
    const x = tf.tensor2d(torchMlp.x);
    const labels = tf.oneHot(tf.tensor1d(torchMlp.y, 'int32'), 2);
    const loss = () =>
      tf.tidy(() => {
        const logits = tf.add(tf.matMul(tf.tanh(tf.add(tf.matMul(x, v.w1), v.b1)), v.w2), v.b2);
        return tf.mean(tf.neg(tf.sum(tf.mul(labels, tf.logSoftmax(logits)), -1))) as tf.Scalar;
      });
    const l = loss();
    expect(relErr((await l.data())[0] as number, torchMlp.loss)).toBeLessThan(1e-5);
    l.dispose();
    const want = torchMlp.eigenvaluesByMagnitude[0] as number;
    const r = await hessianTopEigenvalue(
      loss,
      names.map((k) => v[k]),
      { tolerance: 1e-5 },
    );
    expect(r.converged).toBe(true);
    expect(relErr(r.lambdaMax, want)).toBeLessThan(3e-4);
    // The O(ε²) truncation error: measured 4.8e-2 at epsilon 1e-2.
    const coarse = await hessianTopEigenvalue(
      loss,
      names.map((k) => v[k]),
      { iterations: 12, epsilon: 1e-2 },
    );
    expect(relErr(coarse.lambdaMax, want)).toBeGreaterThan(1e-2);
    tf.dispose([...Object.values(v), x, labels]);
  });
});
