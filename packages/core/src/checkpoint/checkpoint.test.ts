import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { HyperParameterError, StateError } from '../errors.js';
import { heavyBall } from '../fixtures/heavy-ball.js';
import { Optimizer } from '../optimizer/optimizer.js';
import { chain } from '../transform.js';
import { loadCheckpoint, saveCheckpoint } from './checkpoint.js';

/** A tiny model with a buffer updated in training (a running mean, as BatchNorm keeps). */
function model(seed: number) {
  const params = { dense: { kernel: tf.variable(tf.randomNormal([3, 2], 0, 1, 'float32', seed)), bias: tf.variable(tf.zeros([2])) } };
  const buffers = { norm: { runningMean: tf.variable(tf.zeros([2]), false) } };
  const opt = new Optimizer(params, chain(heavyBall((t) => 0.1 / (1 + t), 0.9)));
  const x = tf.tensor2d([
    [1, 2, 3],
    [-1, 0.5, 2],
  ]);
  const step = async () => {
    await opt.minimize((p) => {
      const y = tf.add(tf.matMul(x, p.dense.kernel), p.dense.bias);
      buffers.norm.runningMean.assign(tf.tidy(() => tf.add(tf.mul(buffers.norm.runningMean, 0.9), tf.mul(tf.mean(y, 0), 0.1))));
      return tf.mean(tf.square(tf.sub(y, 1)));
    });
  };
  const bits = async () => [
    ...(await params.dense.kernel.data()),
    ...(await params.dense.bias.data()),
    ...(await buffers.norm.runningMean.data()),
    ...Object.values((await opt.saveState()).state).map((v) => JSON.stringify(v)),
  ];
  const dispose = () => {
    opt.dispose();
    tf.dispose([params.dense.kernel, params.dense.bias, buffers.norm.runningMean, x]);
  };
  return { params, buffers, opt, step, bits, dispose };
}

const memory = () => {
  let saved: tf.io.ModelArtifacts | undefined;
  const handler: tf.io.IOHandler = {
    save: async (a) => {
      saved = a;
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(a) };
    },
    load: async () => saved as tf.io.ModelArtifacts,
  };
  return handler;
};

describe('checkpoints', () => {
  for (const where of ['a directory (Node)', 'a tf.io.IOHandler'] as const) {
    it(`save → load into a new model continues bit-identically (${where})`, async () => {
      const destination = where === 'a tf.io.IOHandler' ? memory() : join(mkdtempSync(join(tmpdir(), 'gradkit-ckpt-')), 'run');
      const a = model(1);
      for (let i = 0; i < 3; i++) await a.step();
      await saveCheckpoint(destination, { params: a.params, buffers: a.buffers, optimizer: a.opt, metadata: { epoch: 3 } });
      if (typeof destination === 'string') expect(readdirSync(destination).sort()).toEqual(['checkpoint.json', 'weights.bin']);
      for (let i = 0; i < 3; i++) await a.step();
      const b = model(2); // other initial weights, a fresh optimizer
      const loaded = await loadCheckpoint(destination, { params: b.params, buffers: b.buffers, optimizer: b.opt });
      expect(loaded).toEqual({ metadata: { epoch: 3 }, stepCount: 3 });
      for (let i = 0; i < 3; i++) await b.step();
      expect(await b.bits()).toEqual(await a.bits());
      a.dispose();
      b.dispose();
    });
  }

  it('is taken when called: steps that run while it is written do not tear it', async () => {
    const handler = memory();
    const a = model(1);
    await a.step();
    const before = await a.bits();
    const saving = saveCheckpoint(handler, { params: a.params, buffers: a.buffers, optimizer: a.opt });
    for (let i = 0; i < 3; i++) await a.step();
    await saving;
    const b = model(2);
    await loadCheckpoint(handler, { params: b.params, buffers: b.buffers, optimizer: b.opt });
    expect(await b.bits()).toEqual(before);
    a.dispose();
    b.dispose();
  });

  it('a checkpoint of another model: StateError naming the path that differs, nothing changed', async () => {
    const handler = memory();
    const a = model(1);
    await a.step();
    await saveCheckpoint(handler, { params: a.params, buffers: a.buffers, optimizer: a.opt });
    const b = model(2);
    const before = await b.bits();
    const other = { dense: { kernel: b.params.dense.kernel, bias: b.params.dense.bias }, head: { kernel: tf.variable(tf.zeros([2, 1])) } };
    await expect(loadCheckpoint(handler, { params: other, buffers: b.buffers })).rejects.toMatchObject({ path: 'params.head.kernel' });
    const wide = { dense: { kernel: tf.variable(tf.zeros([3, 4])), bias: b.params.dense.bias } };
    await expect(loadCheckpoint(handler, { params: wide, buffers: b.buffers })).rejects.toThrow(/float32\[3, 2\] in the checkpoint, float32\[3, 4\] here/);
    await expect(loadCheckpoint(handler, { params: b.params, buffers: {} })).rejects.toMatchObject({ path: 'buffers.norm.runningMean' });
    // the optimizer's own check (another transformation) also leaves the parameters as they were
    const otherOpt = new Optimizer(b.params, heavyBall(0.1, 0));
    await expect(loadCheckpoint(handler, { params: b.params, buffers: b.buffers, optimizer: otherOpt })).rejects.toThrow(StateError);
    expect(await b.bits()).toEqual(before);
    await expect(loadCheckpoint(handler, { params: b.params, extra: 1 } as never)).rejects.toThrow(HyperParameterError);
    await expect(loadCheckpoint({ load: async () => ({ modelTopology: {} }) }, { params: b.params })).rejects.toThrow(/not a gradkit checkpoint/);
    otherOpt.dispose();
    tf.dispose([other.head.kernel, wide.dense.kernel]);
    a.dispose();
    b.dispose();
  });

  it('leaks no tensors', async () => {
    const handler = memory();
    const a = model(1);
    await a.step();
    await expectNoLeaks(async () => {
      await saveCheckpoint(handler, { params: a.params, buffers: a.buffers, optimizer: a.opt });
      await loadCheckpoint(handler, { params: a.params, buffers: a.buffers, optimizer: a.opt });
    });
    a.dispose();
  });
});
