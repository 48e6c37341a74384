import { type GradientTransformation, valueAndGrad, withTaps } from '@gradkit/core';
import { expectClose, expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { DEFAULT_THRESHOLDS, type GradientReport, inspectGradients } from './index.js';
import { addingBatch, type Cell, type RnnParams, rnnLoss, rnnParams, withSmallMatMuls } from './sequence-test-support.js';
import { temporalFindings, temporalProfile, temporalProfiles } from './temporal.js';

// Nets whose behaviour through time is known, on the adding problem's inputs (batch 8), the loss on
// the readout of the last state only (so ∂L/∂h_last is the loss's own gradient and ∂L/∂hₜ, t < last,
// is what reaches step t through the recurrence). Built from tf ops with the tap names of @gradkit/nn
// (sequence-test-support.ts). The same architectures in PyTorch 1.13 (fixtures/through-time.py: nn.RNN,
// nn.LSTM, hidden 32, default init, adding inputs, T = 100) give ‖∂L/∂h₀‖/‖∂L/∂h₉₉‖ = 5.1e-20 for tanh,
// 0 (underflow) for the default LSTM (forget bias 0), 0.051 with the forget bias at 5 (0.023 at T = 200),
// and 4.9e7 for relu with recurrent kernel 1.2·I.

// Unrolled through 40–60 steps, these are slow on webgpu under SwiftShader.
const SLOW = 180_000;

const identity = (scale: number) => (h: number) => Float32Array.from({ length: h * h }, (_, k) => (k % (h + 1) === 0 ? scale : 0));

async function observe(cell: Cell, params: RnnParams, time: number, name: string, inChain?: string[]): Promise<GradientReport> {
  const { x, y } = addingBatch(8, time, 3);
  const { result, taps } = await withSmallMatMuls(async () => withTaps(valueAndGrad(() => rnnLoss(cell, params, x, y, name)))(params));
  try {
    // A stand-in with the name of a clipping transformation: remedies read the chain's names only.
    const transform =
      inChain && ({ name: inChain[0], options: {}, init: () => ({}), update: (g: never) => ({ updates: g, state: {} }) } as unknown as GradientTransformation);
    const report = await inspectGradients(result.grads, { params, activations: taps, ...(transform ? { transform } : {}) });
    // Independent check of the profile: the norms of the taps' gradients read back and summed in float64.
    const profile = report.temporal?.find((p) => p.layer === name);
    for (const t of [0, Math.floor(time / 2), time - 1]) {
      const g = Array.from(await ((taps[`${name}.t${t}`] as { grad: tf.Tensor }).grad as tf.Tensor).data());
      await expectClose(profile?.gradNorm[t] as number, Math.sqrt(g.reduce((s, v) => s + v * v, 0)), { rtol: 1e-4, what: `‖∂L/∂h${t}‖` });
    }
    return report;
  } finally {
    tf.dispose([x, y, result.value, result.grads as never, taps as never, params as never]);
  }
}

describe('temporal profiles and findings: nets whose behaviour is known', () => {
  it(
    'a tanh RNN with small recurrent weights on 60 steps vanishes through time, located at the first steps, and gets LSTM/GRU and IRNN',
    async () => {
      // recurrent kernel U(±1/√h)·0.5: spectral radius ≈ 0.3, so ‖∂L/∂hₜ‖ shrinks ≥ 3× per step back.
      const r = await observe(
        'tanh',
        rnnParams('tanh', 8, 1, (_h, u) => u.map((v) => v * 0.5)),
        60,
        '0.simpleRnn',
      );
      const p = r.temporal?.[0];
      expect(p?.layer).toBe('0.simpleRnn');
      expect(p?.steps).toEqual(Array.from({ length: 60 }, (_, t) => t));
      expect(p?.firstLastRatio).toBeLessThan(1e-20);
      expect(p?.decayPerStep).toBeLessThan(0.7);
      expect(r.verdict).toBe('vanishing');
      const f = r.findings.find((x) => x.kind === 'vanishingThroughTime');
      expect(f?.severity).toBe('error');
      expect(f?.what).toMatch(
        /‖∂L\/∂hₜ‖ of 0\.simpleRnn goes from .* at t = 59 to .* at t = 0: .*× over 59 steps back \(×0 per step; it is exactly 0 \(float32 underflow\) at steps? [\d–]+\), below timeVanishingRatio = 0\.001$/,
      );
      // the steps whose norm is below 1e-3 × the last one's: from 0 to a few steps before the end
      const m = /^0\.simpleRnn, steps 0–(\d+) of 60$/.exec(f?.where ?? '');
      expect(m).not.toBeNull();
      const bound = 1e-3 * (p?.gradNorm[59] as number);
      const lastBelow = Number(m?.[1]);
      expect(p?.gradNorm[lastBelow]).toBeLessThan(bound);
      expect(p?.gradNorm.slice(lastBelow + 1).every((g) => g >= bound)).toBe(true);
      expect(f?.why).toMatch(/Bengio et al\. 1994/);
      expect(f?.toTry.join('\n')).toMatch(/lstm\(\{ inputSize, hiddenSize \}\) or gru/);
      expect(f?.toTry.join('\n')).toMatch(/activation: 'relu', recurrentInitializer: identity\(\)/);
      expect(f?.toTry.join('\n')).not.toMatch(/orthogonal/);
    },
    SLOW,
  );

  it(
    'a relu RNN with recurrent kernel 1.2·I explodes through time: ρ = 1.2^(T−1) exactly, every unit active',
    async () => {
      // Inputs ≥ 0, input kernel and bias > 0: every pre-activation is positive, so ∂L/∂hₜ₋₁ = 1.2·∂L/∂hₜ.
      const params = rnnParams('relu', 4, 2, identity(1.2), () => 0.1);
      const positive = tf.abs(params.kernel);
      params.kernel.dispose();
      const r = await observe('relu', { ...params, kernel: positive as tf.Tensor2D }, 40, 'rnn');
      const p = r.temporal?.[0];
      await expectClose(p?.firstLastRatio as number, 1.2 ** 39, { rtol: 1e-4, what: 'ρ' });
      await expectClose(p?.decayPerStep as number, 1.2, { rtol: 1e-5, what: 'decay per step' });
      expect(r.verdict).toBe('exploding');
      const f = r.findings.find((x) => x.kind === 'explodingThroughTime');
      expect(f?.what).toMatch(
        /^‖∂L\/∂hₜ‖ of rnn goes from .* at t = 39 to .* at t = 0: 1220× over 39 steps back \(×1\.2 per step\), above timeExplodingRatio = 1000$/,
      );
      // ‖∂L/∂hₜ‖ = 1.2^(39−t)·‖∂L/∂h₃₉‖ > 1e3·‖∂L/∂h₃₉‖ for 39 − t > log(1e3)/log(1.2) = 37.9: t ≤ 1
      expect(f?.where).toBe('rnn, steps 0–1 of 40');
      expect(f?.why).toMatch(/Pascanu et al\. 2013/);
      expect(f?.toTry).toEqual([expect.stringMatching(/^clip the gradients: chain\(clipByGlobalNorm\(1\), yourOptimizer\)/)]);
      expect(r.findings.some((x) => x.kind === 'vanishingThroughTime')).toBe(false);
    },
    SLOW,
  );

  it(
    'does not offer clipping when the chain already clips',
    async () => {
      const params = rnnParams('relu', 4, 2, identity(1.2), () => 0.1);
      const positive = tf.abs(params.kernel);
      params.kernel.dispose();
      const r = await observe('relu', { ...params, kernel: positive as tf.Tensor2D }, 40, 'rnn', ['clipByGlobalNorm']);
      expect(r.findings.find((x) => x.kind === 'explodingThroughTime')?.toTry).toEqual([]);
    },
    SLOW,
  );

  it(
    'an LSTM whose forget gate is saturated open (bias 5) is not vanishing over 60 steps; the default LSTM (bias 0) is, and is not told to become an LSTM',
    async () => {
      const open = await observe(
        'lstm',
        rnnParams(
          'lstm',
          8,
          4,
          (_h, u) => u,
          (gate) => (gate === 1 ? 5 : 0),
        ),
        60,
        '0.lstm',
      );
      const po = open.temporal?.[0];
      expect(po?.firstLastRatio).toBeGreaterThan(1e-2);
      expect(po?.decayPerStep).toBeGreaterThan(0.9);
      expect(open.findings.some((f) => f.kind === 'vanishingThroughTime' || f.kind === 'explodingThroughTime')).toBe(false);
      const closed = await observe(
        'lstm',
        rnnParams('lstm', 8, 4, (_h, u) => u),
        60,
        '0.lstm',
      );
      expect(closed.temporal?.[0]?.firstLastRatio).toBeLessThan(1e-6);
      const f = closed.findings.find((x) => x.kind === 'vanishingThroughTime');
      expect(f).toBeDefined();
      expect(f?.toTry.join('\n')).not.toMatch(/lstm\(|gru\(/);
    },
    SLOW,
  );

  it('leaks no tensor', async () => {
    const { x, y } = addingBatch(4, 6, 1);
    const params = rnnParams('tanh', 4, 1, (_h, u) => u);
    const { result, taps } = withTaps(valueAndGrad(() => rnnLoss('tanh', params, x, y, 'r')))(params);
    await expectNoLeaks(() => inspectGradients(result.grads, { params, activations: taps }));
    tf.dispose([x, y, result.value, result.grads as never, taps as never, params as never]);
  });
});

describe('temporal profiles: the arithmetic', () => {
  const th = DEFAULT_THRESHOLDS;
  it('sorts the steps, and ρ and the decay per step follow the definitions', () => {
    const p = temporalProfile('r', [
      { t: 2, gradNorm: 1 },
      { t: 0, gradNorm: 0.01 },
      { t: 1, gradNorm: 0.1 },
    ]);
    expect(p).toEqual({ layer: 'r', steps: [0, 1, 2], gradNorm: [0.01, 0.1, 1], firstLastRatio: 0.01, decayPerStep: 0.1 });
  });

  it('leaves ρ out when the last norm is 0 or a norm is not finite, and needs two steps', () => {
    expect(temporalProfile('r', [{ t: 0, gradNorm: 1 }])).toBeUndefined();
    expect(
      temporalProfile('r', [
        { t: 0, gradNorm: 1 },
        { t: 1, gradNorm: 0 },
      ])?.firstLastRatio,
    ).toBeUndefined();
    expect(
      temporalProfile('r', [
        { t: 0, gradNorm: Number.NaN },
        { t: 1, gradNorm: 1 },
      ])?.decayPerStep,
    ).toBeUndefined();
  });

  it('reads only step taps with a gradient, one profile per layer in order', () => {
    const a = (name: string, gradNorm?: number) => ({ name, ...(gradNorm === undefined ? {} : { gradNorm }) }) as never;
    const profiles = temporalProfiles({ activations: [a('enc.t0', 1), a('dec.t1', 2), a('enc.t1', 2), a('dec.t0', 4), a('enc', 3), a('x.t0')] });
    expect(profiles?.map((p) => [p.layer, p.firstLastRatio])).toEqual([
      ['enc', 0.5],
      ['dec', 2],
    ]);
    expect(temporalProfiles({ activations: [a('dense', 1)] })).toBeUndefined();
  });

  it('fires at the thresholds, not before', () => {
    const at = (ratio: number) =>
      temporalFindings({ thresholds: th }, [{ layer: 'r', steps: [0, 1], gradNorm: [ratio, 1], firstLastRatio: ratio, decayPerStep: ratio }]);
    expect(at(1e-3)).toEqual([]);
    expect(at(0.999e-3).map((f) => f.kind)).toEqual(['vanishingThroughTime']);
    expect(at(1e3)).toEqual([]);
    expect(at(1.001e3).map((f) => f.kind)).toEqual(['explodingThroughTime']);
    expect(at(0.999e-3)[0]?.where).toBe('r, step 0 of 2');
  });
});

describe('a recurrent step whose state is still exactly 0', () => {
  it('is not a layer of dead units (the blank top rows of a digit read row by row: labelled run lstm-mnist-rows)', async () => {
    const grads = { kernel: tf.ones([3, 4]) };
    const activations = {
      'rnn.t0': tf.zeros([2, 4]),
      'rnn.t1': tf.tensor2d([
        [0.5, -0.2, 0.1, 0.3],
        [0.2, 0.4, -0.6, 0.1],
      ]),
    };
    const report = await inspectGradients(grads, { activations });
    expect(report.activations.map((a) => a.kind)).toEqual(['linear', 'tanh']);
    expect(report.findings.filter((f) => f.kind === 'deadUnits')).toEqual([]);
    // The same zeros from a layer that is not a recurrent step still read as relu units that are all dead.
    const dense = await inspectGradients(grads, { activations: { hidden: tf.zeros([2, 4]) } });
    expect(dense.findings.map((f) => f.kind)).toContain('deadUnits');
    tf.dispose([grads.kernel, Object.values(activations)]);
  });
});
