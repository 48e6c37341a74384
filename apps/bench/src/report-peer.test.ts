// The peer's and the profiles' tables, targets and README sections, on made-up results.
import type { StepProfile } from '@gradkit/diagnostics';
import { describe, expect, it } from 'vitest';
import { madeUpResult } from './made-up-result.js';
import type { PeerResult } from './peer.js';
import type { PeerVariant } from './peer-names.js';
import type { BenchProfile } from './profile.js';
import { type BackendResult, readme, targetChecks, targetTable } from './report.js';
import { inCell, lossAgreement, lossTable, peerChecks, peerTable, profileBlocks, profileSummaryTable } from './report-peer.js';

const s = (median: number) => ({ median, p10: median * 0.9, p90: median * 1.1, samples: 8 });

/** A made-up MLP peer result: ms/step per variant (absent: unavailable with that reason). */
function peer(ms: Partial<Record<PeerVariant, number>>, unavailable: Partial<Record<PeerVariant, string>> = {}, spread = [2e-7, 9e-7, 1.2e-6]): PeerResult {
  const variants = Object.fromEntries(Object.entries(ms).map(([k, v]) => [k, s(v)]));
  const r = (a: PeerVariant, b: PeerVariant) => (ms[a] === undefined || ms[b] === undefined ? null : (ms[a] as number) / (ms[b] as number));
  return {
    model: 'mlp',
    config: {
      sizes: [784, 256, 256, 10],
      batch: 128,
      params: 269_322,
      tensors: 6,
      batches: 8,
      stepsPerSample: 4,
      seed: 1,
      adam: { learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 },
    },
    variants,
    unavailable,
    jaxDevice: ms['jax-js'] === undefined ? null : 'wasm',
    jaxVersion: '0.1.25',
    gradkitPath: 'fused:GradkitAdam',
    ratios: {
      gradkitOverJax: r('jax-js', 'gradkit'),
      gradkitOverLayers: r('tfjs-layers', 'gradkit'),
      layersFastPaths: r('tfjs-layers', 'tfjs-layers + gradkit'),
      gradkitFastPaths: r('gradkit, fast paths off', 'gradkit'),
    },
    lossCheck: {
      steps: [1, 5, 20],
      losses: Object.fromEntries(Object.keys(ms).map((k) => [k, [2.7437129, 2.5626738, 2.2748759]])),
      spread,
      tolerance: 1e-4,
      pass: spread.every((x) => x <= 1e-4),
    },
  } as PeerResult;
}

const full = { gradkit: 8, 'gradkit, fast paths off': 48, 'tfjs-layers': 50, 'tfjs-layers + gradkit': 10, 'jax-js': 8.4 };

/** A made-up profile. */
function profile(library: 'gradkit' | 'tfjs-layers', fastPaths: boolean, gpu = false): BenchProfile {
  const p = {
    format: 'gradkit-step-profile',
    version: 1,
    target: library === 'gradkit' ? 'optimizer' : 'model',
    backend: gpu ? 'webgpu' : 'wasm',
    fastPaths,
    timing: 'wall-clock',
    settings: { warmup: 2, steps: 5, timedSteps: 10 },
    stepMs: { median: 8, p10: 7.5, p90: 9 },
    profiledStepMs: 9,
    kernelMs: 7,
    phases: { forward: { ms: 2.4, calls: 9, bytes: 1 }, backward: { ms: 4.4, calls: 20, bytes: 1 }, update: { ms: 0.23, calls: 1, bytes: 0 } },
    kernels: [
      { name: 'BatchMatMul', phase: 'backward', calls: 4, ms: 3.5, bytes: 1, shapes: '' },
      { name: '_FusedMatMul', phase: 'forward', calls: 3, ms: 2, bytes: 1, shapes: '' },
      { name: 'Sum', phase: 'backward', calls: 3, ms: 0.5, bytes: 1, shapes: '' },
      { name: 'Relu', phase: 'forward', calls: 2, ms: 0.1, bytes: 1, shapes: '' },
    ],
    customOps: [],
    ...(gpu ? { dispatches: 40, submits: 3 } : {}),
    notes: [],
  } as unknown as StepProfile;
  return { library, model: 'mlp', sizes: [784, 256, 256, 10], batch: 128, fastPaths, profile: p, text: `${library} profile text (fast paths ${fastPaths})` };
}

