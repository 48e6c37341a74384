// biome-ignore-all lint/suspicious/noFocusedTests: `fit` here is @gradkit/nn's training loop, not a focused test
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { flatten, Optimizer } from '@gradkit/core';
import { fit, softmaxCrossEntropy } from '@gradkit/nn';
import { adam } from '@gradkit/optimizers';
import { expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it, vi } from 'vitest';
import { classifier, monitored, resume, rings, stopAt, train } from './training-loop.js';

const SLOW = 600_000; // SwiftShader (WebGPU on the CPU) takes ~0.15 s per step

describe('guide: the training loop', () => {
  it(
    'fit learns the rings (validation accuracy ≥ 0.9) and prints a line per epoch on stderr',
    async () => {
      const { x, y } = rings(200);
      const written: string[] = [];
      const write = vi.spyOn(process.stderr, 'write').mockImplementation((text: string | Uint8Array) => {
        written.push(String(text));
        return true;
      });
      const log = vi.spyOn(console, 'log').mockImplementation(() => {});
      try {
        const { model, history } = await expectNoLeaks(async () => {
          const r = await train(x, y);
          return { model: r.model, history: r.history, params: r.model.params };
        });
        expect(history.valAccuracy?.at(-1)).toBeGreaterThanOrEqual(0.9);
        expect(history.epoch.length).toBeLessThan(200); // early stopping ended it
        expect(history.loss.at(-1) as number).toBeLessThan(history.loss[0] as number);
        const lines = written
          .join('')
          .split('\n')
          .filter((l) => l.includes('Epoch'));
        expect(lines.length).toBe(history.epoch.length);
        expect(lines[0]).toMatch(/^(\r)?Epoch 1\/200 .* loss \d\.\d{4} {2}accuracy \d\.\d{4} {2}valLoss \d\.\d{4} {2}valAccuracy \d\.\d{4}/);
        model.dispose();
      } finally {
        write.mockRestore();
        log.mockRestore();
        tf.dispose([x, y]);
      }
    },
    SLOW,
  );

  it(
    'a callback of your own stops training at the first epoch that reaches the target',
    async () => {
      const { x, y } = rings(160);
      const log = vi.spyOn(console, 'log').mockImplementation(() => {});
      const model = classifier();
      const history = await fit({
        model,
        loss: softmaxCrossEntropy,
        optimizer: adam({ learningRate: 0.05 }),
        data: { x, y },
        validationSplit: 0.25,
        epochs: 200,
        batchSize: 32,
        metrics: ['accuracy'],
        callbacks: [stopAt(0.9)],
        seed: 2,
        verbose: 0,
      });
      log.mockRestore();
      const acc = history.valAccuracy as number[];
      expect(acc.at(-1)).toBeGreaterThanOrEqual(0.9);
      expect(acc.slice(0, -1).every((a) => a < 0.9)).toBe(true);
      model.dispose();
      tf.dispose([x, y]);
    },
    SLOW,
  );

  it(
    'resumed from its checkpoint, training continues bit for bit',
    async () => {
      const { x, y } = rings(96);
      const dir = mkdtempSync(join(tmpdir(), 'gradkit-fit-'));
      try {
        const { first, rest, model } = await resume(x, y, dir);
        expect(first.epoch).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
        expect(rest.epoch).toEqual([10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
        // The same 20 epochs straight through.
        const straight = classifier();
        const opt = new Optimizer(straight.params, adam({ learningRate: 0.01 }));
        const all = await fit({ model: straight, loss: softmaxCrossEntropy, optimizer: opt, data: { x, y }, epochs: 20, batchSize: 32, seed: 1, verbose: 0 });
        expect(rest.loss).toEqual(all.loss.slice(10));
        const bytes = async (m: typeof model) => Promise.all(flatten(m.params).map(async (e) => Array.from(await e.value.data())));
        expect(await bytes(model)).toEqual(await bytes(straight));
        opt.dispose();
        straight.dispose();
        model.dispose();
      } finally {
        rmSync(dir, { recursive: true, force: true });
        tf.dispose([x, y]);
      }
    },
    SLOW,
  );

  it(
    'a GradientMonitor plugged into fit gets a per-layer report every 20 steps',
    async () => {
      const { x, y } = rings(320); // 10 batches per epoch, 5 epochs: steps 0 … 49, reports at 0, 20 and 40
      const printed: string[] = [];
      const log = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void printed.push(args.join(' ')));
      try {
        const { model, monitor } = await monitored(x, y);
        expect(monitor.history.map((r) => r.step)).toEqual([0, 20, 40]);
        const report = monitor.history[0];
        expect(report?.layers.map((l) => l.name)).toEqual(['0.kernel', '0.bias', '1.kernel', '1.bias', '2.kernel', '2.bias']);
        expect(report?.activations?.length).toBe(3); // the taps of the three layers, with ∂loss/∂output
        expect(report?.layers[0]?.paramNorm).toBeGreaterThan(0); // the parameters were given
        expect(printed.filter((p) => p.startsWith('gradient report'))).toHaveLength(3);
        expect(printed[0]).toMatch(/^gradient report · step 0 /);
        model.dispose();
      } finally {
        log.mockRestore();
        tf.dispose([x, y]);
      }
    },
    SLOW,
  );
});
