import { createServer } from 'node:http';
import { currentBackend } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it, vi } from 'vitest';
import { crossOriginIsolation, threadedWasm } from './threads.js';
import viteConfig from './threads-vite.config.js';

const ISOLATION = { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' };

describe('guide: threads', () => {
  it('the Express middleware sends COOP and COEP on a real HTTP response', async () => {
    const server = createServer((req, res) => crossOriginIsolation(req, res, () => res.end('ok')));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as { port: number };
      const res = await fetch(`http://127.0.0.1:${port}/`);
      expect(await res.text()).toBe('ok');
      expect({
        'cross-origin-opener-policy': res.headers.get('cross-origin-opener-policy'),
        'cross-origin-embedder-policy': res.headers.get('cross-origin-embedder-policy'),
      }).toEqual(ISOLATION);
    } finally {
      server.close();
    }
  });

  it('the Vite config sends them from vite dev and vite preview', () => {
    const lower = (h: Record<string, string> | undefined) => Object.fromEntries(Object.entries(h ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
    const config = viteConfig as { server?: { headers?: Record<string, string> }; preview?: { headers?: Record<string, string> } };
    expect(lower(config.server?.headers)).toEqual(ISOLATION);
    expect(lower(config.preview?.headers)).toEqual(ISOLATION);
  });

  it('in Node (never cross-origin isolated) the check reports the single-threaded build and says why', async () => {
    if (currentBackend() !== 'wasm') return; // elsewhere it would switch the project's backend to wasm
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      expect(await threadedWasm()).toEqual({ threadedBuild: false, threads: 1 });
      expect(warn).toHaveBeenCalledWith('not cross-origin isolated: tfjs runs its single-threaded wasm build');
      expect(log).toHaveBeenCalledWith('threaded build false, 1 threads');
    } finally {
      warn.mockRestore();
      log.mockRestore();
    }
    expect(tf.getBackend()).toBe('wasm');
  });
});
