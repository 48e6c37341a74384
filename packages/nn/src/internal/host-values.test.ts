import { currentBackend } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { hostValues } from './host-values.js';

describe('hostValues (labels and embedding indices read without waiting)', () => {
  it('reads host-side tensors; on webgpu, only while tfjs holds the values on the CPU side (never by waiting)', async () => {
    const fromJs = tf.tensor1d([4, 0, 2], 'int32');
    expect(Array.from(hostValues(fromJs) ?? [])).toEqual([4, 0, 2]); // not yet uploaded on webgpu
    // 2048 elements: above webgpu's CPU hand-off threshold (1000), so the sum runs on the GPU.
    const big = tf.fill([2048], 1, 'int32');
    const computed = tf.add(big, tf.scalar(2, 'int32'));
    if (currentBackend() === 'webgpu') {
      expect(hostValues(computed)).toBeUndefined();
      await computed.data(); // tfjs keeps the values it read
    }
    const read = hostValues(computed);
    expect(read?.length).toBe(2048);
    expect(read?.[2047]).toBe(3);
    tf.dispose([fromJs, big, computed]);
  });
});
