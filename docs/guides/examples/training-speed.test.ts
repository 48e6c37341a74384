import { currentBackend } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it, vi } from 'vitest';
import { layersUser, listAndSwitch, profileMine } from './training-speed.js';

describe('guide: training speed', () => {
  const x = tf.randomUniform([16, 784], 0, 1, 'float32', 3);
  const y = tf.cast(tf.oneHot(tf.tensor1d([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5], 'int32'), 10), 'float32');

  it('a tfjs-layers model trains on the backend useBackend set up', async () => {
    const loss = await layersUser(currentBackend(), x, y);
    // Cross-entropy of 10 classes from a fresh model: near ln 10.
    expect(loss).toBeGreaterThan(1.5);
    expect(loss).toBeLessThan(4);
    expect(tf.getBackend()).toBe(currentBackend());
  });

  it('lists the fast paths and switches them', () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    expect(listAndSwitch()).toBe(true);
    expect(log.mock.calls.some(([line]) => String(line).startsWith('wasm BatchMatMul'))).toBe(true);
    log.mockRestore();
  });

  it('profiles a step: forward, backward and update phases, matmuls among the kernels', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    const profile = await profileMine(x, y);
    log.mockRestore();
    expect(profile.backend).toBe(currentBackend());
    expect(profile.kernels.some((k) => k.name === 'BatchMatMul' && k.phase === 'backward')).toBe(true);
    expect(profile.phases.update.calls).toBeGreaterThan(0);
  });
});
