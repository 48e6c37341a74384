// The diagnostics' precision on the labelled runs (see README.md). One test per case: its runs train
// as the label presumes (a broken run fails to train, a healthy one trains: otherwise the label would
// be wrong at this size). Then the table of every run, printed for the CI logs, and the rates: no
// false alarm, no miss.
import { currentBackend } from '@gradkit/testing';
import { describe, expect, it } from 'vitest';
import { formatPrecisionTable, LABELLED_CASES, type PrecisionRow, precisionTable, SEEDS, tableOf } from './precision.js';

// SwiftShader runs WebGPU on the CPU: ≈ 0.3 s per step of these tiny MLPs (wasm: ≈ 0.02 s), ≈ 1 s
// per step of tfjs-layers' fit with the probe, ≈ 4 s for its conv net, minutes for the recurrent
// nets. There only the cases marked `webgpu` run (four gradkit MLPs, one tfjs-layers net), at one seed.
const webgpu = currentBackend() === 'webgpu';
const cases = webgpu ? LABELLED_CASES.filter((c) => c.webgpu === true) : LABELLED_CASES;
const seeds = webgpu ? SEEDS.slice(0, 1) : SEEDS;
const rows: PrecisionRow[] = [];

describe('the diagnostics on the labelled runs', () => {
  for (const c of cases)
    it(`${c.id} (${c.family}) trains as labelled: ${c.what}`, { timeout: 120_000 }, async () => {
      const table = await precisionTable({ cases: [c], seeds });
      rows.push(...table.rows);
      expect(table.outcomeFailures.map((r) => `${r.id} seed ${r.seed}: ${r.outcome.measured}, expected ${r.outcome.expected}`)).toEqual([]);
    });

  it('are diagnosed with no false alarm and no miss', () => {
    const table = tableOf(rows);
    console.log(formatPrecisionTable(table, currentBackend()));
    expect(rows.length).toBe(cases.length * seeds.length * 2);
    expect({ falseAlarmRate: table.falseAlarmRate, missRate: table.missRate, everyDependent: table.everyDependent }).toEqual({
      falseAlarmRate: 0,
      missRate: 0,
      everyDependent: [],
    });
  });
});
