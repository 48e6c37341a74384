// `gradient-lab doctor`'s command line: every flag, the defaults, and each mistake as a UsageError
// whose message says what is wrong and what is valid.
import { describe, expect, it } from 'vitest';
import { DOCTOR_DEFAULTS, DOCTOR_OPTIMIZERS, type DoctorCommand, parseArgs, UsageError, usage } from './args.js';

const BASE = ['doctor', '--model', 'm', '--data', 'd.csv'];

function usageError(argv: string[]): UsageError {
  try {
    parseArgs(argv);
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return e as UsageError;
  }
  throw new Error(`parseArgs(${JSON.stringify(argv)}) did not throw`);
}

describe('parseArgs: doctor', () => {
  it('fills in the defaults', () => {
    const cmd = parseArgs(BASE) as DoctorCommand;
    expect(cmd).toEqual({
      kind: 'doctor',
      model: 'm',
      data: 'd.csv',
      label: undefined,
      task: undefined,
      budget: 100,
      batch: 32,
      lr: undefined,
      optimizer: undefined,
      curvature: false,
      remedies: undefined,
      backend: 'auto',
      out: './doctor-report',
      apply: undefined,
      save: undefined,
      seed: 0,
    });
    expect(DOCTOR_DEFAULTS).toMatchObject({ budget: 100, batch: 32, out: './doctor-report' });
  });

  it('reads every flag, as --flag value and --flag=value', () => {
    const cmd = parseArgs([
      'doctor',
      '--model=dir/model.json',
      '--data',
      'x.npy',
      '--label',
      'species',
      '--task',
      'classify',
      '--budget',
      '40',
      '--batch=16',
      '--lr',
      '3e-3',
      '--optimizer',
      'SGD',
      '--curvature',
      '--remedies',
      'relu-he, lower-lr',
      '--backend',
      'wasm',
      '--out',
      'rep',
      '--apply',
      'relu-he',
      '--save',
      'fixed',
      '--seed',
      '7',
    ]) as DoctorCommand;
    expect(cmd).toEqual({
      kind: 'doctor',
      model: 'dir/model.json',
      data: 'x.npy',
      label: 'species',
      task: 'classify',
      budget: 40,
      batch: 16,
      lr: 0.003,
      optimizer: 'sgd',
      curvature: true,
      remedies: ['relu-he', 'lower-lr'],
      backend: 'wasm',
      out: 'rep',
      apply: 'relu-he',
      save: 'fixed',
      seed: 7,
    });
    expect((parseArgs([...BASE, '--no-curvature']) as DoctorCommand).curvature).toBe(false);
  });

  it('asks for help with --help, help doctor, and documents every flag', () => {
    expect(parseArgs(['doctor', '--help'])).toEqual({ kind: 'help', topic: 'doctor' });
    expect(parseArgs(['help', 'doctor'])).toEqual({ kind: 'help', topic: 'doctor' });
    const text = usage('doctor');
    for (const flag of [
      'model',
      'data',
      'label',
      'task',
      'budget',
      'batch',
      'lr',
      'optimizer',
      'curvature',
      'remedies',
      'backend',
      'out',
      'apply',
      'save',
      'seed',
    ])
      expect(text).toContain(`--${flag}`);
    expect(text).toContain('--budget 100 --batch 32');
    expect(usage()).toContain('gradient-lab doctor --model');
    expect(usage()).toContain('gradient-lab help [run|compare|doctor]');
  });

  it('needs --model and --data', () => {
    const m = usageError(['doctor', '--data', 'd.csv']);
    expect(m.flag).toBe('--model');
    expect(m.message).toMatch(/^doctor needs --model: .*model\.json/);
    const d = usageError(['doctor', '--model', 'm']);
    expect(d.flag).toBe('--data');
    expect(d.message).toMatch(/^doctor needs --data: .*\.csv/);
  });

  it('takes --apply and --save only together', () => {
    const s = usageError([...BASE, '--save', 'out']);
    expect(s.flag).toBe('--save');
    expect(s.message).toContain('--save needs --apply <remedy>');
    const a = usageError([...BASE, '--apply', 'relu-he']);
    expect(a.flag).toBe('--apply');
    expect(a.message).toContain('--apply needs --save <folder>');
  });

  it.each([
    [['--steps', '10'], '--steps', 'did you mean --budget?'],
    [['--epochs', '10'], '--epochs', 'did you mean --budget?'],
    [['--learning-rate', '0.1'], '--learning-rate', 'did you mean --lr?'],
    [['--batch_size', '8'], '--batch_size', 'did you mean --batch?'],
    [['--target', 'y'], '--target', 'did you mean --label?'],
    [['--modle', 'm'], '--modle', 'did you mean --model?'],
    [['--depth', '3'], '--depth', 'valid flags are --model, --data'],
  ])('an unknown flag %j suggests the one meant', (extra, flag, hint) => {
    const e = usageError([...BASE, ...extra]);
    expect(e.flag).toBe(flag);
    expect(e.message).toContain(`unknown flag ${flag} for 'doctor'`);
    expect(e.message).toContain(hint);
  });

  it.each([
    [['--budget', '0'], '--budget', 'must be a whole number ≥ 1, got 0'],
    [['--budget', '2.5'], '--budget', "must be a whole number ≥ 1, got '2.5'"],
    [['--budget', '1e9'], '--budget', 'too large: at most 100000'],
    [['--batch', '-3'], '--batch', 'must be a whole number ≥ 1'],
    [['--lr', '0'], '--lr', 'must be a number > 0'],
    [['--lr', 'NaN'], '--lr', "must be a number > 0, got 'NaN'"],
    [['--lr', 'Infinity'], '--lr', 'must be a number > 0'],
    [['--lr', '1e-50'], '--lr', 'representable in float32'],
    [['--seed', '-1'], '--seed', 'must be a whole number ≥ 0'],
    [['--task', 'regression'], '--task', "is not valid for 'doctor' (did you mean 'regress'?): use one of classify, regress"],
    [['--optimizer', 'adamw'], '--optimizer', `use one of ${DOCTOR_OPTIMIZERS.join(', ')}`],
    [['--backend', 'gpu'], '--backend', 'use one of auto, cpu, wasm, webgpu'],
    [['--curvature', 'maybe'], 'maybe', "unexpected argument 'maybe'"],
    [['--label'], '--label', '--label needs a value'],
    [['--out', '--seed', '1'], '--out', '--out needs a value'],
    [['--out='], '--out', '--out needs a non-empty value'],
    [['--remedies', ','], '--remedies', '--remedies needs a comma-separated list'],
    [['--budget', '10', '--budget', '20'], '--budget', 'given twice'],
    [['extra'], 'extra', "unexpected argument 'extra' for 'doctor'"],
  ])('rejects %j', (extra, flag, text) => {
    const e = usageError([...BASE, ...extra]);
    expect(e.flag).toBe(flag);
    expect(e.message).toContain(text);
  });

  it("suggests 'doctor' for a misspelled command", () => {
    const e = usageError(['docter', '--model', 'm']);
    expect(e.message).toContain("unknown command 'docter' (did you mean 'doctor'?)");
  });
});
