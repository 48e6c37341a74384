import { currentBackend } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it } from 'vitest';
import { BackendError } from '../errors.js';
import { fastPaths, fastPathsEnabled } from '../fast-paths/registry.js';
import { AUTO_ORDER, isBackendName } from './names.js';
import { useBackend } from './use-backend.js';

describe('useBackend', () => {
  // Each test may switch backends: put the project's own back.
  afterEach(async () => {
    await useBackend(currentBackend());
  });

  it('starts the named backend and describes it', async () => {
    const info = await useBackend(currentBackend());
    expect(info.name).toBe(currentBackend());
    expect(tf.getBackend()).toBe(currentBackend());
    expect(info.fallbacks).toEqual([]);
    if (info.name === 'wasm') expect(typeof info.simd).toBe('boolean');
    else expect(info.simd).toBe(false);
    if (info.name === 'webgpu') expect(info.adapter?.vendor ?? '').not.toBe(undefined);
    else expect(info.adapter).toBeUndefined();
  });

  it('auto tries webgpu → wasm → cpu and says why it skipped each one before its choice', async () => {
    const info = await useBackend('auto');
    expect(tf.getBackend()).toBe(info.name);
    const chosen = AUTO_ORDER.indexOf(info.name);
    expect(info.fallbacks.map((f) => f.name)).toEqual(AUTO_ORDER.slice(0, chosen));
    for (const f of info.fallbacks) expect(f.reason.length).toBeGreaterThan(10);
  });

  it('a software WebGPU adapter is skipped by auto, with the reason, but used when named', async () => {
    const info = await useBackend('auto');
    const skipped = info.fallbacks.find((f) => f.name === 'webgpu');
    if (!skipped || !/software|SwiftShader/i.test(skipped.reason)) return; // a real GPU (or none) here
    expect(skipped.reason).toMatch(/slower than wasm, so 'auto' skips it/);
    expect((await useBackend('webgpu')).name).toBe('webgpu');
    expect((await useBackend('auto', { allowSoftwareWebGpu: true })).name).toBe('webgpu');
  });

  it('takes the first backend of a list that starts', async () => {
    const info = await useBackend(['cpu', 'wasm']);
    expect(info.name).toBe('cpu');
  });

  it('rejects unknown names, listing the valid ones, without switching backend', async () => {
    const before = tf.getBackend();
    await expect(useBackend('webgl' as never)).rejects.toThrow(BackendError);
    await expect(useBackend('webgl' as never)).rejects.toThrow(/unknown backend 'webgl': use 'auto', 'cpu', 'wasm', 'webgpu'/);
    await expect(useBackend(['cpu', 'tpu'] as never)).rejects.toThrow(/unknown backend 'tpu'/);
    await expect(useBackend([])).rejects.toThrow(/empty list/);
    expect(tf.getBackend()).toBe(before);
  });

  // A missing backend package (the error names the package to install) is tested where it can really
  // be missing: in tests/pack, against core installed alone from its tarball.

  it('a browser that exposes WebGPU without an adapter gets a one-line reason, and the backend stays', async () => {
    const before = tf.getBackend();
    const saved = Object.getOwnPropertyDescriptor(globalThis, 'navigator');
    Object.defineProperty(globalThis, 'navigator', { value: { gpu: { requestAdapter: async () => null } }, configurable: true, writable: true });
    try {
      const error = await useBackend('webgpu').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BackendError);
      expect((error as Error).message).toMatch(/requestAdapter\(\) returned null/);
      expect((error as Error).message).not.toMatch(/\n\s+at /);
    } finally {
      if (saved) Object.defineProperty(globalThis, 'navigator', saved);
      else Reflect.deleteProperty(globalThis, 'navigator');
    }
    expect(tf.getBackend()).toBe(before);
  });

  it('knows its backend names', () => {
    expect(['cpu', 'wasm', 'webgpu'].every(isBackendName)).toBe(true);
    expect(isBackendName('webgl')).toBe(false);
  });

  it('turns the training fast paths off and on, installs those of the backend it starts, and leaves the setting alone when not asked', async () => {
    await useBackend(currentBackend(), { fastPaths: false });
    expect(fastPathsEnabled()).toBe(false);
    await useBackend(currentBackend());
    expect(fastPathsEnabled()).toBe(false);
    await useBackend(currentBackend(), { fastPaths: true });
    expect(fastPathsEnabled()).toBe(true);
    const own = fastPaths().filter((p) => p.backend === currentBackend());
    for (const p of own) expect(p.installed).toBe(true);
  });
});
