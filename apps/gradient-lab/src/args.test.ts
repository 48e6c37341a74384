import { optimizerNames } from '@gradkit/optimizers';
import { describe, expect, it } from 'vitest';
import { COMPARE_DEFAULTS, type CompareCommand, parseArgs, type RunCommand, UsageError, usage } from './args.js';
import { ACTIVATIONS, DEFAULT_CONFIG, INITS, NORMS, SCHEDULES } from './config.js';
import { MATRIX_DEFAULTS } from './experiments.js';

/** The UsageError `parseArgs(argv)` throws (fails the test when it throws nothing or something else). */
function usageError(argv: string[]): UsageError {
  try {
    parseArgs(argv);
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return e as UsageError;
  }
  throw new Error(`parseArgs(${JSON.stringify(argv)}) did not throw`);
}

describe('parseArgs: run', () => {
  it('fills in the defaults of DEFAULT_CONFIG', () => {
    const cmd = parseArgs(['run']) as RunCommand;
    expect(cmd.kind).toBe('run');
    expect(cmd.config).toEqual(DEFAULT_CONFIG);
    expect(cmd.backend).toBe('auto');
    expect(cmd.out).toBeUndefined();
    expect(cmd.samplesPerDigit).toBeUndefined();
  });

  it('reads every flag, as --flag value and --flag=value', () => {
    const cmd = parseArgs([
      'run',
      '--backend',
      'cpu',
      '--depth=12',
      '--width',
      '32',
      '--activation',
      'relu',
      '--init',
      'he',
      '--init-scale',
      '2',
      '--norm=batch',
      '--residual',
      '--optimizer',
      'adam',
      '--lr',
      '1e-3',
      '--schedule',
      'warmup-cosine',
      '--clip',
      '1.5',
      '--steps',
      '50',
      '--batch',
      '16',
      '--seed',
      '7',
      '--out',
      'dir',
      '--samples-per-digit',
      '30',
      '--reports',
      '5',
      '--name',
      'mine',
    ]) as RunCommand;
    expect(cmd).toEqual({
      kind: 'run',
      backend: 'cpu',
      out: 'dir',
      samplesPerDigit: 30,
      reports: 5,
      config: {
        name: 'mine',
        depth: 12,
        width: 32,
        activation: 'relu',
        init: 'he',
        initScale: 2,
        norm: 'batch',
        residual: true,
        optimizer: 'adam',
        lr: 0.001,
        schedule: 'warmup-cosine',
        clip: 1.5,
        steps: 50,
        batch: 16,
        seed: 7,
      },
    });
  });

  it('takes booleans bare, with a value, or negated, and "none" for no clipping', () => {
    expect((parseArgs(['run', '--residual', 'false']) as RunCommand).config.residual).toBe(false);
    expect((parseArgs(['run', '--residual=yes']) as RunCommand).config.residual).toBe(true);
    expect((parseArgs(['run', '--no-residual']) as RunCommand).config.residual).toBe(false);
    expect((parseArgs(['run', '--residual', '--depth', '3']) as RunCommand).config).toMatchObject({ residual: true, depth: 3 });
    expect((parseArgs(['run', '--clip', 'none']) as RunCommand).config.clip).toBe(0);
    expect((parseArgs(['run', '--clip', '0']) as RunCommand).config.clip).toBe(0);
  });

  it('accepts every listed activation, init, norm, schedule and optimizer (and values case-insensitively)', () => {
    for (const a of ACTIVATIONS) expect((parseArgs(['run', '--activation', a]) as RunCommand).config.activation).toBe(a);
    for (const i of INITS) expect((parseArgs(['run', '--init', i]) as RunCommand).config.init).toBe(i);
    for (const n of NORMS) expect((parseArgs(['run', '--norm', n]) as RunCommand).config.norm).toBe(n);
    for (const s of SCHEDULES) expect((parseArgs(['run', '--schedule', s]) as RunCommand).config.schedule).toBe(s);
    for (const o of ['momentum', ...optimizerNames()]) expect((parseArgs(['run', '--optimizer', o]) as RunCommand).config.optimizer).toBe(o);
    expect((parseArgs(['run', '--activation', 'ReLU']) as RunCommand).config.activation).toBe('relu');
  });
});

describe('parseArgs: compare and help', () => {
  it('compare defaults to the experiment matrix settings and the ./gradient-lab-report folder', () => {
    const cmd = parseArgs(['compare']) as CompareCommand;
    expect(cmd).toMatchObject({ kind: 'compare', ...MATRIX_DEFAULTS, backend: 'auto', out: './gradient-lab-report', only: undefined });
    expect(COMPARE_DEFAULTS.out).toBe('./gradient-lab-report');
  });

  it('compare reads --steps --batch --backend --out --only', () => {
    const cmd = parseArgs(['compare', '--steps', '10', '--batch', '8', '--backend', 'wasm', '--out', 'r', '--only', 'baseline, relu-he']) as CompareCommand;
    expect(cmd).toMatchObject({ steps: 10, batch: 8, backend: 'wasm', out: 'r', only: ['baseline', 'relu-he'] });
  });

  it('no arguments, help, --help and -h ask for help; usage lists the commands and the valid values', () => {
    expect(parseArgs([])).toEqual({ kind: 'help', topic: undefined });
    expect(parseArgs(['help', 'compare'])).toEqual({ kind: 'help', topic: 'compare' });
    expect(parseArgs(['--help'])).toEqual({ kind: 'help', topic: undefined });
    expect(parseArgs(['run', '--depth', '3', '-h'])).toEqual({ kind: 'help', topic: 'run' });
    const text = usage();
    for (const word of ['gradient-lab run', 'gradient-lab compare', '--activation', 'sigmoid|tanh|relu', '--only']) expect(text).toContain(word);
    expect(usage('run')).not.toContain('--only');
  });
});

