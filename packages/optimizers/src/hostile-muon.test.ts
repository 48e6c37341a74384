// The hostile user of muon and newtonSchulz: PyTorch spellings, wrong types, out-of-range values,
// routing mistakes (a vector sent to Muon, a model without matrices and no AdamW options) and bad
// gradients. Each must be a typed GradkitError naming the option, argument or tree path, thrown
// before anything changed (the Optimizers and tensors a case watches are compared bit for bit).
import { Optimizer } from '@gradkit/core';
import { type HostileContext, hostileCases } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe } from 'vitest';
import { adamw, type MuonOptions, muon, newtonSchulz } from './index.js';

const bad = (x: unknown) => x as never;

/** A dense kernel and a bias as variables, an Optimizer over them stepped once, all watched. */
async function watched(ctx: HostileContext, options: MuonOptions = { adamw: { learningRate: 0.01 } }) {
  const params = {
    kernel: tf.variable(
      tf.tensor2d([
        [1, 2, 3],
        [4, 5, 6],
      ]),
    ),
    bias: tf.variable(tf.tensor1d([0.1, 0.2, 0.3])),
  };
  const opt = new Optimizer(params, muon(options));
  opt.step({ kernel: tf.ones([2, 3]), bias: tf.ones([3]) });
  await ctx.watch(opt, params.kernel, params.bias);
  return { params, opt };
}

/** Variables of the given shapes, watched (for routing errors at construction). */
async function variables(ctx: HostileContext, shapes: Record<string, number[]>) {
  const params = Object.fromEntries(Object.entries(shapes).map(([k, s]) => [k, tf.variable(tf.ones(s))]));
  await ctx.watch(...Object.values(params));
  return params;
}

