// tf.oneHot with a float32 output against one-hot rows written out here, with fast paths on and off:
// on wasm the fix (wasm-one-hot.ts) stays on either way, since tfjs-backend-wasm's own kernel gives
// 1.4e-45 for 1 there; cpu and webgpu run tfjs's kernel, which is right.
import { currentBackend, expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it } from 'vitest';
import { fastPaths, setFastPaths } from './registry.js';

afterEach(() => setFastPaths(true));

describe('OneHot with a float32 output', () => {
  it.each([true, false])('is onValue at each index and offValue elsewhere (fast paths %s)', async (on) => {
    setFastPaths(on);
    const got = await expectNoLeaks(async () => {
      const hot = tf.tidy(() => tf.oneHot(tf.tensor2d([0, 2, 1, 3], [2, 2], 'int32'), 3, 0.9, 0.05, 'float32'));
      const v = Array.from(await hot.data());
      const { shape, dtype } = hot;
      hot.dispose();
      return { v, shape, dtype };
    });
    expect(got.shape).toEqual([2, 2, 3]);
    expect(got.dtype).toBe('float32');
    const [a, b] = [Math.fround(0.9), Math.fround(0.05)];
    // Index 3 is outside depth 3: an all-off row, as tfjs-cpu and TensorFlow.
    expect(got.v).toEqual([a, b, b, b, b, a, b, a, b, b, b, b]);
  });

  it('gives tfjs’s int32 one-hot unchanged', async () => {
    const hot = tf.oneHot(tf.tensor1d([1, 0], 'int32'), 2);
    expect(hot.dtype).toBe('int32');
    expect(Array.from(await hot.data())).toEqual([0, 1, 1, 0]);
    hot.dispose();
  });

  it('is listed as a fix on wasm, installed there', () => {
    const entry = fastPaths().find((p) => p.kernelName === 'OneHot');
    expect(entry).toMatchObject({ backend: 'wasm', kind: 'fix' });
    if (currentBackend() === 'wasm') expect(entry?.installed).toBe(true);
  });
});
