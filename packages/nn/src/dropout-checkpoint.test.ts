import { flatten, loadCheckpoint, Optimizer, StateError, saveCheckpoint } from '@gradkit/core';
import { adam } from '@gradkit/optimizers';
import { currentBackend, expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { dense } from './dense.js';
import { dropout } from './dropout.js';
import { sequential } from './sequential.js';
import { syncBuffers } from './sync-buffers.js';

/** A checkpoint kept in memory: a save handler, then `load()` for the artifacts it received. */
function memory() {
  let saved: tf.io.ModelArtifacts | undefined;
  const save = tf.io.withSaveHandler(async (artifacts) => {
    saved = artifacts;
    return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
  });
  return { save, load: () => tf.io.fromMemory(saved as tf.io.ModelArtifacts) };
}

/** An MLP with dropout between its layers, trained by Adam on a fixed batch; `seed` varies every seed in it. */
function setup(seed: number) {
  const model = sequential(
    dense({ inFeatures: 4, outFeatures: 16, activation: 'relu', seed }),
    dropout(0.5, { seed: seed + 1 }),
    dense({ inFeatures: 16, outFeatures: 1, seed: seed + 2 }),
  );
  const opt = new Optimizer(model.params, adam({ learningRate: 0.01 }));
  const x = tf.tensor2d(
    Array.from({ length: 32 }, (_, i) => Math.sin(i)),
    [8, 4],
  );
  const y = tf.tensor2d(
    Array.from({ length: 8 }, (_, i) => Math.cos(i)),
    [8, 1],
  );
  const step = () => opt.minimize(() => tf.losses.meanSquaredError(y, model.apply(x)));
  /** Parameters and buffers, as bits. */
  const bits = async () =>
    Promise.all([...flatten(model.params), ...flatten(model.buffers)].map(async ({ path, value }) => [path, Array.from(await value.data())]));
  const dispose = () => {
    opt.dispose();
    model.dispose();
    tf.dispose([x, y]);
  };
  return { model, opt, step, bits, dispose };
}

describe(`dropout in checkpoints (${currentBackend()})`, () => {
  it('save → loadCheckpoint into a fresh model continues bit-identically in training mode (it re-reads the mask counter itself)', async () => {
    const a = setup(1);
    for (let i = 0; i < 3; i++) await a.step();
    const checkpoint = memory();
    await saveCheckpoint(checkpoint.save, { module: a.model, optimizer: a.opt });
    const lossesA: number[] = [];
    for (let i = 0; i < 4; i++) lossesA.push(await a.step());

    const b = setup(100); // other weights, another dropout seed, a fresh optimizer
    await loadCheckpoint(checkpoint.load(), { module: b.model, optimizer: b.opt });
    expect((b.model.layers[1] as ReturnType<typeof dropout>).seed).toBe(2); // the checkpoint's seed
    const lossesB: number[] = [];
    for (let i = 0; i < 4; i++) lossesB.push(await b.step());
    expect(lossesB).toEqual(lossesA);
    expect(await b.bits()).toEqual(await a.bits());
    a.dispose();
    b.dispose();
  });

  it('training after buffers were assigned without syncBuffers is a StateError naming rngState, and nothing changes', async () => {
    const a = setup(1);
    await a.step();
    const checkpoint = memory();
    await saveCheckpoint(checkpoint.save, { module: a.model, optimizer: a.opt });
    const b = setup(100);
    // buffers assigned by hand (not through loadCheckpoint, which re-reads them itself)
    const target = flatten(b.model.buffers).map((e) => e.value as tf.Variable);
    for (const [i, { value }] of flatten(a.model.buffers).entries()) target[i]?.assign(value);
    const before = await b.bits();
    const error = await b.step().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(StateError);
    expect((error as StateError).path).toBe('rngState');
    expect((error as Error).message).toMatch(/syncBuffers/);
    expect(await b.bits()).toEqual(before);
    b.model.eval(); // inference draws no mask: nothing to sync
    tf.tidy(() => void b.model.apply(tf.ones([2, 4])));
    a.dispose();
    b.dispose();
  });

  it('rngState holds the seed and the number of masks drawn; reseed() restarts it', async () => {
    const seed = -(2 ** 40) - 5; // a negative seed with high bits
    const drop = dropout(0.5, { seed });
    const x = tf.ones([3, 3]);
    for (let i = 0; i < 3; i++) drop.apply(x).dispose();
    // seed = high·2³² + (low as uint32): high = ⌊seed / 2³²⌋ = −257, low = seed − high·2³² = 2³² − 5 → int32 −5.
    expect(Array.from(await drop.buffers.rngState.data())).toEqual([-5, -257, 3, 0]);
    drop.reseed(7);
    expect(Array.from(await drop.buffers.rngState.data())).toEqual([7, 0, 0, 0]);
    drop.dispose();
    expect(drop.buffers.rngState.isDisposed).toBe(true);
    x.dispose();
  });

  it('syncBuffers reads an assigned state: the masks continue from the assigned counter', async () => {
    const x = tf.ones([64]);
    const a = dropout(0.5, { seed: 9 });
    const masks: number[][] = [];
    for (let i = 0; i < 3; i++) {
      const y = a.apply(x);
      masks.push(Array.from(await y.data()));
      y.dispose();
    }
    const b = dropout(0.5, { seed: 1 });
    const state = tf.tensor1d([9, 0, 2, 0], 'int32'); // seed 9, two masks drawn
    b.buffers.rngState.assign(state);
    state.dispose();
    await syncBuffers(b);
    await syncBuffers(b); // nothing assigned since: a no-op
    const y = b.apply(x);
    expect(Array.from(await y.data())).toEqual(masks[2]);
    tf.dispose([x, y]);
    a.dispose();
    b.dispose();
  });

  it('syncBuffers refuses a state that is not a dropout state (StateError), and training stays refused', async () => {
    const drop = dropout(0.5, { seed: 1 });
    for (const words of [
      [0, 2 ** 30, 0, 0], // seed 2⁶², beyond 2⁵³
      [1, 0, 0, -1], // a negative number of masks
    ]) {
      const state = tf.tensor1d(words, 'int32');
      drop.buffers.rngState.assign(state);
      state.dispose();
      await expect(syncBuffers(drop)).rejects.toBeInstanceOf(StateError);
      expect(() => tf.tidy(() => drop.apply(tf.ones([2])))).toThrow(StateError);
    }
    drop.dispose();
  });

  it('syncBuffers needs a module, and leaks nothing', async () => {
    await expect(syncBuffers(null as never)).rejects.toMatchObject({ field: 'module' });
    const drop = dropout(0.5, { seed: 3 });
    const state = tf.tensor1d([3, 0, 5, 0], 'int32');
    drop.buffers.rngState.assign(state);
    state.dispose();
    await expectNoLeaks(async () => {
      await syncBuffers(sequential(drop));
    });
    drop.dispose();
  });
});
