import { Optimizer, setFastPaths } from '@gradkit/core';
import { currentBackend, expectClose, expectNoLeaks, spread } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { adam, rmsprop, sgd } from '../../index.js';
import { applyRuleF32 } from '../f32-rules.js';
import type { FusedPlan } from '../plan.js';
import { type CpuData, updateAtHome } from './wasm-home.js';

// The cpu step's homes, first on arrays of our own (no tfjs needed, so this runs in every project)
// against f32-rules.ts (the JavaScript transcription of the same formulas, rounded after every
// operation: the modules give the same bits), then on the cpu backend's own tensors.

const ADAM: FusedPlan = {
  rule: {
    kind: 'adam',
    lr: 0.01,
    beta1: 0.9,
    beta2: 0.99,
    epsilon: 1e-8,
    weightDecay: 0,
    decoupled: false,
    amsgrad: false,
    stepSize: 0.01 / (1 - 0.9 ** 2),
    bc2Sqrt: Math.sqrt(1 - 0.99 ** 2),
  },
};

/** Lengths: empty, 1, a SIMD tail, and one longer than the 32768-element gradient chunk. */
const LENGTHS = [0, 1, 7, 40001];

/** Leaves [θ, m, v] as data entries, with the same values as plain arrays for the oracle. */
function leavesOf(lengths: readonly number[], seed: number) {
  const leaves = lengths.map((n, i) => [0, 1, 2].map((k) => ({ values: spread(n, seed + 10 * i + k).map(Math.abs) }) as CpuData));
  const oracle = leaves.map((leaf) => leaf.map((d) => d.values.slice()));
  const grads = lengths.map((n, i) => spread(n, seed + 100 + i));
  return { leaves, oracle, grads };
}

function stepOracle(oracle: Float32Array[][], grads: Float32Array[]): void {
  for (const [i, [p, ...slots]] of oracle.entries()) applyRuleF32(ADAM.rule, p as Float32Array, grads[i] as Float32Array, slots, undefined, Math.max);
}

function expectSame(leaves: readonly CpuData[][], oracle: readonly Float32Array[][]): void {
  for (const [i, leaf] of leaves.entries())
    for (const [k, d] of leaf.entries()) expect(Array.from(d.values), `leaf ${i} array ${k}`).toEqual(Array.from(oracle[i]?.[k] ?? []));
}