describe('parseArgs: errors say what is wrong and list what is valid', () => {
  it('an unknown command lists the commands and suggests the closest', () => {
    const e = usageError(['rnu']);
    expect(e.flag).toBe('rnu');
    expect(e.message).toContain("unknown command 'rnu'");
    expect(e.message).toContain("did you mean 'run'?");
    expect(e.message).toContain('run, compare, help');
  });

  it('an unknown flag lists the valid flags of the command', () => {
    const e = usageError(['run', '--depht', '3']);
    expect(e.flag).toBe('--depht');
    expect(e.message).toContain('did you mean --depth?');
    expect(e.message).toContain('--activation');
    const c = usageError(['compare', '--activation', 'relu']);
    expect(c.message).toContain("unknown flag --activation for 'compare'");
    expect(c.message).toContain('--only');
  });

  it('an invalid value lists the valid ones', () => {
    const a = usageError(['run', '--activation', 'sigmod']);
    expect(a.flag).toBe('--activation');
    expect(a.message).toContain("did you mean 'sigmoid'?");
    expect(a.message).toContain(ACTIVATIONS.join(', '));
    expect(usageError(['run', '--backend', 'gpu']).message).toContain('auto, cpu, wasm, webgpu');
    expect(usageError(['run', '--norm', 'group']).message).toContain('none, batch, layer');
    expect(usageError(['run', '--optimizer', 'adamm']).message).toContain('momentum');
    expect(usageError(['run', '--residual=maybe']).message).toContain('--no-residual');
  });

  it('impossible numbers: depth 0, a fractional width, negative or zero rates, a negative clip', () => {
    const depth = usageError(['run', '--depth', '0']);
    expect(depth.flag).toBe('--depth');
    expect(depth.message).toMatch(/--depth must be a whole number ≥ 1, got 0: a network needs at least one hidden layer/);
    expect(usageError(['compare', '--depth', '0']).flag).toBe('--depth');
    expect(usageError(['run', '--width', '2.5']).message).toContain("got '2.5'");
    expect(usageError(['run', '--lr', '0']).message).toContain('the learning rate must be positive');
    expect(usageError(['run', '--lr', 'fast']).flag).toBe('--lr');
    expect(usageError(['run', '--steps', '-3']).flag).toBe('--steps');
    expect(usageError(['run', '--batch', '0']).flag).toBe('--batch');
    expect(usageError(['run', '--init-scale', '0']).flag).toBe('--init-scale');
    expect(usageError(['run', '--clip', '-1']).message).toContain('0 / none for no clipping');
  });

  it("other tools' spellings and snake_case get the lab's flag as a suggestion", () => {
    for (const [flag, meant] of [
      ['--learning-rate', '--lr'],
      ['--learning_rate', '--lr'],
      ['--batch_size', '--batch'],
      ['--batchSize', '--batch'],
      ['--epochs', '--steps'],
      ['--init_scale', '--init-scale'],
      ['--max-norm', '--clip'],
      ['--samples_per_digit', '--samples-per-digit'],
      ['--corrupt_every', '--corrupt-every'],
    ] as const) {
      const e = usageError(['run', flag, '1']);
      expect(e.flag, flag).toBe(flag);
      expect(e.message, flag).toContain(`did you mean ${meant}?`);
    }
    expect(usageError(['run', '--frobnicate', '1']).message).not.toContain('did you mean');
  });

  it('--only checks its ids when parsed, suggesting the closest', () => {
    const e = usageError(['compare', '--only', 'baseline,relu_he']);
    expect(e.flag).toBe('--only');
    expect(e.message).toContain("unknown experiment 'relu_he' (did you mean 'relu-he'?)");
    expect(e.message).toContain('corrupt-guard');
  });

  it('--guard and --corrupt-every set the configuration only when given', () => {
    expect((parseArgs(['run', '--guard', '--corrupt-every', '40']) as RunCommand).config).toMatchObject({ guard: true, corruptEvery: 40 });
    expect(parseArgs(['run']) as RunCommand).not.toHaveProperty('config.guard');
    expect(usageError(['run', '--corrupt-every', '-1']).flag).toBe('--corrupt-every');
  });

  it('a missing value, a repeated flag and a stray argument', () => {
    expect(usageError(['run', '--depth']).message).toContain('--depth needs a value');
    expect(usageError(['run', '--activation', '--depth', '3']).message).toContain('one of sigmoid');
    expect(usageError(['run', '--depth', '3', '--depth', '4']).message).toContain('given twice');
    expect(usageError(['run', 'deep']).message).toContain("unexpected argument 'deep'");
    expect(usageError(['run', '--residual', 'maybe']).message).toContain("unexpected argument 'maybe'");
  });
});