describe('muon, hostile', () =>
  hostileCases([
    // PyTorch's spellings (torch.optim.Muon's arguments) and typos.
    { input: 'muon({ lr: 0.02 }) (PyTorch)', names: 'lr', run: () => muon(bad({ lr: 0.02 })) },
    { input: 'muon({ weight_decay: 0.1 }) (PyTorch)', names: 'weight_decay', run: () => muon(bad({ weight_decay: 0.1 })) },
    { input: 'muon({ ns_steps: 5 }) (PyTorch)', names: 'ns_steps', run: () => muon(bad({ ns_steps: 5 })) },
    {
      input: 'muon({ ns_coefficients: [3.4445, -4.775, 2.0315] }) (PyTorch)',
      names: 'ns_coefficients',
      run: () => muon(bad({ ns_coefficients: [3.4445, -4.775, 2.0315] })),
    },
    { input: "muon({ adjust_lr_fn: 'match_rms_adamw' }) (PyTorch)", names: 'adjust_lr_fn', run: () => muon(bad({ adjust_lr_fn: 'match_rms_adamw' })) },
    { input: 'muon({ eps: 1e-7 }) (PyTorch)', names: 'eps', run: () => muon(bad({ eps: 1e-7 })) },
    { input: 'muon({ use_addmm: true }) (PyTorch)', names: 'use_addmm', run: () => muon(bad({ use_addmm: true })) },
    { input: 'muon({ momentun: 0.9 })', names: 'momentun', run: () => muon(bad({ momentun: 0.9 })) },
    { input: 'muon({ adamW: {} }) (case)', names: 'adamW', run: () => muon(bad({ adamW: {} })) },
    { input: 'muon(0.02)', names: 'options', run: () => muon(bad(0.02)) },
    { input: 'muon(null)', names: 'options', run: () => muon(bad(null)) },
    // nsSteps: an integer in [1, 99], never a schedule.
    { input: 'muon({ nsSteps: 0 })', names: 'nsSteps', run: () => muon({ nsSteps: 0 }) },
    { input: 'muon({ nsSteps: -5 })', names: 'nsSteps', run: () => muon({ nsSteps: -5 }) },
    { input: 'muon({ nsSteps: 100 })', names: 'nsSteps', run: () => muon({ nsSteps: 100 }) },
    { input: 'muon({ nsSteps: 2.5 })', names: 'nsSteps', run: () => muon({ nsSteps: 2.5 }) },
    { input: 'muon({ nsSteps: NaN })', names: 'nsSteps', run: () => muon({ nsSteps: Number.NaN }) },
    { input: "muon({ nsSteps: '5' })", names: 'nsSteps', run: () => muon(bad({ nsSteps: '5' })) },
    { input: 'muon({ nsSteps: (t) => 5 }) (a schedule)', names: 'nsSteps', run: () => muon(bad({ nsSteps: () => 5 })) },
    { input: 'muon({ nsSteps: null })', names: 'nsSteps', run: () => muon(bad({ nsSteps: null })) },
    // The numbers.
    { input: 'muon({ learningRate: -0.02 })', names: 'learningRate', run: () => muon({ learningRate: -0.02 }) },
    { input: 'muon({ learningRate: Infinity })', names: 'learningRate', run: () => muon({ learningRate: Number.POSITIVE_INFINITY }) },
    { input: 'muon({ learningRate: null })', names: 'learningRate', run: () => muon(bad({ learningRate: null })) },
    { input: "muon({ learningRate: '0.02' })", names: 'learningRate', run: () => muon(bad({ learningRate: '0.02' })) },
    { input: 'muon({ momentum: 1 })', names: 'momentum', run: () => muon({ momentum: 1 }) },
    { input: 'muon({ momentum: -0.1 })', names: 'momentum', run: () => muon({ momentum: -0.1 }) },
    { input: 'muon({ weightDecay: -0.1 })', names: 'weightDecay', run: () => muon({ weightDecay: -0.1 }) },
    { input: 'muon({ epsilon: 0 })', names: 'epsilon', run: () => muon({ epsilon: 0 }) },
    { input: 'muon({ epsilon: 1e-50 }) (not a float32)', names: 'epsilon', run: () => muon({ epsilon: 1e-50 }) },
    { input: "muon({ nesterov: 'false' })", names: 'nesterov', run: () => muon(bad({ nesterov: 'false' })) },
    { input: "muon({ adjustLr: 'match_rms_adamw' }) (PyTorch's value)", names: 'adjustLr', run: () => muon(bad({ adjustLr: 'match_rms_adamw' })) },
    { input: "muon({ adjustLr: 'Original' })", names: 'adjustLr', run: () => muon(bad({ adjustLr: 'Original' })) },
    { input: 'muon({ adjustLr: 1 })', names: 'adjustLr', run: () => muon(bad({ adjustLr: 1 })) },
    // The routing.
    { input: "muon({ muonParams: 'kernel' })", names: 'muonParams', run: () => muon(bad({ muonParams: 'kernel' })) },
    { input: 'muon({ muonParams: null })', names: 'muonParams', run: () => muon(bad({ muonParams: null })) },
    {
      input: 'new Optimizer({ kernel, bias }, muon({ muonParams: () => true })) (a vector sent to Muon)',
      names: 'muonParams',
      run: async (ctx) => new Optimizer(await variables(ctx, { kernel: [2, 3], bias: [3] }), muon({ muonParams: () => true })),
    },
    {
      input: "new Optimizer(params, muon({ muonParams: (path) => path === 'kernel' ? 'muon' : 'adamw' })) (a label, not a boolean)",
      names: 'muonParams',
      run: async (ctx) => new Optimizer(await variables(ctx, { kernel: [2, 3] }), muon({ muonParams: bad(() => 'muon') })),
    },
    {
      input: 'new Optimizer({ bias, gain }, muon()) (no matrix, no adamw options)',
      names: 'adamw',
      run: async (ctx) => new Optimizer(await variables(ctx, { bias: [3], gain: [3] }), muon()),
    },
    {
      input: 'new Optimizer({ kernel }, muon({ muonParams: () => false })) (nothing for Muon, no adamw options)',
      names: 'adamw',
      run: async (ctx) => new Optimizer(await variables(ctx, { kernel: [2, 3] }), muon({ muonParams: () => false })),
    },
    { input: 'muon().init({}) (no parameter at all)', names: 'adamw', run: () => muon().init({}) },
    { input: 'muon({ adamw: adamw() }) (a transformation, not options)', names: 'adamw', run: () => muon(bad({ adamw: adamw() })) },
    { input: 'muon({ adamw: adamw }) (a factory)', names: 'adamw', run: () => muon(bad({ adamw })) },
    { input: 'muon({ adamw: 3e-4 })', names: 'adamw', run: () => muon(bad({ adamw: 3e-4 })) },
    { input: 'muon({ adamw: null })', names: 'adamw', run: () => muon(bad({ adamw: null })) },
    { input: 'muon({ adamw: [] })', names: 'adamw', run: () => muon(bad({ adamw: [] })) },
    { input: 'muon({ adamw: { lr: 3e-4 } }) (PyTorch)', names: 'lr', run: () => muon(bad({ adamw: { lr: 3e-4 } })) },
    { input: 'muon({ adamw: { betas: [0.9, 0.95] } }) (PyTorch)', names: 'betas', run: () => muon(bad({ adamw: { betas: [0.9, 0.95] } })) },
    { input: 'muon({ adamw: { beta2: 1 } })', names: 'beta2', run: () => muon({ adamw: { beta2: 1 } }) },
    // Stepping with bad gradients: nothing moves.
    {
      input: 'opt.step({ kernel: [3, 2] gradient for a [2, 3] kernel, bias })',
      names: 'kernel',
      run: async (ctx) => {
        const { opt } = await watched(ctx);
        opt.step({ kernel: tf.ones([3, 2]), bias: tf.ones([3]) });
      },
    },
    {
      input: 'opt.step({ kernel }) (the bias gradient missing)',
      names: 'bias',
      run: async (ctx) => {
        const { opt } = await watched(ctx);
        opt.step({ kernel: tf.ones([2, 3]) });
      },
    },
    {
      input: 'opt.step({ kernel, bias: int32 })',
      names: 'bias',
      run: async (ctx) => {
        const { opt } = await watched(ctx);
        opt.step({ kernel: tf.ones([2, 3]), bias: tf.ones([3], 'int32') });
      },
    },
    {
      input: 'muon().update(grads, state) (weight decay without the parameters)',
      names: 'weightDecay',
      run: () => {
        const params = { kernel: tf.ones([2, 3]) };
        const tx = muon();
        tf.tidy(() => void tx.update(params, tx.init(params)));
      },
    },
    // newtonSchulz.
    { input: 'newtonSchulz(vector)', names: 'matrix', run: () => newtonSchulz(tf.ones([3])) },
    { input: 'newtonSchulz(conv kernel [2, 2, 3, 4])', names: 'matrix', run: () => newtonSchulz(tf.ones([2, 2, 3, 4])) },
    { input: 'newtonSchulz(int32 matrix)', names: 'matrix', run: () => newtonSchulz(tf.ones([2, 2], 'int32')) },
    {
      input: 'newtonSchulz([[1, 2], [3, 4]]) (an array)',
      names: 'matrix',
      run: () =>
        newtonSchulz(
          bad([
            [1, 2],
            [3, 4],
          ]),
        ),
    },
    { input: 'newtonSchulz(null)', names: 'matrix', run: () => newtonSchulz(bad(null)) },
    {
      input: 'newtonSchulz(disposed matrix)',
      names: 'matrix',
      run: () => {
        const g = tf.ones([2, 2]);
        g.dispose();
        return newtonSchulz(g);
      },
    },
    { input: 'newtonSchulz(g, { ns_steps: 5 }) (PyTorch)', names: 'ns_steps', run: () => newtonSchulz(tf.ones([2, 2]), bad({ ns_steps: 5 })) },
    { input: 'newtonSchulz(g, { steps: 0 })', names: 'steps', run: () => newtonSchulz(tf.ones([2, 2]), { steps: 0 }) },
    { input: 'newtonSchulz(g, { steps: 100 })', names: 'steps', run: () => newtonSchulz(tf.ones([2, 2]), { steps: 100 }) },
    { input: 'newtonSchulz(g, { epsilon: -1e-7 })', names: 'epsilon', run: () => newtonSchulz(tf.ones([2, 2]), { epsilon: -1e-7 }) },
    { input: 'newtonSchulz(g, { epsilon: NaN })', names: 'epsilon', run: () => newtonSchulz(tf.ones([2, 2]), { epsilon: Number.NaN }) },
    { input: 'newtonSchulz(g, 5)', names: 'options', run: () => newtonSchulz(tf.ones([2, 2]), bad(5)) },
  ]));
