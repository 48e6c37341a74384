// Test support for the doctor's CLI tests: tiny tfjs-layers models saved to a temp folder with tfjs's
// own `model.save` (through saveModelToDir's save handler), a CSV they fit, and an in-process IO.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BackendInfo, BackendName } from '@gradkit/core';
import { currentBackend } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { LabIO } from '../cli-io.js';
import { saveModelToDir } from './model-files.js';

/** The test's backend. */
export const backend = currentBackend() as BackendName;

/** An IO that records what the CLI writes; `useBackend` keeps the test's backend. */
export function capture(overrides: Partial<LabIO> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const io: LabIO = {
    stdout: { write: (t) => out.push(t), isTTY: false, columns: 120 },
    stderr: { write: (t) => err.push(t) },
    useBackend: async (): Promise<BackendInfo> => ({ name: backend, simd: false, threads: false, threadCount: 1, fallbacks: [] }),
    debug: false,
    ...overrides,
  };
  return { io, stdout: () => out.join(''), stderr: () => err.join('') };
}

const dirs: string[] = [];

/** A new temp folder (removed by `removeTempDirs`). */
export function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), `doctor-${backend}-`));
  dirs.push(d);
  return d;
}

/** Removes every folder `tempDir` made. */
export function removeTempDirs(): void {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

/**
 * A deep sigmoid MLP 4 → 8 ×`depth` (sigmoid) → 3 (softmax), seeded, not compiled (saved without a
 * training config): the vanishing case of Glorot & Bengio 2010 in miniature.
 */
export function deepSigmoid(depth = 6): tfl.Sequential {
  const init = (seed: number) => tfl.initializers.randomUniform({ minval: -0.5, maxval: 0.5, seed });
  const model = tfl.sequential();
  for (let i = 0; i < depth; i++)
    model.add(tfl.layers.dense({ ...(i === 0 ? { inputShape: [4] } : {}), units: 8, activation: 'sigmoid', kernelInitializer: init(i + 1) }));
  model.add(tfl.layers.dense({ units: 3, activation: 'softmax', kernelInitializer: init(99) }));
  return model;
}

/** Saves `model` into a new temp folder (tfjs's model.json + weights.bin); returns the folder. */
export async function savedModel(model: tfl.LayersModel): Promise<string> {
  const dir = join(tempDir(), 'model');
  await saveModelToDir(model, dir);
  model.dispose();
  return dir;
}

/** `n` rows of 4 features in [-1, 1] (a seeded LCG) with the class by the sign of x0 and x1 as names a/b/c; returns the CSV's path. */
export function classesCsv(n = 48, dir = tempDir()): string {
  let s = 12345;
  const rand = () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return (s / 2 ** 31) * 2 - 1;
  };
  const rows = ['x0,x1,x2,x3,species'];
  for (let i = 0; i < n; i++) {
    const x = [rand(), rand(), rand(), rand()];
    const cls = (x[0] as number) > 0 ? 'a' : (x[1] as number) > 0 ? 'b' : 'c';
    rows.push(`${x.map((v) => v.toFixed(4)).join(',')},${cls}`);
  }
  const path = join(dir, 'data.csv');
  writeFileSync(path, `${rows.join('\n')}\n`);
  return path;
}

/** The number of tensors alive now (for leak checks around `main`). */
export const liveTensors = () => tf.memory().numTensors;
