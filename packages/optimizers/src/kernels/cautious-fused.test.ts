import { currentBackend, expectFusedParity, spread } from '@gradkit/testing';
import { describe, expect, it } from 'vitest';
import { adam, adamw, adopt, cautious, lion, rmsprop, sgd } from '../index.js';

// cautious(rule) fused (the rule's kernel, then the cautious mask on the update it made) against the
// reference path (cautious.ts over the rule's tf ops, itself checked against kyleliang919/C-Optim).
const CASES = [
  ['Adamw', () => adamw({ learningRate: 0.01, weightDecay: 0.1 })],
  ['Adam', () => adam({ learningRate: 0.01, amsgrad: true })],
  ['Lion', () => lion({ learningRate: 0.01, weightDecay: 0.1 })],
  ['Sgd', () => sgd({ learningRate: 0.05, momentum: 0.9, nesterov: true })],
  ['Rmsprop', () => rmsprop({ learningRate: 0.01, centered: true })],
  ['Adopt', () => adopt({ learningRate: 0.01 })],
] as const;

describe(`fused cautious(rule) on ${currentBackend()}`, () => {
  for (const [name, make] of CASES) {
    it(`cautious(${name.toLowerCase()}): parameters and state match the reference path step by step`, async () => {
      expect(await expectFusedParity(() => cautious(make()), { steps: 5 })).toBe(`fused:GradkitCautious${name}`);
    });
  }

  it('a NaN gradient element: NaN in its own parameter element only, as in the reference', async () => {
    const grad = (step: number, k: number, n: number) => {
      const g = spread(n, 100 * step + k);
      if (k === 4 && step === 1) g[7] = Number.NaN;
      return g;
    };
    expect(await expectFusedParity(() => cautious(adamw({ learningRate: 0.01 })), { grad })).toBe('fused:GradkitCautiousAdamw');
  });
});