const backend = (name: string, peers: PeerResult[], profiles: BenchProfile[] = []) =>
  ({ backend: name, backendInfo: { described: `${name} described` }, peer: peers, profiles }) as unknown as BackendResult;

describe('peer targets (issue 13, wasm)', () => {
  it('checks the three ratios on the MLP, met and not met', () => {
    const met = peerChecks('wasm', [peer(full)], { overJax: 1, overLayers: 4, layersFastPaths: 3 });
    expect(met.map((c) => [c.target, c.measured, c.pass])).toEqual([
      ["peer, MLP: gradkit's training step at least as fast as jax-js's jitted step", '1.05× (8.00 vs 8.40 ms/step)', true],
      ['peer, MLP: gradkit ≥ 4× faster than tfjs-layers without gradkit', '6.25× (8.00 vs 50.0 ms/step)', true],
      ["peer, MLP: tfjs-layers trainOnBatch ≥ 3× faster with gradkit's fast paths than without", '5.00× (10.0 vs 50.0 ms/step)', true],
    ]);
    // gradkit 8.8 vs jax-js 8.4: 0.95×, missed; tfjs-layers 30 ms: 3.41× and 2.5×, missed.
    const missed = peerChecks('wasm', [peer({ ...full, gradkit: 8.8, 'tfjs-layers': 30, 'tfjs-layers + gradkit': 12 })], {
      overJax: 1,
      overLayers: 4,
      layersFastPaths: 3,
    });
    expect(missed.map((c) => c.pass)).toEqual([false, false, false]);
    expect(missed[0]?.measured).toBe('0.95× (8.80 vs 8.40 ms/step)');
  });

  it('says why a ratio is missing, and "not run" without a peer result', () => {
    const { 'jax-js': _, ...noJax } = full;
    const [jax, layers] = peerChecks('wasm', [peer(noJax, { 'jax-js': 'jax-js could not start its wasm device here' })], {
      overJax: 1,
      overLayers: 4,
      layersFastPaths: 3,
    });
    expect(jax).toMatchObject({ measured: 'not measured: jax-js could not start its wasm device here', pass: null });
    expect(layers?.pass).toBe(true);
    expect(peerChecks('wasm', [], { overJax: 1, overLayers: 4, layersFastPaths: 3 }).map((c) => [c.measured, c.pass])).toEqual([
      ['not run', null],
      ['not run', null],
      ['not run', null],
    ]);
  });

  it('only wasm has peer targets; the targets table shows them', () => {
    const results = [backend('cpu', [peer(full)]), backend('wasm', [peer(full)])].map(
      (r) => ({ ...r, optimizerStep: { rows: [] }, endToEnd: null, overhead: [] }) as BackendResult,
    );
    const checks = targetChecks(results);
    expect(checks.filter((c) => c.target.startsWith('peer')).map((c) => c.backend)).toEqual(['wasm', 'wasm', 'wasm']);
    expect(targetTable(results)).toContain(
      "| wasm | peer, MLP: gradkit's training step at least as fast as jax-js's jitted step | 1.05× (8.00 vs 8.40 ms/step) | **yes** |",
    );
  });
});

