// The bench's profiles and the profile command on the test's backend, with a tiny MLP.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fastPathsEnabled } from '@gradkit/core';
import { currentBackend, expectNoLeaks } from '@gradkit/testing';
import { describe, expect, it } from 'vitest';
import { parseProfileFlags } from './args.js';
import { type BenchProfile, benchProfiles } from './profile.js';
import { profileHeading, runProfile } from './run-profile.js';

const tiny = { sizes: [6, 5, 3], batch: 4, settings: { warmup: 1, steps: 1, timedSteps: 1 } };

describe(`profiles on ${currentBackend()}`, () => {
  it('profiles gradkit and tfjs-layers with fast paths on and off, and puts the setting back', async () => {
    const before = fastPathsEnabled();
    const profiles = await expectNoLeaks(() => benchProfiles({ ...tiny, top: 3 }));
    expect(fastPathsEnabled()).toBe(before);
    expect(profiles.map((p) => `${p.library} ${p.fastPaths}`)).toEqual(['gradkit true', 'tfjs-layers true', 'gradkit false', 'tfjs-layers false']);
    for (const p of profiles) {
      const what = `${p.library}, fast paths ${p.fastPaths}`;
      expect(p).toMatchObject({ model: 'custom', sizes: [6, 5, 3], batch: 4 });
      expect(p.profile.backend, what).toBe(currentBackend());
      expect(p.profile.fastPaths, what).toBe(p.fastPaths);
      expect(p.profile.target, what).toBe(p.library === 'gradkit' ? 'optimizer' : 'model');
      expect(p.profile.settings, what).toEqual({ warmup: 1, steps: 1, timedSteps: 1 });
      // Two dense layers: their matmuls run forward, their gradients backward, adam updates 4 tensors.
      for (const phase of ['forward', 'backward', 'update'] as const) expect(p.profile.phases[phase].calls, `${what} ${phase}`).toBeGreaterThan(0);
      expect(
        p.profile.kernels.some((k) => k.phase === 'forward' && /MatMul/.test(k.name)),
        what,
      ).toBe(true);
      expect(p.text, what).toContain(p.profile.kernels[0]?.name as string);
    }
  });

  it('one library, one setting', async () => {
    const [p, ...rest] = await benchProfiles({ ...tiny, libraries: ['tfjs-layers'], fastPaths: [false] });
    expect(rest).toEqual([]);
    expect(p?.library).toBe('tfjs-layers');
    expect(p?.profile.fastPaths).toBe(false);
  });

  it('the profile command prints every profile under a heading and writes them with --out', async () => {
    const out = mkdtempSync(join(tmpdir(), 'gradkit-profile-'));
    try {
      const lines: string[] = [];
      const flags = parseProfileFlags(['--backend', currentBackend(), '--fast-paths', 'both', '--top', '2', '--out', out]);
      const text = await runProfile(flags, (l) => lines.push(l), tiny);
      expect(text.match(/^## /gm)).toHaveLength(4);
      expect(text).toMatch(new RegExp(`^## gradkit, custom \\(6-5-3, batch 4\\), fast paths on, ${currentBackend()}`, 'm'));
      expect(text).toMatch(/^## tfjs-layers, custom \(6-5-3, batch 4\), fast paths off, /m);
      const base = join(out, `profile-${currentBackend()}-mlp`);
      const json = JSON.parse(readFileSync(`${base}.json`, 'utf8')) as { backend: string; profiles: BenchProfile[] };
      expect(json.profiles.map((p) => p.profile.format)).toEqual(Array(4).fill('gradkit-step-profile'));
      expect(json.backend).toMatch(new RegExp(`^${currentBackend()}`));
      expect(readFileSync(`${base}.txt`, 'utf8')).toBe(`${text}\n`);
      expect(lines.at(-1)).toBe(`profile: wrote ${base}.json and ${base}.txt`);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('headings name the library, the net, the fast paths and the backend', () => {
    const p = { library: 'gradkit', model: 'mlp', sizes: [784, 256, 256, 10], batch: 128, fastPaths: false } as unknown as BenchProfile;
    expect(profileHeading(p, 'wasm (SIMD on, threads off)')).toBe('gradkit, mlp (784-256-256-10, batch 128), fast paths off, wasm (SIMD on, threads off)');
  });
});
