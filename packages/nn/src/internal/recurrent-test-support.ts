// Test scaffolding for simpleRnn, lstm and gru (not part of the package's surface): PyTorch's
// numbers from packages/nn/fixtures/recurrent.py (torch 1.13, float64; nn.RNN/nn.LSTM/nn.GRU with
// batch_first=True), weights already in gradkit's layout there (kernel = weight_ih_l0ᵀ,
// recurrentKernel = weight_hh_l0ᵀ, bias = bias_ih_l0 + bias_hh_l0; gru: bias = bias_ih_l0,
// recurrentBias = bias_hh_l0). The loss is L = Σ out ⊙ R over the full output sequence.
import { readFileSync } from 'node:fs';
import { type Module, valueAndGrad, withTaps } from '@gradkit/core';
import type { Initializer } from '@gradkit/initializers';
import { expectClose } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';

type Nested = number[][];

/** One PyTorch case of recurrent.json. */
export interface TorchCase {
  readonly time: number;
  readonly module: 'simpleRnn' | 'lstm' | 'gru';
  readonly activation: 'tanh' | 'relu' | null;
  readonly x: Nested[];
  readonly h0: Nested;
  readonly c0?: Nested;
  readonly r: Nested[];
  readonly params: Record<string, Nested | number[]>;
  readonly output: Nested[];
  readonly loss: number;
  readonly grads: Record<string, Nested | number[]>;
  readonly gradX: Nested[];
  readonly gradH0: Nested;
  readonly gradC0?: Nested;
  readonly stepGrads: Nested[];
}

/** The fixture: sizes and the cases rnnTanh, rnnRelu, lstm, gru (4 steps) and gruLong (19 steps: the grouped input projection). */
export const torchFixture = JSON.parse(readFileSync(new URL('../../fixtures/recurrent.json', import.meta.url), 'utf8')) as {
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly time: number;
  readonly cases: Record<'rnnTanh' | 'rnnRelu' | 'lstm' | 'gru' | 'gruLong', TorchCase>;
};

/** An initializer that returns `values` (checked against the requested shape by the module). */
export const fromValues =
  (values: Nested | number[]): Initializer =>
  (shape) =>
    tf.tensor(values.flat(), [...shape]);

/** Sets every parameter of `m` to the case's values (keyed by name, as gradkit's layout). */
export function loadTorchParams(m: Module, c: TorchCase): void {
  const params = m.params as Record<string, tf.Variable>;
  expect(Object.keys(params).sort()).toEqual(Object.keys(c.params).sort());
  for (const [k, v] of Object.entries(params)) tf.tidy(() => v.assign(tf.tensor(c.params[k] as Nested, v.shape)));
}

/** The case's initial state, as `apply`'s `initialState` takes it. */
export const initialStateOf = (c: TorchCase): tf.Tensor | tf.Tensor[] => (c.c0 ? [tf.tensor(c.h0), tf.tensor(c.c0)] : tf.tensor(c.h0));

/**
 * Registers the PyTorch checks for module `make()` on `c`: outputs (every step and, with
 * `returnSequences: false`, the last), the loss, and the gradients w.r.t. x, the initial state and
 * every parameter; and the per-step taps' gradients against PyTorch's hₜ.grad.
 */
export function torchParitySuite(c: TorchCase, make: (returnSequences: boolean) => Module): void {
  it(`matches PyTorch's nn.${c.module === 'simpleRnn' ? 'RNN' : c.module.toUpperCase()}${c.activation ? ` (${c.activation})` : ''} over ${c.time} steps: outputs, the last state, the loss and every gradient`, async () => {
    const m = make(true);
    const last = make(false);
    loadTorchParams(m, c);
    loadTorchParams(last, c);
    const x = tf.tensor(c.x);
    const r = tf.tensor(c.r);
    const init = initialStateOf(c);
    const states = [init].flat();
    const y = m.apply(x, { initialState: init });
    const yLast = last.apply(x, { initialState: init });
    await expectClose(y, c.output, { what: 'output sequence' });
    await expectClose(
      yLast,
      c.output.map((seq) => seq[seq.length - 1] as number[]),
      { what: 'last state' },
    );
    const inputs = { params: m.params, x, states };
    const { value, grads } = valueAndGrad<typeof inputs>((p) => tf.sum(tf.mul(m.apply(p.x, { initialState: c.c0 ? p.states : p.states[0] }), r)))(inputs);
    await expectClose(value, c.loss, { what: 'loss' });
    for (const k of Object.keys(c.grads)) await expectClose(grads.params[k as never] as tf.Tensor, c.grads[k] as Nested, { what: `∂L/∂${k}` });
    await expectClose(grads.x, c.gradX, { what: '∂L/∂x' });
    await expectClose(grads.states[0] as tf.Tensor, c.gradH0, { what: '∂L/∂h0' });
    if (c.gradC0) await expectClose(grads.states[1] as tf.Tensor, c.gradC0, { what: '∂L/∂c0' });
    tf.dispose([x, r, states, y, yLast, value, grads] as never);
    m.dispose();
    last.dispose();
  });

  it(`taps every step's hidden state: the taps' gradients are PyTorch's total ∂L/∂hₜ (${c.module}${c.activation ? `, ${c.activation}` : ''}, ${c.time} steps)`, async () => {
    const m = make(true);
    loadTorchParams(m, c);
    const x = tf.tensor(c.x);
    const r = tf.tensor(c.r);
    const init = initialStateOf(c);
    const { result, taps } = withTaps(valueAndGrad<typeof m.params>(() => tf.sum(tf.mul(m.apply(x, { initialState: init }), r))))(m.params);
    const steps = c.stepGrads.map((_, t) => `${m.name}.t${t}`);
    expect(Object.keys(taps)).toEqual([...steps, m.name]);
    for (const [t, name] of steps.entries()) {
      await expectClose(
        taps[name]?.activation as tf.Tensor,
        c.output.map((seq) => seq[t] as number[]),
        { what: `hₜ at ${name}` },
      );
      await expectClose(taps[name]?.grad as tf.Tensor, c.stepGrads[t] as Nested, { what: `∂L/∂hₜ at ${name}` });
    }
    tf.dispose([x, r, [init].flat(), result, taps] as never);
    m.dispose();
  });
}
