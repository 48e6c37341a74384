// The hostile user of `compare --task`: an unknown task, flags of another task, sizes too large for
// memory, malformed lists; and the adding task's public functions. Each must be a typed GradkitError
// naming the flag or the field; on the command line, exit code 2 with a message and no stack trace.
import { Xoshiro128 } from '@gradkit/core';
import { hostileCases } from '@gradkit/testing';
import { describe, expect, it } from 'vitest';
import { parseArgs } from './args.js';
import { EXIT, type LabIO, main } from './main.js';
import { addingBatch } from './tasks/adding-data.js';

const adding =
  (...args: string[]) =>
  () =>
    parseArgs(['compare', '--task', 'adding', ...args]);

describe('gradient-lab compare --task, hostile', () => {
  hostileCases([
    // the task itself
    { input: 'gradient-lab compare --task addition', names: '--task', run: () => parseArgs(['compare', '--task', 'addition']) },
    { input: 'gradient-lab compare --task', names: '--task', run: () => parseArgs(['compare', '--task']) },
    { input: 'gradient-lab compare --task --steps 3', names: '--task', run: () => parseArgs(['compare', '--task', '--steps', '3']) },
    { input: 'gradient-lab compare --task=', names: '--task', run: () => parseArgs(['compare', '--task=']) },
    { input: 'gradient-lab compare --task adding --task mlp', names: '--task', run: adding('--task', 'mlp') },
    // flags of another task
    { input: 'gradient-lab compare --task adding --depth 10 (an mlp flag)', names: '--depth', run: adding('--depth', '10') },
    { input: 'gradient-lab compare --task adding --width 8 (an mlp flag)', names: '--width', run: adding('--width', '8') },
    { input: 'gradient-lab compare --task adding --reports 5 (an mlp flag)', names: '--reports', run: adding('--reports', '5') },
    { input: 'gradient-lab compare --task adding --samples-per-digit 10', names: '--samples-per-digit', run: adding('--samples-per-digit', '10') },
    { input: 'gradient-lab compare --lengths 50 (adding’s flag, task mlp)', names: '--lengths', run: () => parseArgs(['compare', '--lengths', '50']) },
    { input: 'gradient-lab compare --task mlp --lengths 50', names: '--lengths', run: () => parseArgs(['compare', '--task', 'mlp', '--lengths', '50']) },
    {
      input: 'gradient-lab compare --task cnn --lengths 50 (adding’s flag)',
      names: '--lengths',
      run: () => parseArgs(['compare', '--task', 'cnn', '--lengths', '50']),
    },
    {
      input: 'gradient-lab compare --task transformer --width 8 (an mlp flag)',
      names: '--width',
      run: () => parseArgs(['compare', '--task', 'transformer', '--width', '8']),
    },
    // sizes too large for memory, and malformed values
    { input: 'gradient-lab compare --task cnn --depth 1000', names: '--depth', run: () => parseArgs(['compare', '--task', 'cnn', '--depth', '1000']) },
    {
      input: 'gradient-lab compare --task transformer --depth 0',
      names: '--depth',
      run: () => parseArgs(['compare', '--task', 'transformer', '--depth', '0']),
    },
    { input: 'gradient-lab compare --task adding --lengths 5000', names: '--lengths', run: adding('--lengths', '5000') },
    { input: 'gradient-lab compare --task adding --lengths 50,100000', names: '--lengths', run: adding('--lengths', '50,100000') },
    ...['0', '1', '-3', '1.5', 'abc', 'NaN', 'Infinity', '1e400', '50,,100', '50,50', ',', '', '50;100'].map((value) => ({
      input: `gradient-lab compare --task adding --lengths '${value}'`,
      names: '--lengths',
      run: adding('--lengths', value),
    })),
    { input: 'gradient-lab compare --task adding --lengths (no value)', names: '--lengths', run: adding('--lengths') },
    { input: 'gradient-lab compare --task adding --length 50 (singular)', names: '--length', run: adding('--length', '50') },
    { input: 'gradient-lab compare --task adding --seq_len 50 (PyTorch)', names: '--seq_len', run: adding('--seq_len', '50') },
    { input: 'gradient-lab compare --task adding --steps 0', names: '--steps', run: adding('--steps', '0') },
    { input: 'gradient-lab compare --task adding --batch -1', names: '--batch', run: adding('--batch', '-1') },
    { input: 'gradient-lab compare --task adding --batch-size 32 (PyTorch)', names: '--batch-size', run: adding('--batch-size', '32') },
    { input: 'gradient-lab compare --task adding --backend tpu', names: '--backend', run: adding('--backend', 'tpu') },
    // --only with ids that are not runs of the task
    { input: 'gradient-lab compare --task adding --only lstm@300', names: '--only', run: adding('--only', 'lstm@300') },
    { input: 'gradient-lab compare --task adding --only baseline (an mlp id)', names: '--only', run: adding('--only', 'baseline') },
    { input: 'gradient-lab compare --task adding --only lstm', names: '--only', run: adding('--only', 'lstm') },
    { input: 'gradient-lab compare --only lstm@50 (task mlp)', names: 'lstm@50', run: () => parseArgs(['compare', '--only', 'lstm@50']) },
    // the adding task's data
    { input: 'addingBatch(rng, 0, 100)', names: 'batch', run: () => addingBatch(Xoshiro128.fromSeed(1), 0, 100) },
    { input: 'addingBatch(rng, 32, 1)', names: 'length', run: () => addingBatch(Xoshiro128.fromSeed(1), 32, 1) },
    { input: 'addingBatch(rng, 32, NaN)', names: 'length', run: () => addingBatch(Xoshiro128.fromSeed(1), 32, Number.NaN) },
    { input: "addingBatch(rng, '32', 100)", names: 'batch', run: () => addingBatch(Xoshiro128.fromSeed(1), '32' as never, 100) },
  ]);
});

describe('gradient-lab compare --task, bad input on the command line', () => {
  const run = async (argv: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const io: LabIO = { stdout: { write: (t) => out.push(t), isTTY: false }, stderr: { write: (t) => err.push(t) }, debug: false };
    const code = await main(argv, io);
    return { code, stdout: out.join(''), stderr: err.join('') };
  };

  it('exits with 2 and a message naming the flag and the task, without a stack trace and before any backend starts', async () => {
    const cases: [string[], string[]][] = [
      [
        ['compare', '--task', 'addition'],
        ["--task 'addition'", "did you mean 'adding'", 'mlp, adding, cnn, transformer'],
      ],
      [
        ['compare', '--task', 'adding', '--depth', '10'],
        ['--depth does not apply to --task adding', 'a flag of --task mlp', '--lengths'],
      ],
      [
        ['compare', '--lengths', '50,100'],
        ['--lengths does not apply to --task mlp', 'a flag of --task adding'],
      ],
      [
        ['compare', '--task', 'adding', '--lengths', '5000'],
        ['--lengths 5000 is too large: at most 1000', 'backpropagation through time'],
      ],
      [
        ['compare', '--task', 'adding', '--lengths', '50,abc'],
        ['--lengths must be a whole number', "'abc'"],
      ],
    ];
    for (const [argv, words] of cases) {
      const { code, stdout, stderr } = await run(argv);
      expect(code).toBe(EXIT.usage);
      expect(stdout).toBe('');
      for (const w of words) expect(stderr).toContain(w);
      expect(stderr).toContain('see: gradient-lab help compare');
      expect(stderr).not.toMatch(/\n\s+at /);
    }
  });
});
