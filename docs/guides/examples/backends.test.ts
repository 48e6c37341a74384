import { currentBackend } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it, vi } from 'vitest';
import { ordered, readBack, wasmInNode, webgpuInNode } from './backends.js';

// Each vitest project runs on one backend: the examples that start a backend are called only on theirs
// (starting the active backend again is a no-op for tfjs), so every test leaves the backend as it was.
describe('guide: backends', () => {
  it('starts the backend its example names, and reports it', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    const backend = currentBackend();
    if (backend === 'webgpu') {
      const info = await webgpuInNode();
      expect(info.name).toBe('webgpu');
      expect(info.adapter).toBeDefined();
    } else if (backend === 'wasm') {
      const info = await wasmInNode();
      expect(info.name).toBe('wasm');
      expect(info.simd).toBe(true); // Node 20 has WebAssembly SIMD
    }
    log.mockRestore();
    expect(tf.getBackend()).toBe(backend);
  });

  it('an explicit order: webgpu first, then wasm', async () => {
    const backend = currentBackend();
    if (backend !== 'webgpu') return; // elsewhere it would switch the project's backend to webgpu
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const info = await ordered();
    warn.mockRestore();
    expect(info?.name).toBe('webgpu');
    expect(info?.fallbacks).toEqual([]);
    expect(tf.getBackend()).toBe(backend);
  });

  it('reads with await data()', async () => {
    expect(Array.from(await readBack())).toEqual([2, 4, 6]);
  });
});