describe('peer and profile tables', () => {
  it('the peer table: every variant, the device, the ratios, the loss check', () => {
    const { 'jax-js': _, ...noJax } = full;
    const rows = peerTable([backend('wasm', [peer(full)]), backend('webgpu', [peer(noJax, { 'jax-js': 'no adapter' })])]).split('\n');
    expect(rows).toHaveLength(4);
    expect(rows[0]).toBe(
      '| backend | net | gradkit `minimize` | gradkit, fast paths off | tfjs-layers `trainOnBatch` (without gradkit) | tfjs-layers + gradkit fast paths | jax-js `jit` | gradkit vs jax-js | gradkit vs tfjs-layers | tfjs-layers with ÷ without gradkit | losses agree | samples × steps |',
    );
    expect(rows[2]).toBe(
      '| wasm | mlp 784-256-256-10, batch 128 (269.3k parameters) | 8.00 (7.20–8.80) | 48.0 (43.2–52.8) | 50.0 (45.0–55.0) | 10.0 (9.00–11.0) | 8.40 (7.56–9.24) [wasm] | **1.05×** | **6.25×** | **5.00×** | yes: ≤ 1.2e-6 (steps 1, 5, 20) | 8 × 4 |',
    );
    expect(rows[3]).toContain('| n/a: no adapter | **–** | **6.25×** |');
    expect(lossAgreement(peer(full, {}, [1e-7, 3e-4, 1e-6]))).toBe('**NO**: ≤ 3.0e-4 (steps 1, 5, 20)');
    // A reason with a newline and a pipe stays inside its cell.
    const odd = peerTable([backend('webgpu', [peer(noJax, { 'jax-js': 'failed:\n  a | b' })])]).split('\n');
    expect(odd).toHaveLength(3);
    expect(odd[2]).toContain('| n/a: failed: a \\| b |');
    expect(inCell('x\ty|z')).toBe('x y\\|z');
  });

  it('the loss table: one row per checked step', () => {
    const rows = lossTable([backend('wasm', [peer(full)])]).split('\n');
    expect(rows).toHaveLength(2 + 3);
    expect(rows[2]).toBe('| wasm | mlp | 1 | 2.7437129 | 2.7437129 | 2.7437129 | 2.7437129 | 2.7437129 | 2.0e-7 |');
  });

  it('the profile summary and blocks', () => {
    const results = [backend('wasm', [], [profile('gradkit', true), profile('tfjs-layers', false)]), backend('webgpu', [], [profile('gradkit', true, true)])];
    const rows = profileSummaryTable(results).split('\n');
    expect(rows).toHaveLength(5);
    expect(rows[2]).toBe(
      '| wasm | gradkit | on | 8.00 (7.50–9.00) | 2.40 | 4.40 | 0.230 | BatchMatMul (backward) 3.50, _FusedMatMul (forward) 2.00, Sum (backward) 0.500 |',
    );
    expect(rows[4]).toMatch(/Sum \(backward\) 0\.500; 40 dispatches, 3 submits \|$/);
    const blocks = profileBlocks(results).join('\n');
    expect(blocks).toContain(
      '### wasm described\n\ngradkit, mlp 784-256-256-10 (batch 128), fast paths on:\n\n```text\ngradkit profile text (fast paths true)\n```',
    );
    expect(blocks).toContain('### webgpu described');
  });

  it('the README has the peer and profile sections, the loss table and the WebGPU caveat', () => {
    const base = (name: string, peers: PeerResult[], profiles: BenchProfile[]) => madeUpResult(name, { peer: peers, profiles });
    const text = readme([base('wasm', [peer(full)], [profile('gradkit', true)]), base('webgpu', [peer(full)], [])]);
    for (const part of [
      '## The peer: gradkit vs tfjs-layers vs jax-js (issue 13)',
      '(@jax-js/jax 0.1.25)',
      'β₁ 0.9, β₂ 0.999, ε 1e-8',
      'within 1e-4',
      'WebGPU here is SwiftShader',
      'The losses of the fresh runs at the checked steps',
      "## Where a training step's time goes: profiles (issue 13)",
      '| wasm | gradkit | on | 8.00 (7.50–9.00) |',
      'gradkit profile text (fast paths true)',
    ])
      expect(text).toContain(part);
    // Without peer results or profiles, neither section.
    const none = readme([base('wasm', [], [])]);
    expect(none).not.toContain('## The peer');
    expect(none).not.toContain('profiles (issue 13)');
  });
});
