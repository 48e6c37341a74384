import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { madeUpResult } from './made-up-result.js';
import type { ModernResult } from './modern.js';
import { readme } from './report.js';
import { modernSection } from './report-modern.js';
import { merged } from './run-backend.js';

const summary = (median: number) => ({ median, p10: median * 0.9, p90: median * 1.1, samples: 5 });

/** A made-up modern result: Newton–Schulz on one matrix and a training step of two variants. */
const modern: ModernResult = {
  run: { measuredAt: '2026-01-02T03:04:05.000Z', command: 'node x --only modern', described: 'webgpu described', machine: 'Made-up CPU' },
  rows: [],
  newtonSchulz: [{ shape: [128, 128], ms: summary(12), kernels: 45, dispatches: 43, submits: 3, muonStepSubmits: 4 }],
  training: {
    sizes: [784, 256, 10],
    batch: 128,
    params: 203_530,
    stepsPerSample: 1,
    variants: { 'gradkit adam': { ...summary(10), path: 'fused:GradkitAdam' }, 'tfjs-layers adam': summary(30) },
    unavailable: { 'jax-js muon': 'no optimizer library' },
  },
};

describe('the modern benchmark in the results', () => {
  it("says when and how it ran, Newton–Schulz's dispatches and submits, and the training step's ratios", () => {
    const text = modernSection([{ modern }]);
    expect(text).toContain('### webgpu described');
    expect(text).toContain('Measured 2026-01-02 03:04 UTC by `node x --only modern` on Made-up CPU.');
    expect(text).toContain('| 128 × 128 | 12.0 (10.8–13.2) | 45 | 43 | 3 | 4 |');
    // tfjs-layers' 30 ms over gradkit adam's 10 ms.
    expect(text).toMatch(/\| gradkit adam \| 10\.0 \(9\.00–11\.0\) \| 3\.0× \| 1\.0× \| fused:GradkitAdam \|/);
    expect(text).toContain('- jax-js muon: no optimizer library');
    expect(readme([madeUpResult('webgpu', { modern })])).toContain('## Modern optimizers: ADOPT, Schedule-Free AdamW, Muon (issue 16)');
    expect(readme([madeUpResult('cpu')])).not.toContain('Modern optimizers');
  });

  it('--merge replaces only the benchmarks that ran in an existing result file of the same backend', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-merge-'));
    const file = join(dir, 'webgpu.json');
    const old = madeUpResult('webgpu', { command: 'the full run', notes: ['kept'] });
    writeFileSync(file, JSON.stringify(old));
    const fresh = madeUpResult('webgpu', { command: 'only modern', modern, notes: [] });
    const out = merged(file, fresh, ['modern']);
    expect(out.command).toBe('the full run');
    expect(out.notes).toEqual(['kept']);
    expect(out.modern).toEqual(modern);
    // Another backend's file, or none: the fresh result as it is.
    expect(merged(file, madeUpResult('cpu', { modern }), ['modern']).backend).toBe('cpu');
    expect(merged(join(dir, 'none.json'), fresh, ['modern'])).toBe(fresh);
  });
});
