import { HyperParameterError, Optimizer, UnknownOptionError } from '@gradkit/core';
import { expectClose, smallOutputMatMul } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { type MuonOptions, muon, optimizerFromConfig, optimizerToConfig } from './index.js';
import { type Matrix, type MuonReferenceOptions, torchAdamwLeaf, torchMuon } from './muon-references.js';
import {
  at,
  badHyperTests,
  badOptions,
  type Flat,
  type Leaf,
  leakTest,
  MAIN,
  needsParamsTest,
  type Problem,
  read,
  roundTripTest,
  trajectoryTests,
  variablesOf,
} from './test-kit.js';

const seq = (n: number, f: (i: number) => number) => Array.from({ length: n }, (_, i) => Math.round(f(i) * 1e4) / 1e4);

/** A dense kernel [in 3, out 4], a conv kernel [h 2, w 2, in 3, out 4] and a bias [4] (which goes to AdamW). */
const PROBLEM: Problem = {
  w: MAIN.w as Leaf,
  k: {
    shape: [2, 2, 3, 4],
    theta0: seq(48, (i) => 1.5 * Math.sin(1.3 * i + 0.2)),
    a: seq(48, (i) => 0.3 + ((7 * i) % 11) / 8),
    b: seq(48, (i) => 0.4 * Math.cos(0.7 * i)),
    g: 0.1,
  },
  b: MAIN.b as Leaf,
};
const BENCH = { problem: PROBLEM, tolerance: { rtol: 1e-5, atol: 1e-6 }, reference: "torch.optim.Muon's (float64)" };
const STEPS = 6;

/**
 * Where each element of PyTorch's matrix of a tfjs parameter is in the tfjs tensor (row-major
 * index): a dense kernel [in, out] is PyTorch's weight [out, in] transposed; a conv kernel
 * [h, w, in, out] is PyTorch's [out, in, h, w], which Muon sees as `view(out, -1)`, column
 * (i·H + y)·W + x. Returns index[o][column].
 */
function torchLayout(shape: readonly number[]): number[][] {
  if (shape.length === 2) {
    const [inDim, out] = shape as [number, number];
    return Array.from({ length: out }, (_, o) => Array.from({ length: inDim }, (_, i) => i * out + o));
  }
  const [H, W, inDim, out] = shape as [number, number, number, number];
  return Array.from({ length: out }, (_, o) =>
    Array.from({ length: inDim * H * W }, (_, col) => {
      const [i, y, x] = [Math.floor(col / (H * W)), Math.floor(col / W) % H, col % W];
      return ((y * W + x) * inDim + i) * out + o;
    }),
  );
}

/** torch.optim.Muon on a tfjs-layout leaf of the problem: to PyTorch's layout, `torchMuon`, and back. */
function torchMuonLeaf(leaf: Leaf, o: MuonReferenceOptions, steps: number): number[] {
  const index = torchLayout(leaf.shape);
  const toTorch = (flat: readonly number[]): Matrix => index.map((row) => row.map((k) => flat[k] as number));
  const grad = (theta: Matrix): Matrix =>
    index.map((row, r) => row.map((k, c) => 2 * (leaf.a[k] as number) * ((theta[r] as number[])[c] as number) + (leaf.b[k] as number)));
  const out = torchMuon(toTorch(leaf.theta0), grad, o, steps);
  const flat = [...leaf.theta0];
  index.forEach((row, r) => {
    row.forEach((k, c) => {
      flat[k] = (out[r] as number[])[c] as number;
    });
  });
  return flat;
}

/** The expected θ after `steps` steps of `muon(options)` on PROBLEM: torch's Muon for the leaves it routes there, torch's AdamW for the rest. */
function expected(options: MuonOptions, onMuon: (name: string) => boolean, steps: number): Flat {
  const adamLr = (options.adamw?.learningRate as number | undefined) ?? 1e-3;
  const o = options as MuonReferenceOptions;
  return Object.fromEntries(Object.entries(PROBLEM).map(([k, l]) => [k, onMuon(k) ? torchMuonLeaf(l, o, steps) : torchAdamwLeaf(l, adamLr, steps)]));
}