describe('updateAtHome (the cpu step over parameters moved into WebAssembly memory)', () => {
  it('moves every leaf into one home, laid out region by region, and gives the oracle’s bits', () => {
    const { leaves, oracle, grads } = leavesOf(LENGTHS, 1);
    expect(updateAtHome(ADAM, leaves, grads, undefined)).toEqual([]);
    stepOracle(oracle, grads);
    expectSame(leaves, oracle);
    const buffer = leaves[0]?.[0]?.values.buffer as ArrayBuffer;
    expect(buffer.byteLength % 65536).toBe(0); // a WebAssembly memory's pages
    for (const leaf of leaves) for (const d of leaf) expect(d.values.buffer).toBe(buffer);
    // Parameters side by side, then the m region, then the v region, each 4-aligned.
    const total = LENGTHS.reduce((a, b) => a + b, 0);
    const region = Math.ceil(total / 4) * 4 * 4;
    expect(leaves.map((l) => l[0]?.values.byteOffset)).toEqual([0, 0, 4, 32]);
    expect(leaves.map((l) => l[1]?.values.byteOffset)).toEqual([region, region, region + 4, region + 32]);
    expect(leaves[3]?.[2]?.values.byteOffset).toBe(2 * region + 32);
  });

  it('updates in place on later steps, and moves only a leaf whose array was replaced', () => {
    const { leaves, oracle, grads } = leavesOf(LENGTHS, 2);
    updateAtHome(ADAM, leaves, grads, undefined);
    stepOracle(oracle, grads);
    const home = leaves[0]?.[0]?.values.buffer;
    const views = leaves.map((l) => l.map((d) => d.values));
    updateAtHome(ADAM, leaves, grads, undefined);
    stepOracle(oracle, grads);
    expectSame(leaves, oracle);
    for (const [i, l] of leaves.entries()) for (const [k, d] of l.entries()) expect(d.values).toBe(views[i]?.[k]);
    // As `variable.assign` does: leaf 2's parameter gets a new array (new values too).
    const assigned = Float32Array.from({ length: 7 }, (_, j) => j - 3);
    (leaves[2]?.[0] as CpuData).values = assigned.slice();
    (oracle[2] as Float32Array[])[0] = assigned;
    updateAtHome(ADAM, leaves, grads, undefined);
    stepOracle(oracle, grads);
    expectSame(leaves, oracle);
    const moved = leaves[2]?.[0]?.values.buffer;
    expect(moved).not.toBe(home);
    for (const d of leaves[2] ?? []) expect(d.values.buffer).toBe(moved); // its slots moved with it
    for (const i of [0, 1, 3]) for (const d of leaves[i] ?? []) expect(d.values.buffer).toBe(home);
    // Leaves 1 and 3 are no longer neighbours in the home: two runs, still the oracle's bits.
    updateAtHome(ADAM, leaves, grads, undefined);
    stepOracle(oracle, grads);
    expectSame(leaves, oracle);
  });

  it('a home of empty tensors only (shape [0]) is stepped without a hang', () => {
    const { leaves, grads } = leavesOf([0, 0], 4);
    expect(updateAtHome(ADAM, leaves, grads, undefined)).toEqual([]);
    expect(updateAtHome(ADAM, leaves, grads, undefined)).toEqual([]);
    expect(leaves.flat().map((d) => d.values.length)).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('moves out a leaf whose arrays lie in a home but belong to another tensor (a tfjs-cpu slice is a view)', () => {
    const { leaves, oracle, grads } = leavesOf([8], 3);
    updateAtHome(ADAM, leaves, grads, undefined);
    stepOracle(oracle, grads);
    const [p, m, v] = leaves[0] as CpuData[];
    const other = [p, m, v].map((d) => ({ values: (d as CpuData).values.subarray(2, 5) }) as CpuData);
    const otherOracle = [other.map((d) => d.values.slice())];
    const g = [spread(3, 9)];
    updateAtHome(ADAM, [other], g, undefined);
    stepOracle(otherOracle, g);
    expectSame([other], otherOracle);
    expect(other[0]?.values.buffer).not.toBe(p?.values.buffer);
    expectSame(leaves, oracle); // the first leaf kept its values
  });
});

describe.skipIf(currentBackend() !== 'cpu')('the cpu backend’s tensors in their homes', () => {
  /** The optimizer's state tree (private: the slot tensors themselves are what these tests look at). */
  const slotsOf = (opt: object) => (opt as { state?: unknown }).state;
  const arrayOf = (t: tf.Tensor) => (tf.backend() as unknown as { data: { get(id: object): CpuData } }).data.get(t.dataId).values;

  it('a fused step leaves parameters and slots in one WebAssembly memory, readable by every tfjs op', async () => {
    const w = tf.variable(tf.tensor2d([1, -2, 3, -4], [2, 2]));
    const b = tf.variable(tf.tensor1d([0.5, -0.5]));
    const opt = new Optimizer({ w, b }, rmsprop({ learningRate: 0.1 }));
    opt.step({ w: tf.ones([2, 2]), b: tf.tensor1d([2, -2]) });
    expect(opt.lastStepPath).toBe('fused:GradkitRmsprop');
    const state = slotsOf(opt) as { squareAvg: { w: tf.Tensor; b: tf.Tensor } };
    const buffer = arrayOf(w).buffer;
    for (const t of [b, state.squareAvg.w, state.squareAvg.b]) expect(arrayOf(t).buffer).toBe(buffer);
    // RMSprop's first step by hand (α 0.99, ε 1e-8): v = 0.01·g², θ − 0.1·g/(√v + ε) = θ − 0.1·sign(g)/0.1 = θ ∓ 1
    // (to float32 rounding: √0.01 is not exactly 0.1).
    await expectClose(
      w,
      [
        [0, -3],
        [2, -5],
      ],
      { atol: 1e-6 },
    );
    await expectClose(b, [-0.5, 0.5], { atol: 1e-6 });
    const y = tf.tidy(() => tf.matMul(w, tf.reshape(b, [2, 1])));
    await expectClose(y, [[-3 * 0.5], [2 * -0.5 + -5 * 0.5]], { atol: 1e-6 });
    opt.dispose();
    tf.dispose([w, b, y]);
  });

  it('a parameter assigned a new value between steps is moved again and stepped from that value', async () => {
    const w = tf.variable(tf.tensor1d([1, 2, 3]));
    const opt = new Optimizer({ w }, adam({ learningRate: 0.5 }));
    opt.step({ w: tf.tensor1d([1, 1, 1]) });
    w.assign(tf.tensor1d([10, 20, 30]));
    opt.step({ w: tf.tensor1d([1, 1, 1]) });
    // Adam with a constant gradient moves θ by lr·m̂/(√v̂ + ε) = lr each step (to float32 rounding).
    await expectClose(w, [9.5, 19.5, 29.5], { atol: 1e-5 });
    const state = slotsOf(opt) as { mu: { w: tf.Tensor } };
    expect(arrayOf(state.mu.w).buffer).toBe(arrayOf(w).buffer);
    opt.dispose();
    w.dispose();
  });

  it('a variable made from a slice of a moved parameter (a view of its memory) is moved before it is written', async () => {
    const w = tf.variable(tf.tensor1d([1, 2, 3, 4]));
    const opt = new Optimizer({ w }, sgd({ learningRate: 1 }));
    const zeros = { w: tf.zeros([4]) };
    opt.step(zeros);
    // tfjs-cpu's own slice (gradkit's cpu fast path copies): a view, shared with no refCount.
    setFastPaths(false);
    const s = tf.slice(w, 1, 2);
    setFastPaths(true);
    const v = tf.variable(s);
    s.dispose();
    expect(arrayOf(v).buffer).toBe(arrayOf(w).buffer);
    const opt2 = new Optimizer({ v }, sgd({ learningRate: 1 }));
    const ones = { v: tf.ones([2]) };
    opt2.step(ones);
    expect(opt2.lastStepPath).toBe('fused:GradkitSgd');
    expect(Array.from(await v.data())).toEqual([1, 2]);
    expect(Array.from(await w.data())).toEqual([1, 2, 3, 4]);
    opt.dispose();
    opt2.dispose();
    tf.dispose([w, v, zeros.w, ones.v]);
  });

  it('leaks no tensors over 200 steps with a parameter reassigned every 10', async () => {
    const w = tf.variable(tf.tensor1d(spread(100, 3)));
    const opt = new Optimizer({ w }, adam({ learningRate: 0.01 }));
    const g = { w: tf.tensor1d(spread(100, 4)) };
    await expectNoLeaks(() => {
      for (let s = 0; s < 200; s++) {
        opt.step(g);
        if (s % 10 === 0) tf.tidy(() => w.assign(tf.mul(w, 1)));
      }
    });
    opt.dispose();
    tf.dispose([w, g.w]);
  });
});
