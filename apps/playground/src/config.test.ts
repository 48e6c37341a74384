import { optimizerNames } from '@gradkit/optimizers';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, estimateBytes, MEMORY_LIMIT_BYTES, type PlaygroundConfig, PRESETS, parameterCount, TASK_DEFAULTS, validateConfig } from './config.js';

const OPTIMIZERS = ['momentum', ...optimizerNames()];
const config = (changes: Partial<PlaygroundConfig>): PlaygroundConfig => ({ ...DEFAULT_CONFIG, ...changes });

describe('validateConfig per task', () => {
  it('accepts every preset and fits each in the memory limit', () => {
    for (const p of PRESETS) {
      const c = config(p.changes);
      expect({ id: p.id, problems: validateConfig(c, OPTIMIZERS) }).toEqual({ id: p.id, problems: [] });
      expect(estimateBytes(c)).toBeLessThan(MEMORY_LIMIT_BYTES / 10);
    }
  });
  it('checks only the controls the task reads, with the range and the field in the sentence', () => {
    const adding = config({ ...TASK_DEFAULTS.adding, seqLength: 1, activation: 'bogus' as never, cell: 'lstm2' as never });
    expect(validateConfig(adding, OPTIMIZERS)).toEqual(['seqLength must be between 2 and 2000 (got 1)', 'unknown cell lstm2 (one of tanh, irnn, lstm, gru)']);
    expect(validateConfig(config({ ...TASK_DEFAULTS.cnn, norm: 'layer' }), OPTIMIZERS)).toEqual(['unknown normalization layer (one of none, batch)']);
    expect(validateConfig(config({ ...TASK_DEFAULTS.transformer, width: 30, warmup: -1 }), OPTIMIZERS)).toEqual([
      'warmup must be between 0 and 100000 (got -1)',
      'width must be a multiple of the 4 attention heads (got 30)',
    ]);
    expect(validateConfig(config({ task: 'rnn' as never }), OPTIMIZERS)).toEqual(['unknown task rnn (one of mlp, adding, cnn, transformer)']);
  });
});

describe('estimateBytes per task', () => {
  it('refuses what cannot fit: long sequences, deep stacks, wide conv nets; memory grows with T and with depth', () => {
    const adding = config({ ...TASK_DEFAULTS.adding });
    expect(estimateBytes({ ...adding, seqLength: 2000, width: 4096, batch: 4096 })).toBeGreaterThan(MEMORY_LIMIT_BYTES);
    expect(estimateBytes({ ...config(TASK_DEFAULTS.transformer), depth: 200, width: 4096 })).toBeGreaterThan(MEMORY_LIMIT_BYTES);
    expect(estimateBytes({ ...config(TASK_DEFAULTS.cnn), depth: 200, width: 1024 })).toBeGreaterThan(MEMORY_LIMIT_BYTES);
    // The recurrent states of every step: twice T, more memory for the activations (4 bytes × batch × T × width × (2 × 4 gates + 4) + the inputs).
    const lstm = { ...adding, cell: 'lstm' as const, width: 10, batch: 2 };
    expect(estimateBytes({ ...lstm, seqLength: 20 }) - estimateBytes({ ...lstm, seqLength: 10 })).toBe(4 * (2 * 10 * 10 * 12 + 2 * 2 * 10));
  });
});

describe('parameterCount per task (counted by hand)', () => {
  it('adding: gates × hidden × (inputs + hidden + biases) + the head', () => {
    // tanh RNN, 2 inputs, hidden 3: kernel 2·3 + recurrent 3·3 + bias 3 = 18; head 3 + 1.
    expect(parameterCount(config({ ...TASK_DEFAULTS.adding, width: 3 }))).toBe(22);
    // LSTM: 4 gates → 72 + 4; GRU: 3 gates with two biases: 3·(6 + 9 + 3 + 3) = 63 + 4.
    expect(parameterCount(config({ ...TASK_DEFAULTS.adding, width: 3, cell: 'lstm' }))).toBe(76);
    expect(parameterCount(config({ ...TASK_DEFAULTS.adding, width: 3, cell: 'gru' }))).toBe(67);
  });
  it('cnn: the stem, depth 3×3 convs (+ BatchNorm), the classifier', () => {
    // width 2, depth 1: stem 9·2 + 2 = 20; conv 9·2·2 + 2 = 38; head 2·10 + 10 = 30.
    expect(parameterCount(config({ ...TASK_DEFAULTS.cnn, width: 2, depth: 1 }))).toBe(88);
    expect(parameterCount(config({ ...TASK_DEFAULTS.cnn, width: 2, depth: 1, norm: 'batch' }))).toBe(92);
    // Residual with BatchNorm: one more BatchNorm after the last block.
    expect(parameterCount(config({ ...TASK_DEFAULTS.cnn, width: 2, depth: 1, norm: 'batch', residual: true }))).toBe(96);
  });
  it('transformer: embeddings, positions, blocks (attention 4·(d²+d), FFN d·2d + 2d + 2d·d + d, 2 norms), the head', () => {
    // d = 4, L = 3, one block: embeddings 10·4 + positions 3·4 = 52; block 8·16 + 11·4 = 172; head 4·10 + 10 = 50.
    expect(parameterCount(config({ ...TASK_DEFAULTS.transformer, width: 4, seqLength: 3, depth: 1 }))).toBe(274);
  });
});
