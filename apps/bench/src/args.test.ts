// The bench's command lines: every flag parsed, every unknown one rejected with the closest valid one.
import { describe, expect, it } from 'vitest';
import { didYouMean, parseBackendFlags, parseMainFlags, parseOnly, parseProfileFlags } from './args.js';

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
    expect(parseBackendFlags(['cpu', '--only', 'modern', '--merge'])).toEqual({ backend: 'cpu', quick: false, merge: true, only: ['modern'] });
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

  it('the profile command reads its flags, with defaults', () => {
    expect(parseProfileFlags([])).toEqual({ backend: 'wasm', model: 'mlp', fastPaths: [true], libraries: ['gradkit', 'tfjs-layers'], top: 12 });
    expect(parseProfileFlags(['--backend', 'cpu', '--model=wide', '--fast-paths', 'both', '--library', 'tfjs-layers', '--top', '5', '--out', 'o'])).toEqual({
      backend: 'cpu',
      model: 'wide',
      fastPaths: [true, false],
      libraries: ['tfjs-layers'],
      top: 5,
      out: 'o',
    });
    expect(parseProfileFlags(['--fast-paths', 'off']).fastPaths).toEqual([false]);
    for (const [argv, message] of [
      [['--backend', 'wsam'], /--backend takes one of cpu, wasm, webgpu; got 'wsam' \(did you mean wasm\?\)/],
      [['--model', 'wdie'], /--model takes one of mlp, wide; got 'wdie' \(did you mean wide\?\)/],
      [['--fast-paths', 'true'], /--fast-paths takes one of on, off, both; got 'true'/],
      [['--library', 'tfjs'], /--library takes a comma-separated list of gradkit, tfjs-layers; got 'tfjs'/],
      [['--top', '0'], /--top takes a whole number ≥ 1/],
      [['--top', '2.5'], /--top takes a whole number ≥ 1/],
      [['--fastpaths', 'on'], /unknown argument '--fastpaths' \(did you mean --fast-paths\?\)/],
      [['wasm'], /unknown argument 'wasm' \(usage: main\.js profile/],
      [['--backends', 'wasm'], /unknown argument '--backends' \(did you mean --backend\?\)/],
    ] as const) {
      expect(() => parseProfileFlags(argv), argv.join(' ')).toThrow(message);
    }
  });
});
