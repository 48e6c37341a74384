// The bench's command lines: every flag parsed, every unknown one rejected with the closest valid one.
import { describe, expect, it } from 'vitest';
import { didYouMean, parseBackendFlags, parseMainFlags, parseOnly } from './args.js';

describe('bench command lines', () => {
  it('main.js reads every flag, as --flag value and --flag=value', () => {
    expect(parseMainFlags([])).toEqual({ backends: ['cpu', 'wasm', 'webgpu'], quick: false, readmeOnly: false });
    expect(parseMainFlags(['--backends', 'wasm,cpu', '--quick', '--only=e2e', '--out', 'dir', '--readme'])).toEqual({
      backends: ['wasm', 'cpu'],
      quick: true,
      readmeOnly: true,
      only: ['e2e'],
      out: 'dir',
    });
  });

  it('run-backend.js reads its backend and flags', () => {
    expect(parseBackendFlags(['wasm'])).toEqual({ backend: 'wasm', quick: false });
    expect(parseBackendFlags(['--quick', 'webgpu', '--only', 'optimizer,overhead', '--out', 'o', '--command', 'node x'])).toEqual({
      backend: 'webgpu',
      quick: true,
      only: ['optimizer', 'overhead'],
      out: 'o',
      command: 'node x',
    });
  });

  it('rejects unknown flags and values, suggesting the closest', () => {
    for (const [argv, message] of [
      [['--qiuck'], /unknown argument '--qiuck' \(did you mean --quick\?\)/],
      [['--backend', 'cpu'], /unknown argument '--backend' \(did you mean --backends\?\)/],
      [['--backends', 'cpu,wsam'], /--backends takes a comma-separated list of cpu, wasm, webgpu; got 'cpu,wsam' \(did you mean wasm\?\)/],
      [['--only', 'optimzer'], /--only takes .* \(did you mean optimizer\?\)/],
      [['--out'], /--out needs a value/],
      [['--out', '--quick'], /--out needs a value/],
      [['--quick=yes'], /--quick takes no value/],
      [['--iterations', '5'], /unknown argument '--iterations' \(usage: main\.js/],
    ] as const) {
      expect(() => parseMainFlags(argv), argv.join(' ')).toThrow(message);
    }
    for (const [argv, message] of [
      [[], /name a backend: cpu, wasm or webgpu \(got nothing\)/],
      [['webpgu'], /got 'webpgu' \(did you mean webgpu\?\)/],
      [['cpu', 'wasm'], /the backend is already 'cpu'/],
      [['cpu', '--ouut', 'x'], /unknown argument '--ouut' \(did you mean --out\?\)/],
      [['cpu', '--backends', 'wasm'], /unknown argument '--backends'/],
    ] as const) {
      expect(() => parseBackendFlags(argv), argv.join(' ')).toThrow(message);
    }
  });

  it('suggests within two edits only, ignoring case and _ versus -', () => {
    expect(didYouMean('OVERHEAD', ['optimizer', 'overhead'])).toBe(' (did you mean overhead?)');
    expect(didYouMean('--read_me', ['--readme'])).toBe(' (did you mean --readme?)');
    expect(didYouMean('throughput', ['optimizer', 'e2e', 'overhead'])).toBe('');
    expect(parseOnly(' e2e , overhead')).toEqual(['e2e', 'overhead']);
  });
});