const byRank = (name: string) => (PROBLEM[name] as Leaf).shape.length >= 2;
const CONFIGS: [string, MuonOptions, (name: string) => boolean][] = [
  ['defaults', { adamw: { learningRate: 0.01 } }, byRank],
  ['learningRate 0.02', { learningRate: 0.02, adamw: { learningRate: 0.01 } }, byRank],
  ["adjustLr 'matchRmsAdamw'", { learningRate: 0.02, adjustLr: 'matchRmsAdamw', adamw: { learningRate: 0.01 } }, byRank],
  ['nesterov off, momentum 0.9', { learningRate: 0.02, nesterov: false, momentum: 0.9 }, byRank],
  ['weight decay 0.5, nsSteps 3, epsilon 1e-3', { learningRate: 0.02, weightDecay: 0.5, nsSteps: 3, epsilon: 1e-3 }, byRank],
  ['no weight decay, scheduled learning rate', { learningRate: (t) => 0.05 / (1 + t), weightDecay: 0 }, byRank],
  ['muonParams sends the dense kernel to AdamW', { learningRate: 0.02, muonParams: (path) => path === 'k', adamw: { learningRate: 0.01 } }, (n) => n === 'k'],
];

describe('muon (torch.optim.Muon for matrices, AdamW for the rest)', () => {
  smallOutputMatMul(); // the small-output matMul program on SwiftShader (tiny matrices)
  it("matches hand-worked steps on [1, 2] and [2, 1] matrices: the layout's fan-in and fan-out", async () => {
    // One step from buf = 0 (nesterov): buf = (1 − μ)g, u = g + μ(buf − g) = (1 − μ²)g, and NS of a
    // rank-1 matrix is u/‖u‖ · s₅ with s₅ = 0.6964… (newton-schulz.test.ts). g = [3, 4]: u/‖u‖ = [0.6, 0.8].
    let s = 1;
    for (let k = 0; k < 5; k++) s = s * (3.4445 - 4.775 * s * s + 2.0315 * s ** 4);
    for (const adjustLr of ['original', 'matchRmsAdamw'] as const) {
      const params = tf.tidy(() => ({ row: tf.variable(tf.tensor2d([[1, 2]])), col: tf.variable(tf.tensor2d([[1], [2]])) }));
      const opt = new Optimizer(params, muon({ learningRate: 0.1, weightDecay: 0.1, adjustLr }));
      const grads = { row: tf.tensor2d([[3, 4]]), col: tf.tensor2d([[3], [4]]) };
      opt.step(grads);
      // row [in 1, out 2]: 'original' η·√max(1, 2/1) = 0.1·√2; col [in 2, out 1]: 0.1·√max(1, 1/2) = 0.1.
      // 'matchRmsAdamw': 0.2·√max(out, in)·η = 0.02·√2 for both. Decay: θ(1 − 0.1·0.1).
      const [rowLr, colLr] = adjustLr === 'original' ? [0.1 * Math.SQRT2, 0.1] : [0.02 * Math.SQRT2, 0.02 * Math.SQRT2];
      const want = (lr: number) => [1 * 0.99 - lr * s * 0.6, 2 * 0.99 - lr * s * 0.8];
      await expectClose(params.row, [want(rowLr)], { what: `${adjustLr}, row` });
      await expectClose(
        params.col,
        want(colLr).map((v) => [v]),
        { what: `${adjustLr}, column` },
      );
      opt.dispose();
      tf.dispose([params, grads] as unknown as tf.TensorContainer);
    }
  });

  for (const [what, options, onMuon] of CONFIGS) trajectoryTests(what, () => muon(options), expected(options, onMuon, STEPS), STEPS, BENCH);

  it('routes matrices to Muon and the rest to AdamW; its state is { muon: { count, mu }, adamw: adamw state }', async () => {
    const params = variablesOf(PROBLEM);
    const tx = muon({ adamw: { learningRate: 0.01 } });
    expect(tx.name).toBe('muon');
    expect(tx.groups?.labels(params)).toEqual({ w: 'muon', k: 'muon', b: 'adamw' });
    const opt = new Optimizer(params, tx);
    await opt.minimize(() => tf.sum(tf.addN(Object.values(params).map((p) => tf.sum(tf.square(p))))));
    expect(opt.lastStepPath).toBe('fused:GradkitAdamw+reference'); // AdamW's group fused beside Muon's
    const saved = await opt.saveState();
    expect(Object.keys(saved.state).sort()).toEqual(['adamw.count', 'adamw.mu.b', 'adamw.nu.b', 'muon.count', 'muon.mu.k', 'muon.mu.w']);
    const hyper = opt.hyperParams();
    expect(Object.values(hyper)).toContainEqual({ learningRate: 1e-3, weightDecay: 0.1, momentum: 0.95, epsilon: 1e-7 });
    expect(Object.values(hyper)).toContainEqual({ learningRate: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.01 });
    opt.dispose();
    tf.dispose(params as unknown as tf.TensorContainer);
  });

  it('holds its resolved options, AdamW included, as plain data', () => {
    expect(muon().options).toEqual({
      learningRate: 1e-3,
      weightDecay: 0.1,
      momentum: 0.95,
      nesterov: true,
      nsSteps: 5,
      epsilon: 1e-7,
      adjustLr: 'original',
      adamw: { learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 1e-2, amsgrad: false },
    });
    const pick = (path: string) => path !== 'head.kernel';
    expect(muon({ muonParams: pick }).options.muonParams).toBe(pick);
  });

  it('is built back from its config with the same options (config.test.ts checks what is written, and the muonParams error)', () => {
    const tx = muon({ learningRate: 0.02, adjustLr: 'matchRmsAdamw', nesterov: false, adamw: { learningRate: 3e-4, amsgrad: true } });
    expect(optimizerFromConfig(JSON.parse(JSON.stringify(optimizerToConfig(tx)))).options).toEqual(tx.options);
  });

  it('with only vectors and adamw options given, trains them all with AdamW (fused where a kernel applies)', async () => {
    const params = { b: tf.variable(tf.tensor1d(MAIN.b?.theta0 as number[])) };
    const opt = new Optimizer(params, muon({ adamw: { learningRate: 0.01 } }));
    const loss = () =>
      tf.sum(tf.add(tf.mul(tf.tensor1d(MAIN.b?.a as number[]), tf.square(params.b)), tf.mul(tf.tensor1d(MAIN.b?.b as number[]), params.b))) as tf.Scalar;
    for (let t = 0; t < STEPS; t++) await opt.minimize(loss);
    expect(opt.lastStepPath).toBe('fused:GradkitAdamw');
    await expectClose((await read(params)).b as number[], torchAdamwLeaf(MAIN.b as Leaf, 0.01, STEPS), BENCH.tolerance);
    opt.dispose();
    params.b.dispose();
  });

  it('with no matrix and no adamw options: a HyperParameterError naming adamw, before anything is built', () => {
    const params = { b: tf.variable(tf.tensor1d([1, 2])), g: tf.variable(tf.scalar(3)) };
    try {
      new Optimizer(params, muon());
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(HyperParameterError);
      expect((e as HyperParameterError).field).toBe('adamw');
      expect((e as Error).message).toMatch(
        /muon got only non-matrix parameters \(b, g\): every parameter would go to AdamW; use adamw\(\) or pass adamw options/,
      );
    }
    tf.dispose([params.b, params.g]);
  });

  it('muonParams selecting a vector, or returning a non-boolean: a HyperParameterError naming muonParams and the path', () => {
    const params = { w: tf.zeros([2, 3]), b: tf.zeros([3]) };
    expect(() => muon({ muonParams: () => true }).init(params)).toThrow(/muonParams selected 'b', of shape \[3\], for Muon/);
    expect(() => muon({ muonParams: () => 1 as unknown as boolean }).init(params)).toThrow(
      /muonParams must return true \(Muon\) or false \(AdamW\); it returned 1/,
    );
    try {
      muon({ muonParams: (path) => path === 'b' }).init(params);
      expect.unreachable();
    } catch (e) {
      expect((e as HyperParameterError).field).toBe('muonParams');
    }
    tf.dispose([params.w, params.b]);
  });

  it("rejects PyTorch's spellings with an UnknownOptionError suggesting gradkit's", () => {
    for (const [key, suggestion] of [
      ['lr', 'learningRate'],
      ['weight_decay', 'weightDecay'],
      ['ns_steps', 'nsSteps'],
      ['eps', 'epsilon'],
      ['adjust_lr_fn', 'adjustLr'],
    ] as const) {
      expect(() => muon({ [key]: 1 } as never)).toThrow(UnknownOptionError);
      expect(() => muon({ [key]: 1 } as never)).toThrow(new RegExp(suggestion));
    }
    expect(() => muon({ ns_coefficients: [3.4445, -4.775, 2.0315] } as never)).toThrow(UnknownOptionError);
  });

  roundTripTest(() => muon({ learningRate: 0.02, adamw: { learningRate: 0.01 } }), BENCH);
  leakTest([() => muon({ adamw: { learningRate: 0.01 } })], { ...BENCH, timeout: 180_000 }); // 200 Newton–Schulz steps take ~45 s on WebGPU in software
  needsParamsTest(() => muon({ adamw: { learningRate: 0.01, weightDecay: 0 } }), /muon with weightDecay needs the parameters/, BENCH);

  badHyperTests(
    badOptions(muon, [
      [{ learningRate: 0 }, 'learningRate', /learningRate must be in \(0, ∞\), got 0/],
      [{ learningRate: Number.NaN }, 'learningRate', /finite number/],
      [{ weightDecay: -0.1 }, 'weightDecay', /weightDecay must be in \[0, ∞\)/],
      [{ momentum: 1 }, 'momentum', /momentum must be in \[0, 1\), got 1/],
      [{ momentum: () => -0.5 }, 'momentum', /schedule value at step 0/],
      [{ epsilon: 0 }, 'epsilon', /epsilon must be in \(0, ∞\)/],
      [{ nsSteps: 0 }, 'nsSteps', /nsSteps must be an integer from 1 to 99/],
      [{ nsSteps: -1 }, 'nsSteps', /got -1/],
      [{ nsSteps: 100 }, 'nsSteps', /got 100/],
      [{ nsSteps: 4.5 }, 'nsSteps', /got 4\.5/],
      [{ nsSteps: (() => 5) as unknown as number }, 'nsSteps', /got function/],
      [{ nesterov: 'yes' as unknown as boolean }, 'nesterov', /nesterov must be true or false/],
      [{ adjustLr: 'match_rms_adamw' as never }, 'adjustLr', /PyTorch's 'match_rms_adamw' is written 'matchRmsAdamw'/],
      [{ adjustLr: 'none' as never }, 'adjustLr', /adjustLr must be 'original' or 'matchRmsAdamw', got "none"/],
      [{ muonParams: 'kernel' as never }, 'muonParams', /muonParams must be a function/],
      [{ adamw: 3e-4 as never }, 'adamw', /adamw takes AdamW's options/],
      [{ adamw: null as never }, 'adamw', /adamw is null/],
      [{ adamw: { beta2: 1 } }, 'beta2', /beta2 must be in \[0, 1\)/],
    ]),
  );

  it('adamw given a transformation instead of options: a HyperParameterError naming adamw', async () => {
    const { adamw } = await import('./index.js');
    expect(() => muon({ adamw: adamw() as never })).toThrow(/not a transformation: muon builds the AdamW itself/);
  });

  it('the scheduled learning rate reaches the matrices at every step (hyperParams)', () => {
    const tx = muon({ learningRate: (t) => 0.1 / (1 + t) });
    const group = tx.groups?.transforms.muon;
    expect(group?.hyperParams?.(4)).toEqual({ learningRate: 0.02, weightDecay: 0.1, momentum: 0.95, epsilon: 1e-7 });
    expect(at(tx.options.learningRate, 4, 0)).toBe(0.02);
  });
});
